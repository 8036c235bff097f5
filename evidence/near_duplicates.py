"""
Finding the group's pictures that look like a new one (evidence/similar.py says how the hashes are made and
indexed): its attachments and its capture screenshots, never another group's.
"""

import operator
from functools import reduce

from evidence.models import Attachment, CaptureFile
from evidence.similar import NEAR_DUPLICATE_MAX_DISTANCE, distance, near_query

# How many candidates (rows with a band near the hash) are read for one picture, at most.
CANDIDATES_PER_PICTURE = 2000
# How many near-duplicates are given for one picture, the closest.
SHOWN_PER_PICTURE = 20


def near_duplicates(group, phash, *, exclude=()):
    """
    The group's pictures (attachments and capture screenshots) that look like `phash`, closest first, each as
    (distance, row). Only `group`'s own files are looked at: another group's never show, even that they exist.
    `exclude` names rows (model instances) to leave out, such as the new file itself.
    """
    excluded = {(type(row), row.pk) for row in exclude}
    return _near_duplicates_of({None: (group.pk, phash, excluded)})[None]


def near_duplicates_of(files):
    """
    near_duplicates() of each of `files` (attachments or capture files, each looked up in its own group and
    leaving itself out), for a list: the same few queries for one file or a page of them.
    Returns {(model, pk): [(distance, row), ...]}.
    """
    return _near_duplicates_of({(type(file), file.pk): (file.group_id, file.phash, {(type(file), file.pk)})
                                for file in files})


def _near_duplicates_of(wanted):
    """`wanted`: {key: (group id, phash, excluded (model, pk) pairs)} -> {key: [(distance, row), ...]}."""
    found = {key: [] for key in wanted}
    hashed = {key: value for key, value in wanted.items() if value[1]}
    if not hashed:
        return found
    groups = {group_id for group_id, _phash, _excluded in hashed.values()}
    query = reduce(operator.or_, (near_query(phash) for _group_id, phash, _excluded in hashed.values()))
    for model, related in ((Attachment, "record"), (CaptureFile, "capture__source")):
        # The candidates' hashes only; the few within the threshold are then read whole, in one query.
        candidates = list(model.objects.filter(query, group_id__in=groups)
                          .values_list("pk", "phash", "group_id")[:CANDIDATES_PER_PICTURE * len(hashed)])
        gaps = {key: {pk: gap for pk, other, group_id in candidates
                      if group_id == wanted_group and (model, pk) not in excluded
                      and (gap := distance(phash, other)) <= NEAR_DUPLICATE_MAX_DISTANCE}
                for key, (wanted_group, phash, excluded) in hashed.items()}
        close = {pk for by_pk in gaps.values() for pk in by_pk}
        if close:
            rows = model.objects.filter(pk__in=close).select_related(related).in_bulk()
            for key, by_pk in gaps.items():
                found[key] += [(gap, rows[pk]) for pk, gap in by_pk.items() if pk in rows]
    for key, pairs in found.items():
        pairs.sort(key=lambda pair: (pair[0], pair[1].uploaded_at, pair[1].pk))
        found[key] = pairs[:SHOWN_PER_PICTURE]
    return found


def describe(row):
    """Where a near-duplicate is, for pages and the API: its title and the page that shows it."""
    if hasattr(row, "record"):
        return {"title": row.record.title, "url": row.record.get_absolute_url(), "file": row.original_name}
    source = row.capture.source
    return {"title": source.title, "url": row.capture.get_absolute_url(), "file": row.original_name}
