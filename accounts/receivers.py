"""
Audit rows for what happens at sign-in, written from the signals of Django, django-allauth and django-axes, so
that every way in (the sign-in form, the admin, the API token endpoint, an invitation) is recorded the same way.
Addresses are not written: where members sign in from is itself something to protect (see config/settings.py).
"""

from allauth.account.signals import password_changed, password_reset, user_logged_in
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed, authenticator_reset
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in as session_signed_in
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import permissions
from accounts.audit import record_account_event
from accounts.models import Group, Membership


def _user_named(username):
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


# allauth's signal, not Django's: it is sent once the whole sign-in is done (password and second factor), for the
# sign-in form and the admin (which sends staff to it); Django's would also fire for test logins.
@receiver(user_logged_in, dispatch_uid="audit-signed-in")
def audit_signed_in(sender, request, user, **kwargs):
    record_account_event(user=user, action="auth.signed_in")


@receiver(session_signed_in, dispatch_uid="start-the-idle-clock")
def start_the_idle_clock(sender, request, user, **kwargs):
    from accounts.middleware import mark_active

    if request is not None and hasattr(request, "session"):
        mark_active(request.session)


@receiver(user_login_failed, dispatch_uid="audit-sign-in-failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs):
    # Attempts on names that have no account are counted by django-axes (visible to staff) but belong to no group.
    user = _user_named(credentials.get("username"))
    if user is not None:
        action = "auth.second_factor_failed" if credentials.get("second_factor") else "auth.sign_in_failed"
        record_account_event(user=user, action=action, actor=None)


@receiver(authentication_failed, sender=Authenticator, dispatch_uid="count-second-factor-failures")
def count_second_factor_failure(sender, request, user, authenticator, **kwargs):
    # A wrong code after a right password: a failed sign-in for django-axes's lock (accounts.signin), and the
    # audit row above, like a wrong password.
    if request is not None:
        user_login_failed.send(sender=__name__, credentials={"username": user.get_username(), "second_factor": True},
                               request=request)


@receiver(user_locked_out, dispatch_uid="audit-locked-out")
def audit_locked_out(sender, request, username, ip_address, **kwargs):
    from accounts.services import revoke_api_tokens

    user = _user_named(username)
    if user is not None:
        record_account_event(user=user, action="auth.locked_out", actor=None)
        # Someone is guessing this account's password: whatever API key it has may have been taken the same way.
        revoke_api_tokens(user, reason="locked_out")


# A signal, not accounts.services.remove_member: memberships also end when a group is deleted (cascading) or when
# a member leaves, and a person in no group has no use for a key to the API.
@receiver(post_delete, sender=Membership, dispatch_uid="api-tokens-end-with-last-membership")
def end_api_tokens_with_last_membership(sender, instance, **kwargs):
    from accounts.services import revoke_api_tokens

    user = get_user_model().objects.filter(pk=instance.user_id).first()  # None when the user is being deleted
    if user is not None and not user.memberships.exists():
        revoke_api_tokens(user, reason="left_all_groups")


@receiver(authenticator_added, dispatch_uid="audit-second-factor-added")
def audit_second_factor_added(sender, request, user, authenticator, **kwargs):
    record_account_event(user=user, action="auth.second_factor_added", details={"type": authenticator.type})


@receiver(authenticator_removed, dispatch_uid="audit-second-factor-removed")
def audit_second_factor_removed(sender, request, user, authenticator, **kwargs):
    record_account_event(user=user, action="auth.second_factor_removed", details={"type": authenticator.type})


@receiver(authenticator_reset, dispatch_uid="audit-recovery-codes-reset")
def audit_recovery_codes_reset(sender, request, user, authenticator, **kwargs):
    record_account_event(user=user, action="auth.recovery_codes_regenerated", details={"type": authenticator.type})


@receiver(password_changed, dispatch_uid="audit-password-changed")
def audit_password_changed(sender, request, user, **kwargs):
    record_account_event(user=user, action="auth.password_changed")


@receiver(password_reset, dispatch_uid="audit-password-reset")
def audit_password_reset(sender, request, user, **kwargs):
    record_account_event(user=user, action="auth.password_reset")


# The per-request copy of a user's groups and roles (accounts.permissions.roles_by_group) scopes every query, so any
# change to what gives a member standing in a group makes every copy in this process be read again: at once, for
# the request or task that made the change, and after the commit, for one that read the old rows meanwhile.
@receiver(post_save, sender=Membership, dispatch_uid="standing-changed-membership-saved")
@receiver(post_delete, sender=Membership, dispatch_uid="standing-changed-membership-deleted")
@receiver(post_save, sender=Group, dispatch_uid="standing-changed-group-saved")
@receiver(post_delete, sender=Group, dispatch_uid="standing-changed-group-deleted")
@receiver(post_save, sender=Authenticator, dispatch_uid="standing-changed-second-factor-saved")
@receiver(post_delete, sender=Authenticator, dispatch_uid="standing-changed-second-factor-deleted")
def standing_changed(sender, **kwargs):
    permissions.standing_changed()
    transaction.on_commit(permissions.standing_changed, using=kwargs.get("using"))
