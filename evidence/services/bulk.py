"""
Tags, and one change applied to many records at once. Each record changes in its own transaction, through the
same verbs as on its own page, with its own history row.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change
from accounts.permissions import Action, ensure_can
from evidence import bulk as provided_actions
from evidence.bulk import BulkOutcome
from evidence.models import EvidenceRecord, Tag
from evidence.services.records import Status, locked, share_record, submit_record

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
    record = locked(record)
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
    record = locked(record)
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
    if provided_actions.provided(action):
        return provided_actions.perform(action, records, actor=actor, **provided_inputs)
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
