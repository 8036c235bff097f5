"""Changes to groups and memberships. Each is one transaction that also writes its audit row."""

import json
from datetime import UTC

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_change
from accounts.models import Group, Invitation, Membership, Role, User, WorkerCheck
from accounts.permissions import forget_roles
from config.celery import enqueue
from config.spreadsheets import CsvWriter


def _ensure_a_coordinator_remains(membership, new_role=None):
    if membership.role != Role.COORDINATOR or new_role == Role.COORDINATOR:
        return
    others = membership.group.memberships.filter(role=Role.COORDINATOR).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(_("A group needs at least one coordinator: appoint another one first."))


@transaction.atomic
def invite_member(group, *, email, role, actor):
    """
    Add the person with this e-mail address to the group, or, if nobody has it, e-mail them an invitation.
    Returns ("added", membership) or ("invited", invitation).
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email, is_active=True).order_by("pk").first()
    if user is not None:
        if Membership.objects.filter(group=group, user=user).exists():
            raise ValidationError(_("%(username)s is already a member of %(group)s.") % {"username": user.username,
                                                                                       "group": group})
        membership = Membership.objects.create(group=group, user=user, role=role)
        record_change(actor=actor, obj=membership, action="membership.added", after=membership.to_dict())
        return "added", membership

    invitation = Invitation.objects.create(group=group, email=email, role=role, invited_by=actor)
    record_change(
        actor=actor, obj=invitation, action="invitation.sent", after={"email": email, "role": role}
    )
    # robust: a mail server that is down must not turn a saved invitation into an error page; it is logged,
    # and the coordinator still sees the open invitation.
    transaction.on_commit(lambda: _send_invitation(invitation.pk), robust=True)
    return "invited", invitation


def _send_invitation(invitation_pk):
    from django.conf import settings

    invitation = Invitation.objects.select_related("group", "invited_by").get(pk=invitation_pk)
    context = {"invitation": invitation, "url": settings.SITE_URL + invitation.get_absolute_url()}
    send_mail(
        subject=_("You are invited to join %(group)s on Disentangle") % {"group": invitation.group},
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def accept_invitation(invitation, *, user):
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(_("This invitation has expired or was already used."))
    membership, created = Membership.objects.get_or_create(
        group=invitation.group, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        record_change(actor=user, obj=membership, action="membership.joined", after=membership.to_dict())
    forget_roles(user)
    return membership


@transaction.atomic
def change_role(membership, *, role, actor):
    role = Role(role)
    membership = Membership.objects.select_for_update().select_related("user", "group").get(pk=membership.pk)
    if membership.role == role:
        return membership
    _ensure_a_coordinator_remains(membership, new_role=role)
    before = membership.to_dict()
    membership.role = role
    membership.save(update_fields=["role"])
    record_change(actor=actor, obj=membership, action="membership.role_changed", before=before,
                  after=membership.to_dict())
    forget_roles(membership.user)
    return membership


@transaction.atomic
def remove_member(membership, *, actor):
    membership = Membership.objects.select_for_update().select_related("user", "group").get(pk=membership.pk)
    _ensure_a_coordinator_remains(membership)
    record_change(actor=actor, obj=membership, action="membership.removed", before=membership.to_dict())
    membership.delete()
    forget_roles(membership.user)


@transaction.atomic
def revoke_invitation(invitation, *, actor):
    record_change(actor=actor, obj=invitation, action="invitation.revoked",
                  before={"email": invitation.email, "role": invitation.role})
    invitation.delete()


def request_worker_check(group, *, actor):
    """Create the row and hand its id to the worker once the row is committed."""
    from accounts.tasks import run_worker_check

    def fail(reason):  # the broker is unreachable: say so on the row instead of waiting forever
        WorkerCheck.objects.filter(pk=check.pk).update(status=WorkerCheck.Status.FAILED, error=reason)

    with transaction.atomic():
        check = WorkerCheck.objects.create(group=group, requested_by=actor)
        transaction.on_commit(lambda: enqueue(run_worker_check, check.pk, fail=fail))
    # Sent (or failed) once committed: what the caller shows is the row as it is now, not as it was created.
    check.refresh_from_db()
    return check


@transaction.atomic
def set_two_factor_requirement(group, *, required, actor):
    """Require (or stop requiring) every member of `group` to sign in with a second factor."""
    from accounts.signin import has_second_factor

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


@transaction.atomic
def set_listed_for_sharing(group, *, listed, actor):
    """List `group` among the groups others may share evidence with (its name shows to their coordinators), or not."""
    from accounts.permissions import Action, can

    if not can(actor, Action.MANAGE_MEMBERS, group):
        raise PermissionDenied(_("Only the group's coordinators decide whether it is listed."))
    group = Group.objects.select_for_update().get(pk=group.pk)
    if group.listed_for_sharing == listed:
        return group
    before = {"listed_for_sharing": group.listed_for_sharing}
    group.listed_for_sharing = listed
    group.save(update_fields=["listed_for_sharing"])
    record_change(actor=actor, obj=group, action="group.listed_for_sharing" if listed
                  else "group.unlisted_for_sharing", before=before, after={"listed_for_sharing": listed})
    return group


def export_audit_log(group, entries, *, actor, out):
    """Write `entries` to `out` as CSV, and record that the log was exported (itself a sensitive action)."""
    writer = CsvWriter(out)
    writer.writerow(["time (UTC)", "action", "actor", "object type", "object id", "object", "before", "after"])
    count = 0
    for entry in entries.iterator(chunk_size=500):
        writer.writerow([
            entry.created_at.astimezone(UTC).isoformat(timespec="seconds"), entry.action,
            entry.actor.username if entry.actor else "", entry.object_type, entry.object_id,
            entry.object_repr, _json_or_blank(entry.before), _json_or_blank(entry.after),
        ])
        count += 1
    record_change(actor=actor, obj=group, action="audit.exported", after={"entries": count})
    return count


def _json_or_blank(value):
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
