"""Changes to groups and memberships. Each is one transaction that also writes its audit row."""

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.audit import record_change
from accounts.models import Invitation, Membership, Role, User, WorkerCheck
from accounts.permissions import forget_roles


def _ensure_a_coordinator_remains(membership, new_role=None):
    if membership.role != Role.COORDINATOR or new_role == Role.COORDINATOR:
        return
    others = membership.group.memberships.filter(role=Role.COORDINATOR).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError("A group needs at least one coordinator: appoint another one first.")


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
            raise ValidationError(f"{user.username} is already a member of {group}.")
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
        subject=f"You are invited to join {invitation.group} on Disentangle",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def accept_invitation(invitation, *, user):
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError("This invitation has expired or was already used.")
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

    def enqueue():
        try:
            run_worker_check.delay(check.pk)
        except Exception as exc:  # the broker is unreachable: say so on the row instead of waiting forever
            WorkerCheck.objects.filter(pk=check.pk).update(
                status=WorkerCheck.Status.FAILED, error=f"The job queue could not be reached: {exc}")

    with transaction.atomic():
        check = WorkerCheck.objects.create(group=group, requested_by=actor)
        transaction.on_commit(enqueue)
    return check
