"""
Finding the group's pictures that look like a new one (evidence/similar.py says how the hashes are made and
indexed): its attachments and its capture screenshots, never another group's.
"""

from evidence.models import Attachment, CaptureFile
from evidence.similar import NEAR_DUPLICATE_MAX_DISTANCE, distance, near_query


def near_duplicates(group, phash, *, exclude=()):
    """
    The group's pictures (attachments and capture screenshots) that look like `phash`, closest first, each as
    (distance, row). Only `group`'s own files are looked at: another group's never show, even that they exist.
    `exclude` names rows (model instances) to leave out, such as the new file itself.
    """
    if not phash:
        return []
    excluded = {(type(row), row.pk) for row in exclude}
    found = []
    for model, related in ((Attachment, "record"), (CaptureFile, "capture__source")):
        # The candidates' hashes only; the few within the threshold are then read whole.
        candidates = model.objects.filter(near_query(phash), group=group).values_list("pk", "phash")[:2000]
        gaps = {pk: gap for pk, other in candidates
                if (gap := distance(phash, other)) <= NEAR_DUPLICATE_MAX_DISTANCE and (model, pk) not in excluded}
        if gaps:
            found += [(gaps[row.pk], row) for row in model.objects.filter(pk__in=gaps).select_related(related)]
    found.sort(key=lambda pair: (pair[0], pair[1].uploaded_at, pair[1].pk))
    return found[:20]


def describe(row):
    """Where a near-duplicate is, for pages and the API: its title and the page that shows it."""
    if hasattr(row, "record"):
        return {"title": row.record.title, "url": row.record.get_absolute_url(), "file": row.original_name}
    source = row.capture.source
    return {"title": source.title, "url": row.capture.get_absolute_url(), "file": row.original_name}
