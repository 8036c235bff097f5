"""Changes to groups and memberships. Each is one transaction that also writes its audit row."""

import json
from datetime import UTC, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_account_event, record_change, record_diff
from accounts.models import ApiToken, Group, Invitation, Membership, Role, User, WorkerCheck
from accounts.permissions import Action, ensure_can, forget_roles
from accounts.tasks import run_worker_check
from config.spreadsheets import CsvWriter

# Sent by revoke_api_tokens (with `user` and `reason`) when an account loses its keys: a higher app that keeps its
# own keys to a person's data (evidence's saved-search feeds) ends them too, without accounts importing it.
access_keys_ended = Signal()


def _ensure_a_coordinator_remains(membership, new_role=None):
    if membership.role != Role.COORDINATOR or new_role == Role.COORDINATOR:
        return
    others = membership.group.memberships.filter(role=Role.COORDINATOR).exclude(pk=membership.pk)
    if not others.exists():
        message = _("A group needs at least one coordinator: appoint another one first.")
        # On the role field when a role change is refused; a removal or a departure is refused as a whole.
        raise ValidationError({"role": message} if new_role is not None else message)


@transaction.atomic
def invite_member(group, *, email, role, actor):
    """
    E-mail `email` an invitation to join `group` as `role`; the person joins only by accepting it. Whether an
    account has this address is never looked up here: the coordinator's answer, the audit row and the e-mail are
    the same either way, so inviting tells nothing about who has an account, under which name, or how it signs in.
    """
    ensure_can(actor, Action.MANAGE_MEMBERS, group)
    return _invite(group, email=email, role=role, actor=actor)


@transaction.atomic
def invite_coordinator_by_operator(group, *, email):
    """
    The site operator's way (manage.py invite_coordinator) to give a group a coordinator: its first, or a new one
    after it lost its last. Staff have no such page: a staff account is not a way into a group. The invitation is
    e-mailed like any other and still has to be accepted by its addressee; the audit row names no actor.
    """
    return _invite(group, email=email, role=Role.COORDINATOR, actor=None)


def _invite(group, *, email, role, actor):
    email = email.strip().lower()
    # Members' addresses are on the member list coordinators read, so this tells them nothing new.
    if group.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError(_("Someone with this address is already a member of %(group)s.") % {"group": group})
    if any(invitation.is_open for invitation in group.invitations.filter(email__iexact=email)):
        raise ValidationError(_("This address is already invited; withdraw that invitation to send a new one."))
    invitation = Invitation.objects.create(group=group, email=email, role=role, invited_by=actor)
    record_change(
        actor=actor, obj=invitation, action="invitation.sent", after={"email": email, "role": role}
    )
    # robust: a mail server that is down must not turn a saved invitation into an error page; it is logged,
    # and the coordinator still sees the open invitation.
    transaction.on_commit(lambda: _send_invitation(invitation.pk), robust=True)
    return invitation


def _send_invitation(invitation_pk):
    from django.conf import settings

    from accounts.languages import in_language_of
    from accounts.signin import account_for_address

    invitation = Invitation.objects.select_related("group", "invited_by").get(pk=invitation_pk)
    context = {"invitation": invitation, "url": settings.SITE_URL + invitation.get_absolute_url()}
    # In the language of the account that owns the address, if there is one; else in the inviting coordinator's,
    # the best guess there is for someone the group knows.
    with in_language_of(account_for_address(invitation.email), default=getattr(invitation.invited_by, "language", "")):
        send_mail(
            subject=_("You are invited to join %(group)s on Disentangle") % {"group": invitation.group},
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )


def ensure_addressee(invitation, user):
    """
    PermissionDenied unless `user` may answer `invitation`: anybody holding the link while signed out (it went to
    that mailbox), or an account whose own verified address is the one invited, never another account that got
    the link some other way.
    """
    from accounts.signin import has_verified_email

    if getattr(user, "is_authenticated", False) and not has_verified_email(user, invitation.email):
        raise PermissionDenied(_("This invitation was sent to another address. Sign out, then sign in as the "
                                 "account with the invited address, or open the link signed out."))


