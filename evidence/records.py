"""
Evidence records: the changes volunteers and verifiers make. Each function is one transaction that checks the
actor's role, applies the model's rules and writes one history row with the fields that changed.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.audit import record_change
from accounts.permissions import Action, can
from evidence.attachments import check_upload
from evidence.models import Attachment, Citation, EvidenceRecord, RecordInstitution, Tag

Status = EvidenceRecord.Status

# Which status each step starts from.
STEPS = {
    "submit": {Status.DRAFT, Status.REJECTED},
    "verify": {Status.SUBMITTED},
    "reject": {Status.SUBMITTED},
    "reopen": {Status.VERIFIED, Status.REJECTED},
}


def ensure_can(actor, action, group):
    if not can(actor, action, group):
        raise PermissionDenied("Your role in this group does not allow that.")


def _locked(record):
    return EvidenceRecord.objects.select_for_update().get(pk=record.pk)


def _audit(actor, record, action, before):
    after = record.to_dict()
    changed = sorted(key for key in after if after[key] != (before or {}).get(key))
    record_change(actor=actor, obj=record, action=action,
                  before={k: before[k] for k in changed} if before else None,
                  after={k: after[k] for k in changed})


def _set_relations(record, *, group, institutions=None, citations=None, tags=None, recommendations=None,
                   rights=None, actor=None):
    if institutions is not None:
        record.institution_links.all().delete()
        RecordInstitution.objects.bulk_create(
            RecordInstitution(record=record, institution=institution, role=role)
            for institution, role in dict.fromkeys(institutions)
        )
    if citations is not None:
        for citation in citations:
            if citation["source"].group_id != group.pk:
                raise ValidationError({"citations": "A record can only cite its own group's sources."})
        record.citations.all().delete()
        Citation.objects.bulk_create(Citation(record=record, captured_by=actor, **c) for c in citations)
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
    _audit(actor, record, "evidence.created", before=None)
    return record


@transaction.atomic
def update_record(record, *, actor, institutions=None, citations=None, tags=None, recommendations=None,
                  rights=None, **fields):
    record = _locked(record)
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    if record.status == Status.VERIFIED:
        raise ValidationError("A verified record is reopened before it is edited.")
    before = record.to_dict()
    for key, value in fields.items():
        setattr(record, key, value)
    record.full_clean(exclude=["group"])
    record.save()
    _set_relations(record, group=record.group, institutions=institutions, citations=citations, tags=tags,
                   recommendations=recommendations, rights=rights, actor=actor)
    _audit(actor, record, "evidence.updated", before)
    return record


def _move(record, step, *, actor, action, to, reason=""):
    record = _locked(record)
    ensure_can(actor, action, record.group)
    if record.status not in STEPS[step]:
        raise ValidationError(f"A {record.get_status_display().lower()} record cannot be {to.label.lower()}.")
    before = record.to_dict()
    record.status = to
    if step == "submit":
        record.submitted_by, record.submitted_at = actor, timezone.now()
        record.decided_by, record.decided_at, record.decision_reason = None, None, ""
    elif step in ("verify", "reject"):
        # The two-person check: whoever submitted a record cannot be the one who accepts or rejects it.
        if record.submitted_by_id == actor.pk:
            raise ValidationError("Someone other than the person who submitted it must check it.")
        record.decided_by, record.decided_at, record.decision_reason = actor, timezone.now(), reason
    else:
        record.decided_by, record.decided_at, record.decision_reason = actor, timezone.now(), reason
    record.save()
    _audit(actor, record, f"evidence.{step}", before)
    return record


@transaction.atomic
def submit_record(record, *, actor):
    if not record.citations.exists():
        raise ValidationError("Cite at least one source before submitting the record for verification.")
    return _move(record, "submit", actor=actor, action=Action.LOG_EVIDENCE, to=Status.SUBMITTED)


@transaction.atomic
def verify_record(record, *, actor):
    return _move(record, "verify", actor=actor, action=Action.VERIFY_EVIDENCE, to=Status.VERIFIED)


@transaction.atomic
def reject_record(record, *, actor, reason):
    if not reason.strip():
        raise ValidationError({"reason": "Say why the record is rejected, so it can be fixed."})
    return _move(record, "reject", actor=actor, action=Action.VERIFY_EVIDENCE, to=Status.REJECTED,
                 reason=reason.strip())


@transaction.atomic
def reopen_record(record, *, actor, reason=""):
    return _move(record, "reopen", actor=actor, action=Action.VERIFY_EVIDENCE, to=Status.DRAFT, reason=reason)


@transaction.atomic
def share_record(record, *, actor, groups=(), everyone=False):
    """Share a verified, unprotected record with named groups or every group; an empty share withdraws it."""
    record = _locked(record)
    ensure_can(actor, Action.SHARE_EVIDENCE, record.group)
    if (groups or everyone) and (record.status != Status.VERIFIED or record.protected):
        raise ValidationError("Only verified records that are not protected can be shared.")
    groups = [g for g in groups if g.pk != record.group_id]
    before = {"shared_with": sorted(g.slug for g in record.shared_with.all()),
              "shared_with_everyone": record.shared_with_everyone}
    record.shared_with.set(groups)
    record.shared_with_everyone = everyone
    record.save(update_fields=["shared_with_everyone", "updated_at"])
    after = {"shared_with": sorted(g.slug for g in groups), "shared_with_everyone": everyone}
    record_change(actor=actor, obj=record, action="evidence.shared", before=before, after=after)
    return record


def add_attachment(record, *, actor, uploaded_file):
    """
    Store a checked file in private storage and attach it to a record of the actor's group. A refused file is
    never written; a file written for a row that then fails is removed again. The returned attachment's
    `duplicates` lists the group's attachments with the same content.
    """
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    if record.status == Status.VERIFIED:
        raise ValidationError("A verified record is reopened before files are added to it.")
    checked = check_upload(uploaded_file)
    attachment = Attachment(
        group=record.group, record=record, original_name=checked.display_name, content_type=checked.content_type,
        size=checked.size, sha256=checked.sha256, uploaded_by=actor,
    )
    # The stored name is random: the uploader's name is only ever shown, never used as a path.
    attachment.file.save(f"{uuid.uuid4().hex}{checked.extension}", uploaded_file, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            record_change(actor=actor, obj=record, action="evidence.attachment_added",
                          after={"attachment": checked.display_name, "sha256": checked.sha256})
    except Exception:
        attachment.file.delete(save=False)
        raise
    attachment.duplicates = list(
        Attachment.objects.filter(group=record.group, sha256=checked.sha256).exclude(pk=attachment.pk)
        .select_related("record")
    )
    return attachment
