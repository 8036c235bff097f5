"""
Evidence records: the changes volunteers and verifiers make. Each function is one transaction that checks the
actor's role, applies the model's rules and writes one history row with the fields that changed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import history_of, record_change, record_diff
from accounts.ids import in_ascending_ids
from accounts.models import Group
from accounts.permissions import Action, can, ensure_can
from evidence.models import Attachment, Citation, EvidenceRecord, RecordInstitution, Tag
from evidence.services.publicity import withdraw_public_mark

Status = EvidenceRecord.Status

# Which status each step starts from.
STEPS = {
    "submit": {Status.DRAFT, Status.REJECTED},
    "verify": {Status.SUBMITTED},
    "reject": {Status.SUBMITTED},
    "reopen": {Status.VERIFIED, Status.REJECTED},
}


def locked(record):
    """The record again, its row locked until the transaction ends."""
    return EvidenceRecord.objects.select_for_update().get(pk=record.pk)


def _set_relations(record, *, group, institutions=None, citations=None, tags=None, recommendations=None,
                   rights=None, actor=None):
    if institutions is not None:
        for institution, _role in institutions:
            if institution.added_by_group_id not in (None, group.pk):
                raise ValidationError({"institutions": _("A record can only name the shared directory's institutions "
                                                         "and its own group's.")})
        record.institution_links.all().delete()
        RecordInstitution.objects.bulk_create(in_ascending_ids(
            RecordInstitution(record=record, institution=institution, role=role)
            for institution, role in dict.fromkeys(institutions)
        ))
    if citations is not None:
        for citation in citations:
            if citation["source"].group_id != group.pk:
                raise ValidationError({"citations": _("A record can only cite its own group's sources.")})
        record.citations.all().delete()
        Citation.objects.bulk_create(in_ascending_ids(Citation(record=record, captured_by=actor, **c)
                                                      for c in citations))
    if tags is not None:
        record.tags.set([Tag.objects.get_or_create(group=group, name=name.strip())[0]
                         for name in dict.fromkeys(tags) if name.strip()])
    if recommendations is not None:
        record.recommendations.set(recommendations)
    if rights is not None:
        record.rights.set(rights)


@transaction.atomic
def create_record(group, *, actor, institutions=(), citations=(), tags=(), recommendations=(), rights=(),
                  **fields):
    """A new draft in `group`. `institutions` is [(institution, role)], `citations` [{source, excerpt, …}]."""
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    record = EvidenceRecord(group=group, created_by=actor, **fields)
    record.full_clean(exclude=["group"])
    record.save()
    _set_relations(record, group=group, institutions=list(institutions), citations=list(citations),
                   tags=list(tags), recommendations=list(recommendations), rights=list(rights), actor=actor)
    record_diff(actor=actor, obj=record, action="evidence.created", before=None)
    return record


@transaction.atomic
def update_record(record, *, actor, institutions=None, citations=None, tags=None, recommendations=None,
                  rights=None, **fields):
    record = locked(record)
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    if record.status == Status.VERIFIED:
        raise ValidationError(_("A verified record is reopened before it is edited."))
    before = record.to_dict()
    for key, value in fields.items():
        setattr(record, key, value)
    record.full_clean(exclude=["group"])
    record.save()
    _set_relations(record, group=record.group, institutions=institutions, citations=citations, tags=tags,
                   recommendations=recommendations, rights=rights, actor=actor)
    record_diff(actor=actor, obj=record, action="evidence.updated", before=before, even_if_unchanged=True)
    record.shares_withdrawn = _keep_shareable(record, actor=actor)
    record.public_withdrawn = withdraw_public_mark(record, actor=actor)
    return record


def _sharing(record):
    return {"shared_with": sorted(g.slug for g in record.shared_with.all()),
            "shared_with_everyone": record.shared_with_everyone}


def _keep_shareable(record, *, actor):
    """
    Withdraw the shares of a record whose content may no longer leave its group (protected, or naming an
    institution only its group sees), with its own history row, in the caller's transaction. Called after every
    change of a record's content, so that a share never survives what would have refused it. Withdrawing rather
    than refusing the change: a verifier checks the facts and may not share, and a record's accuracy must not
    wait on its sharing; the coordinator sees the row in the history and can share again once the rule holds.
    Returns the reason, or '' when nothing was withdrawn.
    """
    if not record.is_shared:
        return ""
    refusal = record.sharing_refusal()
    if not refusal:
        return ""
    before = _sharing(record)
    record.shared_with.clear()
    record.shared_with_everyone = False
    record.save(update_fields=["shared_with_everyone", "updated_at"])
    record_change(actor=actor, obj=record, action="evidence.shared", before=before, after=_sharing(record))
    return str(refusal)


def _move(record, step, *, actor, action, to, reason=""):
    record = locked(record)
    ensure_can(actor, action, record.group)
    if record.status not in STEPS[step]:
        raise ValidationError(_("A %(status)s record cannot be %(step)s.") % {
            "status": record.get_status_display().lower(), "step": to.label.lower()})
    before = record.to_dict()
    record.status = to
    if step == "submit":
        record.submitted_by, record.submitted_at = actor, timezone.now()
        record.decided_by, record.decided_at, record.decision_reason = None, None, ""
    elif step in ("verify", "reject"):
        # The two-person check: whoever submitted a record cannot be the one who accepts or rejects it.
        if record.submitted_by_id == actor.pk:
            raise ValidationError(_("Someone other than the person who submitted it must check it."))
        record.decided_by, record.decided_at, record.decision_reason = actor, timezone.now(), reason
    else:
        record.decided_by, record.decided_at, record.decision_reason = actor, timezone.now(), reason
    record.save()
    record_diff(actor=actor, obj=record, action=f"evidence.{step}", before=before, even_if_unchanged=True)
    record.shares_withdrawn = _keep_shareable(record, actor=actor)
    record.public_withdrawn = withdraw_public_mark(record, actor=actor)
    return record


@transaction.atomic
def submit_record(record, *, actor):
    if not record.citations.exists():
        raise ValidationError(_("Cite at least one source before submitting the record for verification."))
    return _move(record, "submit", actor=actor, action=Action.LOG_EVIDENCE, to=Status.SUBMITTED)


@transaction.atomic
def verify_record(record, *, actor):
    return _move(record, "verify", actor=actor, action=Action.VERIFY_EVIDENCE, to=Status.VERIFIED)


@transaction.atomic
def reject_record(record, *, actor, reason):
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the record is rejected, so it can be fixed.")})
    return _move(record, "reject", actor=actor, action=Action.VERIFY_EVIDENCE, to=Status.REJECTED,
                 reason=reason.strip())


@transaction.atomic
def reopen_record(record, *, actor, reason=""):
    return _move(record, "reopen", actor=actor, action=Action.VERIFY_EVIDENCE, to=Status.DRAFT, reason=reason)


@transaction.atomic
def share_record(record, *, actor, groups=(), everyone=False):
    """Share a verified, unprotected record with named groups or every group; an empty share withdraws it."""
    record = locked(record)
    ensure_can(actor, Action.SHARE_EVIDENCE, record.group)
    if groups or everyone:
        refusal = record.sharing_refusal() if record.status == Status.VERIFIED else _(
            "Only verified records that are not protected can be shared.")
        if refusal:
            raise ValidationError(refusal)
    groups = [g for g in groups if g.pk != record.group_id]
    current = {g.pk for g in record.shared_with.all()}
    added = [g.pk for g in groups if g.pk not in current]
    if len(set(Group.objects.share_partners(actor).filter(pk__in=added).values_list("pk", flat=True))) < len(
            set(added)):
        # The same words as for a slug no group has: whether an unlisted group exists is not told.
        raise ValidationError({"groups": _("No such group.")})
    before = _sharing(record)
    record.shared_with.set(groups)
    record.shared_with_everyone = everyone
    record.save(update_fields=["shared_with_everyone", "updated_at"])
    record_change(actor=actor, obj=record, action="evidence.shared", before=before, after=_sharing(record))
    return record


def who_can_verify(record):
    """
    The usernames of the members of the record's group who may verify it now: active, with a role that verifies,
    not the person who submitted it (the two-person check in `_move`), and holding the second factor their group
    requires (without it they cannot read the record). Names for the record's own group only: callers go through
    evidence.disclosure.
    """
    from allauth.mfa.models import Authenticator
    from django.db.models import Exists, OuterRef, Q

    from accounts.models import Membership
    from accounts.permissions import roles_allowed
    from accounts.signin import SECOND_FACTORS

    has_second_factor = Exists(Authenticator.objects.filter(user=OuterRef("user"), type__in=SECOND_FACTORS))
    members = (Membership.objects.filter(group_id=record.group_id, role__in=roles_allowed(Action.VERIFY_EVIDENCE),
                                         user__is_active=True)
               .filter(Q(group__requires_two_factor=False) | has_second_factor))
    if record.submitted_by_id is not None:
        members = members.exclude(user_id=record.submitted_by_id)
    return list(members.order_by("user__username").values_list("user__username", flat=True))


def may_delete(record, user):
    """Coordinators delete any record of their group; whoever logged a draft may delete it until it is submitted."""
    if can(user, Action.DELETE_EVIDENCE, record.group):
        return True
    return (record.created_by_id == user.pk and record.status == Status.DRAFT and record.submitted_at is None
            and can(user, Action.LOG_EVIDENCE, record.group))


def ensure_may_delete(record, user):
    if not may_delete(record, user):
        raise PermissionDenied(_("Only a coordinator, or whoever logged a draft before it is submitted, may delete "
                                 "a record."))


@transaction.atomic
def delete_record(record, *, actor):
    """
    Delete a record for good: its files, citations, links to institutions and campaign targets (in any group it was
    shared with), and the content of its history rows, which keep only who did what when. Deleting is what a group
    does when a record endangers someone, so nothing of it may stay readable; stance changes that cited it keep
    their place and say so (campaigns.models).
    """
    record = locked(record)
    ensure_may_delete(record, actor)
    stored = [attachment.file.name for attachment in record.attachments.all()]
    record_change(actor=actor, obj=record, action="evidence.deleted")
    history_of(record).update(before=None, after=None, object_repr=gettext("a deleted record"))
    record.delete()
    storage = Attachment._meta.get_field("file").storage
    # Files go once the rows are gone for good: a rolled-back delete keeps them.
    transaction.on_commit(lambda: [storage.delete(name) for name in stored])
