"""
Site staff administer accounts here: users, groups, memberships and invitations (to set up a group and its first
coordinator), background-job checks, and django-axes' lock-outs. Nothing a group records is registered, the
group's audit log included: a stolen or coerced staff account must not open every group's evidence. The rule is
enforced by tests/test_isolation_matrix.py (ADMIN_GROUP_MODELS).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Group, Invitation, Membership, User, WorkerCheck


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class DisentangleUserAdmin(UserAdmin):
    list_display = ["username", "email", "is_active", "is_staff", "last_login"]


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def get_deleted_objects(self, objs, request):
        # Django lists every row the deletion takes with it: the group's record titles, campaign names, file
        # names. Staff see how many of each kind instead.
        _, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        summary = [f"{name}: {count}" for name, count in model_count.items()]
        if protected:
            protected = [f"{len(protected)} rows of other groups or of the shared directory refer to it"]
        return summary, model_count, perms_needed, protected


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "group", "role", "created_at", "accepted_at"]
    exclude = ["token"]


admin.site.register(WorkerCheck)