@transaction.atomic
def accept_invitation(invitation, *, user):
    """`user` joins the invitation's group with its role: their own decision, made through the e-mailed link."""
    invitation = Invitation.objects.select_for_update().select_related("group").get(pk=invitation.pk)
    ensure_addressee(invitation, user)
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired or was already used."))
    membership, created = Membership.objects.get_or_create(
        group=invitation.group, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        record_diff(actor=user, obj=membership, action="membership.joined", before=None)
    forget_roles(user)
    return membership


@transaction.atomic
def decline_invitation(invitation, *, user):
    """
    The invitee says no. The audit row names no actor: who declined would tell the group the account behind
    the address, which is what declining keeps from it.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    ensure_addressee(invitation, user)
    record_change(actor=None, obj=invitation, action="invitation.declined",
                  before={"email": invitation.email, "role": invitation.role})
    invitation.delete()


@transaction.atomic
def change_role(membership, *, role, actor):
    role = Role(role)
    membership = Membership.objects.select_for_update().select_related("user", "group").get(pk=membership.pk)
    ensure_can(actor, Action.MANAGE_MEMBERS, membership.group)
    if membership.role == role:
        return membership
    _ensure_a_coordinator_remains(membership, new_role=role)
    before = membership.to_dict()
    membership.role = role
    membership.save(update_fields=["role"])
    record_diff(actor=actor, obj=membership, action="membership.role_changed", before=before)
    forget_roles(membership.user)
    return membership


@transaction.atomic
def remove_member(membership, *, actor):
    membership = Membership.objects.select_for_update().select_related("user", "group").get(pk=membership.pk)
    ensure_can(actor, Action.MANAGE_MEMBERS, membership.group)
    _ensure_a_coordinator_remains(membership)
    record_change(actor=actor, obj=membership, action="membership.removed", before=membership.to_dict())
    membership.delete()
    forget_roles(membership.user)


@transaction.atomic
def leave_group(membership, *, actor):
    """`actor` leaves the group of their own `membership`; any member may, except its last coordinator."""
    membership = Membership.objects.select_for_update().select_related("user", "group").get(pk=membership.pk)
    if membership.user_id != actor.pk:
        raise PermissionDenied(_("Only the member themselves can leave a group; coordinators remove members."))
    _ensure_a_coordinator_remains(membership)
    record_change(actor=actor, obj=membership, action="membership.left", before=membership.to_dict())
    membership.delete()
    forget_roles(actor)


@transaction.atomic
def revoke_invitation(invitation, *, actor):
    ensure_can(actor, Action.MANAGE_MEMBERS, invitation.group)
    record_change(actor=actor, obj=invitation, action="invitation.revoked",
                  before={"email": invitation.email, "role": invitation.role})
    invitation.delete()


#
# API tokens. A token belongs to a person, not to a group, but it reads and writes in every group the person is in:
# each group's audit log records that one was made or revoked, like a sign-in (record_account_event), and what
# was done with it carries its id and name (accounts.audit).
#


@transaction.atomic
def create_api_token(user, *, name, actor):
    """A new token for `user`; returns (token, key). The key is not kept: show it now, once."""
    if actor != user:
        raise PermissionDenied(_("Only the owner of an account makes its API tokens."))
    now = timezone.now()
    user.api_tokens.filter(expires_at__lte=now).delete()  # expired ones only take up room in the owner's list
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name, digest=ApiToken.digest_of(key),
                                    expires_at=now + timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS))
    record_account_event(user=user, action="auth.api_token_created", actor=actor, details=token.to_dict())
    return token, key


@transaction.atomic
def new_calendar_key(user, *, actor):
    """
    A new secret key for the address of `user`'s calendar feed, which ends the address before it (a calendar app
    that had it stops getting anything). Returns the key: it is not kept, so show it now.
    """
    if actor != user:
        raise PermissionDenied(_("Only the owner of an account makes its calendar address."))
    key = ApiToken.new_key()
    user.calendar_key_digest = ApiToken.digest_of(key)
    user.save(update_fields=["calendar_key_digest"])
    record_account_event(user=user, action="account.calendar_feed_made", actor=actor)
    return key


@transaction.atomic
def end_calendar_feed(user, *, actor):
    """The owner turns their calendar feed off: its address answers 404 from now on."""
    if actor != user:
        raise PermissionDenied(_("Only the owner of an account turns its calendar address off."))
    if user.calendar_key_digest:
        user.calendar_key_digest = ""
        user.save(update_fields=["calendar_key_digest"])
        record_account_event(user=user, action="account.calendar_feed_ended", actor=actor,
                             details={"reason": "turned_off"})


def calendar_feed_url(key):
    """The calendar feed's address for `key`, on SITE_URL like every link that leaves the site: a calendar app
    fetches it from elsewhere."""
    return settings.SITE_URL.rstrip("/") + reverse("calendar-feed", args=[key])


def user_of_calendar_key(key):
    """The active account whose calendar address carries `key`, or None (a wrong, old or empty key)."""
    if not key:
        return None
    return User.objects.filter(calendar_key_digest=ApiToken.digest_of(key), is_active=True).first()


@transaction.atomic
def revoke_api_token(token, *, actor):
    """The owner revokes one of their tokens."""
    if actor != token.user:
        raise PermissionDenied(_("Only the owner of an API token revokes it."))
    record_account_event(user=token.user, action="auth.api_token_revoked", actor=actor,
                         details={**token.to_dict(), "reason": "revoked"})
    token.delete()


@transaction.atomic
def revoke_api_tokens(user, *, reason):
    """
    Every token of `user`, ended by what happened to the account (`reason`: password_changed, locked_out,
    deactivated, left_all_groups), not by anyone's choice: the row has no actor. The calendar feed's key ends
    with them: it too is a key that reads the person's groups' work without signing in.
    """
    access_keys_ended.send(sender=User, user=user, reason=reason)
    if user.calendar_key_digest:
        User.objects.filter(pk=user.pk).update(calendar_key_digest="")
        user.calendar_key_digest = ""
        record_account_event(user=user, action="account.calendar_feed_ended", actor=None, details={"reason": reason})
    tokens = list(user.api_tokens.values_list("pk", flat=True))
    if not tokens:
        return 0
    record_account_event(user=user, action="auth.api_tokens_revoked", actor=None,
                         details={"tokens": tokens, "reason": reason})
    return ApiToken.objects.filter(pk__in=tokens).delete()[0]


def request_worker_check(group, *, actor):
    """Create the row and hand its id to the worker once the row is committed."""
    ensure_can(actor, Action.CHECK_WORKER, group)
    with transaction.atomic():
        check = WorkerCheck.objects.create(group=group, requested_by=actor)
        check.enqueue(run_worker_check)
    # Sent (or failed) once committed: what the caller shows is the row as it is now, not as it was created.
    check.refresh_from_db()
    return check


@transaction.atomic
def set_two_factor_requirement(group, *, required, actor):
    """Require (or stop requiring) every member of `group` to sign in with a second factor."""
    from accounts.signin import has_second_factor

    ensure_can(actor, Action.MANAGE_MEMBERS, group)
    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.requires_two_factor == required:
        return group
    if required and not has_second_factor(actor):
        # Else the coordinator's next click would send them to set it up, a surprise better given here.
        raise ValidationError(_("Set up two-factor sign-in for your own account first (Sign-in security)."))
    before = {"requires_two_factor": group.requires_two_factor}
    group.requires_two_factor = required
    group.save(update_fields=["requires_two_factor"])
    record_change(actor=actor, obj=group, action="group.two_factor_required" if required
                  else "group.two_factor_not_required", before=before, after={"requires_two_factor": required})
    return group


# A group's yes/no settings that a coordinator turns on or off, each with the audit actions of turning it on and
# off. Source capture's switch is evidence's (evidence.capture.services.set_source_capture); it is named here so that
# one verb, and the API's group settings, serve every one of them without accounts importing evidence.
GROUP_FLAGS = {
    "listed_for_sharing": ("group.listed_for_sharing", "group.unlisted_for_sharing"),
    "alert_titles_shown": ("group.alert_titles_shown", "group.alert_titles_hidden"),
    "captures_sources": ("group.source_capture_on", "group.source_capture_off"),
}


def set_group_flag(group, field, value, *, actor):
    """Turn one of a group's yes/no settings on or off (coordinators), with its audit row; if unchanged, none."""
    action_on, action_off = GROUP_FLAGS[field]
    ensure_can(actor, Action.MANAGE_MEMBERS, group)
    group = Group.objects.select_for_update().get(pk=group.pk)
    if getattr(group, field) == value:
        return group
    before = {field: getattr(group, field)}
    setattr(group, field, value)
    group.save(update_fields=[field])
    record_change(actor=actor, obj=group, action=action_on if value else action_off, before=before,
                  after={field: value})
    return group


