"""
Site staff administer accounts here: users (create, deactivate, make staff), the list of groups (create, rename,
delete) and django-axes' lock-outs (to lift one). Staff are not members: no page here lists what a group records
or who belongs to it, and none lets staff into a group or into a member's account. A stolen or coerced staff
account must not open every group's evidence and contacts. So:

- Memberships and invitations are not registered: with them staff could make themselves a group's coordinator,
  or read an invitation's link and accept it. A new group's first coordinator (or a new one for a group that lost
  its last) is invited from the shell: `manage.py invite_coordinator <group slug> <address>`.
- A user's page shows no memberships, and its delete page counts what the deletion takes instead of naming it
  (which would list the person's groups).
- Staff cannot set a member's password or address (the address receives the password-reset e-mail), and
  django-allauth's pages for addresses and authenticators are not registered (an authenticator holds the secret
  of a second factor; removing one leaves the account behind a password alone). People change these themselves,
  on their account pages.
- Background-job checks are not registered either: a group's coordinators start and read them on the site, and
  staff have the worker's own logs.
- API tokens are not in the admin (DRF's token admin listed every key); the owner lists and revokes their own.

The rule "no group-data model in the admin" is enforced by tests/test_isolation_matrix.py (ADMIN_GROUP_MODELS),
and the "view on site" shortcut is gone from the site itself (config/admin.py).
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Group, User

for model in (EmailAddress, Authenticator):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class CountsDeletedRows:
    """
    Django's delete page lists every row the deletion takes with it: a group's record titles, campaign names and
    file names, a person's memberships (their groups). Staff see how many of each kind instead.
    """

    def get_deleted_objects(self, objs, request):
        _rows, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        summary = [f"{name}: {count}" for name, count in model_count.items()]
        if protected:
            protected = [f"{len(protected)} rows of other groups or of the shared directory refer to it"]
        return summary, model_count, perms_needed, protected


@admin.register(User)
class DisentangleUserAdmin(CountsDeletedRows, UserAdmin):
    list_display = ["username", "email", "is_active", "is_staff", "last_login"]
    # Django's own, without the password (set by its owner only) and with the address read-only (below).
    fieldsets = tuple((title, {**options, "fields": tuple(name for name in options["fields"] if name != "password")})
                      for title, options in UserAdmin.fieldsets)
    readonly_fields = ["email", "last_login", "date_joined"]

    def get_urls(self):
        # No "set this person's password" page: staff who could, could sign in as any member.
        return [pattern for pattern in super().get_urls() if not str(pattern.pattern).endswith("password/")]


@admin.register(Group)
class GroupAdmin(CountsDeletedRows, admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
