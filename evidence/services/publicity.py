"""
Marking a record public: the group's consent that anyone on the web may read it where one of its published
campaigns (or another group's) cites it on the public scoreboard (campaigns/public/). What the public then sees of
it is decided in evidence/disclosure.py (the "public" column); this module only keeps the mark honest.

Why coordinators (Action.PUBLISH): the public cannot un-read a record, and it reaches people the group does not
choose; that is the same decision as sharing with every group, and bigger, so it sits with the role that shares.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change
from accounts.permissions import Action, ensure_can
from evidence.models import EvidenceRecord

Status = EvidenceRecord.Status


def public_refusal(record):
    """Why `record` may not be marked public ('' when it may): the rule for sharing, and verified now."""
    if record.status != Status.VERIFIED:
        return _("Only verified records that are not protected can be made public.")
    if record.protected:
        return _("Only verified records that are not protected can be made public.")
    return record.sharing_refusal()


@transaction.atomic
def mark_public(record, *, actor, public=True):
    """Mark (or with public=False unmark) `record` public, with its audit row; refused with the reason why not."""
    record = EvidenceRecord.objects.select_for_update().get(pk=record.pk)
    ensure_can(actor, Action.PUBLISH, record.group)
    if public:
        refusal = public_refusal(record)
        if refusal:
            raise ValidationError(refusal)
    if record.marked_public != public:
        record.marked_public = public
        record.save(update_fields=["marked_public", "updated_at"])
        record_change(actor=actor, obj=record, action="evidence.public" if public else "evidence.unpublic",
                      before={"marked_public": not public}, after={"marked_public": public})
    return record


def withdraw_public_mark(record, *, actor):
    """
    Unmark a record that may no longer be public, in the caller's transaction, with its audit row; called by every
    change of a record's content or state (evidence/services/records.py). Unlike a share, which an unverified
    record only suspends, a reopened record loses the mark: it is then edited and verified again by volunteers,
    and what the whole web reads must be a coordinator's decision on what it says now.
    Returns the reason, or '' when nothing was withdrawn.
    """
    if not record.marked_public:
        return ""
    refusal = public_refusal(record)
    if not refusal:
        return ""
    record.marked_public = False
    record.save(update_fields=["marked_public", "updated_at"])
    record_change(actor=actor, obj=record, action="evidence.unpublic", before={"marked_public": True},
                  after={"marked_public": False})
    return str(refusal)