@transaction.atomic
def set_group_flags(group, *, actor, **values):
    """Several of a group's yes/no settings at once (the API's group settings): all of them changed, or none."""
    for field, value in values.items():
        group = set_group_flag(group, field, value, actor=actor)
    return group


@transaction.atomic
def set_alert_titles_shown(group, *, shown, actor):
    """Let (or stop letting) saved-search e-mails and feeds name `group`'s records by title."""
    return set_group_flag(group, "alert_titles_shown", shown, actor=actor)


@transaction.atomic
def set_listed_for_sharing(group, *, listed, actor):
    """List `group` among the groups others may share evidence with (its name shows to their coordinators), or not."""
    return set_group_flag(group, "listed_for_sharing", listed, actor=actor)


def export_audit_log(group, entries, *, actor, out):
    """Write `entries` to `out` as CSV, and record that the log was exported (itself a sensitive action)."""
    ensure_can(actor, Action.VIEW_AUDIT, group)
    writer = CsvWriter(out)
    writer.writerow(["time (UTC)", "action", "actor", "object type", "object id", "object", "before", "after",
                     "API token"])
    count = 0
    for entry in entries.iterator(chunk_size=500):
        writer.writerow([
            entry.created_at.astimezone(UTC).isoformat(timespec="seconds"), entry.action,
            entry.actor.username if entry.actor else "", entry.object_type, entry.object_id,
            entry.object_repr, _json_or_blank(entry.before), _json_or_blank(entry.after),
            f"{entry.via_token_name} ({entry.via_token_id})" if entry.via_token_id else "",
        ])
        count += 1
    record_change(actor=actor, obj=group, action="audit.exported", after={"entries": count})
    return count


def _json_or_blank(value):
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
