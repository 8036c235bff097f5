"""
Evidence records: the changes volunteers and verifiers make. Each function is one transaction that checks the
actor's role, applies the model's rules and writes one history row with the fields that changed.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import history_of, record_change
from accounts.ids import in_ascending_ids
from accounts.models import Group
from accounts.permissions import Action, can, ensure_can
from evidence import bulk
from evidence.attachments import check_upload
from evidence.bulk import BulkOutcome
from evidence.models import Attachment, Citation, EvidenceRecord, RecordInstitution, Tag

Status = EvidenceRecord.Status

# Which status each step starts from.
STEPS = {
    "submit": {Status.DRAFT, Status.REJECTED},
    "verify": {Status.SUBMITTED},
    "reject": {Status.SUBMITTED},
    "reopen": {Status.VERIFIED, Status.REJECTED},
}


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
    _audit(actor, record, "evidence.created", before=None)
    return record


@transaction.atomic
def update_record(record, *, actor, institutions=None, citations=None, tags=None, recommendations=None,
                  rights=None, **fields):
    record = _locked(record)
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
    _audit(actor, record, "evidence.updated", before)
    record.shares_withdrawn = _keep_shareable(record, actor=actor)
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
    record = _locked(record)
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
    _audit(actor, record, f"evidence.{step}", before)
    record.shares_withdrawn = _keep_shareable(record, actor=actor)
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
    record = _locked(record)
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
    record = _locked(record)
    ensure_may_delete(record, actor)
    stored = [attachment.file.name for attachment in record.attachments.all()]
    record_change(actor=actor, obj=record, action="evidence.deleted")
    history_of(record).update(before=None, after=None, object_repr=gettext("a deleted record"))
    record.delete()
    storage = Attachment._meta.get_field("file").storage
    # Files go once the rows are gone for good: a rolled-back delete keeps them.
    transaction.on_commit(lambda: [storage.delete(name) for name in stored])


def add_attachment(record, *, actor, uploaded_file):
    """
    Store a checked file in private storage and attach it to a record of the actor's group. A refused file is
    never written; a file written for a row that then fails is removed again. The returned attachment's
    `duplicates` lists the group's attachments with the same content.
    """
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    if record.status == Status.VERIFIED:
        raise ValidationError(_("A verified record is reopened before files are added to it."))
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


#
# Tags, and one change applied to many records at once
#

TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length


def _tag_name(name):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"tag": _("Give the tag a name.")})
    if len(name) > TAG_MAX_LENGTH:
        raise ValidationError({"tag": _("A tag has at most %(limit)s characters.") % {"limit": TAG_MAX_LENGTH}})
    return name


@transaction.atomic
def tag_record(record, *, actor, name):
    """Add one of the group's tags (made if new) to a record. Tags are the group's own labels, so a verified
    record takes them too."""
    name = _tag_name(name)
    record = _locked(record)
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    before = sorted(t.name for t in record.tags.all())
    if name in before:
        return False
    record.tags.add(Tag.objects.get_or_create(group=record.group, name=name)[0])
    record_change(actor=actor, obj=record, action="evidence.tagged",
                  before={"tags": before}, after={"tags": sorted([*before, name])})
    return True


@transaction.atomic
def untag_record(record, *, actor, name):
    name = _tag_name(name)
    record = _locked(record)
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    before = sorted(t.name for t in record.tags.all())
    if name not in before:
        return False
    record.tags.remove(*record.tags.filter(name=name))
    record_change(actor=actor, obj=record, action="evidence.untagged",
                  before={"tags": before}, after={"tags": [t for t in before if t != name]})
    return True


BULK_LIMIT = 500


class BulkAction(TextChoices):
    TAG = "tag", _("Add a tag")
    UNTAG = "untag", _("Remove a tag")
    SUBMIT = "submit", _("Submit for verification")
    SHARE = "share", _("Share with other groups")


def _share_more(record, *, actor, groups, everyone):
    current = list(record.shared_with.all())
    wanted = list({g.pk: g for g in [*current, *groups] if g.pk != record.group_id}.values())
    if len(wanted) == len(current) and (record.shared_with_everyone or not everyone):
        return False
    share_record(record, actor=actor, groups=wanted, everyone=record.shared_with_everyone or everyone)
    return True


def _submit_unless_submitted(record, *, actor):
    if record.status in (Status.SUBMITTED, Status.VERIFIED):
        return False
    submit_record(record, actor=actor)
    return True


def bulk_change(records, *, actor, action, tag="", groups=(), everyone=False, **provided_inputs):
    """
    Apply one change to each of `records` (at most BULK_LIMIT) that belongs to one of the actor's groups.
    Each record changes in its own transaction with its own history row; a record the change does not fit
    (a shared copy, a role that does not allow it, a draft with no source to submit …) is counted with the
    reason and left as it was. An action another app provides (evidence.bulk, e.g. adding to a campaign target)
    gets the records the actor can see, shared copies included, and its own inputs.
    """
    records = list(records)
    if len(records) > BULK_LIMIT:
        raise ValidationError(_("At most %(limit)s records change at once; narrow the filters.")
                              % {"limit": BULK_LIMIT})
    if bulk.provided(action):
        return bulk.perform(action, records, actor=actor, **provided_inputs)
    action = BulkAction(action)
    if action in (BulkAction.TAG, BulkAction.UNTAG):
        tag = _tag_name(tag)
    if action == BulkAction.SHARE and not (groups or everyone):
        raise ValidationError({"groups": _("Choose the groups to share with, or every group.")})
    change = {
        BulkAction.TAG: lambda record: tag_record(record, actor=actor, name=tag),
        BulkAction.UNTAG: lambda record: untag_record(record, actor=actor, name=tag),
        BulkAction.SUBMIT: lambda record: _submit_unless_submitted(record, actor=actor),
        BulkAction.SHARE: lambda record: _share_more(record, actor=actor, groups=groups, everyone=everyone),
    }[action]
    own = set(EvidenceRecord.objects.owned_by_groups_of(actor).filter(pk__in=[r.pk for r in records])
              .values_list("pk", flat=True))
    outcome = BulkOutcome()
    for record in records:
        if record.pk not in own:
            outcome.refused[gettext("another group's shared record is read-only")] += 1
            continue
        try:
            changed = change(record)
        except (ValidationError, PermissionDenied) as exc:
            outcome.refused[" ".join(getattr(exc, "messages", [str(exc)]))] += 1
        else:
            if changed:
                outcome.changed += 1
            else:
                outcome.unchanged += 1
    return outcome
