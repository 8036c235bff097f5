"""What several campaign pages share: the page size, and the visible campaigns, targets and cited evidence."""

from campaigns.models import Campaign, Target
from evidence import disclosure

PAGE_SIZE = 50
UPCOMING_DAYS = 14


def visible_campaigns(user):
    return Campaign.objects.visible_to(user).select_related("group", "lead")


def visible_targets(user):
    return Target.objects.visible_to(user).select_related("campaign__group", "institution", "owner", "batch")


def with_shown_evidence(stance_changes, user, limit=None):
    """
    The stance changes, each with `shown_evidence`: the record it cites if `user` may still see it, else None
    (the page then says "a record no longer shared with you"). Asked again on every page: evidence/disclosure.py.
    """
    changes = list(disclosure.annotate_cited(stance_changes, user)[:limit])
    for change in changes:
        change.shown_evidence = disclosure.cited_record(change)
    return changes
