"""
What campaigns contributes to a group's backup (backups.archive collects it): campaigns, asks, targets, their
evidence links, letters and files, status moves and tasks.
"""

from campaigns.models import (
    AskBatch,
    Campaign,
    Interaction,
    InteractionAttachment,
    StanceChange,
    Target,
    TargetEvidence,
    Task,
)
from evidence.backup import record_exists


def group_rows(group):
    yield Campaign.objects.filter(group=group)
    yield AskBatch.objects.filter(campaign__group=group)
    yield Target.objects.filter(campaign__group=group)
    # Links to records other groups shared come along; a site without those records drops them (left_out).
    yield TargetEvidence.objects.filter(target__campaign__group=group)
    yield Interaction.objects.filter(target__campaign__group=group)
    yield InteractionAttachment.objects.filter(group=group)
    yield StanceChange.objects.filter(target__campaign__group=group)
    yield Task.objects.filter(campaign__group=group)


def left_out(obj):
    """
    For a link to, or a status move citing, a record another group shared: whether that record is missing here.
    A move that also cites an interaction loses only the record; one that cites nothing else is left out.
    Returns "drop", "unlink" (done: the move no longer cites the record) or None.
    """
    if isinstance(obj, TargetEvidence) and not record_exists(obj.record_id):
        return "drop"
    if isinstance(obj, StanceChange) and obj.evidence_id and not record_exists(obj.evidence_id):
        if not obj.interaction_id:
            return "drop"
        obj.evidence_id = None
        return "unlink"
    return None
