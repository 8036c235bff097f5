"""
Sources, entered once per group and cited by its records. The record form, the spreadsheet import and the API all
enter them here, so that each has its history row and none is written by a role that may not log evidence.
"""

from django.db import transaction

from accounts.audit import record_diff
from accounts.permissions import Action, ensure_can
from evidence.capture import services as captures
from evidence.models import Source

# Checked by the caller or set here: the group and creator are the verb's, and a source cites no report row itself.
_NOT_CLEANED = ["group", "created_by", "report"]


@transaction.atomic
def create_source(group, *, actor, **fields):
    """A new source of `group`, entered by `actor`."""
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    source = Source(group=group, created_by=actor, **fields)
    source.full_clean(exclude=_NOT_CLEANED)
    source.save()
    record_diff(actor=actor, obj=source, action="source.created", before=None)
    captures.capture_if_wanted(source, actor=actor)  # queued after the commit, never blocking the save
    return source


@transaction.atomic
def update_source(source, *, actor, **fields):
    """Change a source's fields; it stays in the group that entered it."""
    source = Source.objects.select_for_update().select_related("group").get(pk=source.pk)
    ensure_can(actor, Action.LOG_EVIDENCE, source.group)
    before = source.to_dict()
    for key, value in fields.items():
        setattr(source, key, value)
    source.full_clean(exclude=_NOT_CLEANED)
    source.save()
    record_diff(actor=actor, obj=source, action="source.updated", before=before)
    if source.protected and not before["protected"]:
        captures.stop_captures_of_protected(source)
    elif source.url != before["url"]:
        captures.capture_if_wanted(source, actor=actor)  # a new address is a new page to keep
    return source
