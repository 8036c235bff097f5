"""
Perceptual hashes for pictures stored before near-duplicate detection existed (evidence/similar.py): an operator's
`manage.py backfill_perceptual_hashes`, per group or for all, safe to stop and to run again.

It works in batches of rows in id order, reading each picture through the storage API (the disk or S3 alike), so
memory holds one batch and one picture at a time. A picture already hashed is skipped; one that cannot be read (a
damaged file, one missing from storage, one too large) is recorded on its row (`phash_failure`) and skipped by
later runs, and the run goes on. Each row is written with a conditional update, so a picture hashed meanwhile (a
second run at the same time) is left as it is.
"""

from dataclasses import dataclass, field

from evidence.models import Attachment, CaptureFile
from evidence.similar import BAND_FIELDS, IMAGE_TYPES, bands, perceptual_hash_or_failure

BATCH_SIZE = 200


@dataclass
class BackfillCounts:
    """What a run did: pictures hashed, pictures that could not be read (with why), and pictures looked at."""

    hashed: int = 0
    failed: list = field(default_factory=list)  # (model label, id, why)
    looked_at: int = 0


def pictures_without_hash(model, groups=None, *, retry_failed=False):
    """The `model` rows (attachments, capture files) that are pictures without a hash, of `groups` (None: all)."""
    rows = model.objects.filter(content_type__in=IMAGE_TYPES, phash="")
    if not retry_failed:
        rows = rows.filter(phash_failure="")
    if groups is not None:
        rows = rows.filter(group__in=groups)
    return rows


def backfill(groups=None, *, batch_size=BATCH_SIZE, retry_failed=False, progress=None):
    """Hash the pictures of `groups` (None: every group) that have no hash yet; returns BackfillCounts."""
    counts = BackfillCounts()
    for model in (Attachment, CaptureFile):
        after = None
        while True:
            batch = pictures_without_hash(model, groups, retry_failed=retry_failed).order_by("pk")
            if after is not None:
                batch = batch.filter(pk__gt=after)
            batch = list(batch.only("pk", "file")[:batch_size])
            if not batch:
                break
            for row in batch:
                _hash_one(model, row, counts)
            after = batch[-1].pk
            if progress:
                progress(counts)
    return counts


def _hash_one(model, row, counts):
    counts.looked_at += 1
    try:
        with row.file.open("rb") as handle:
            phash, failure = perceptual_hash_or_failure(handle)
    except FileNotFoundError:
        phash, failure = "", "missing from storage"
    except Exception as exc:  # storage failing for this file (OSError, S3's errors): recorded, the run goes on
        phash, failure = "", f"not read from storage: {exc}"[:300]
    unhashed = model.objects.filter(pk=row.pk, phash="")
    if phash:
        counts.hashed += unhashed.update(phash=phash, phash_failure="", **dict(zip(BAND_FIELDS, bands(phash),
                                                                                   strict=True)))
    else:
        unhashed.update(phash_failure=failure)
        counts.failed.append((model._meta.label, row.pk, failure))
