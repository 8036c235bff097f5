"""
Near-duplicate pictures: a perceptual hash (pHash, by `imagehash`) of every image attachment and capture
screenshot, so that a new picture that looks like one the group already has (resized, recompressed, slightly
cropped) is flagged, as an exact copy (the same SHA-256) is.

Two pictures are near-duplicates when their 64-bit hashes differ in at most NEAR_DUPLICATE_MAX_DISTANCE bits
(Hamming distance). Resized and recompressed copies of one photo differ in 0-4 bits; unrelated photos in about 32.

The lookup is an index, not a scan: each hash is also stored as four 16-bit bands, each indexed with the group.
Two hashes at most 7 bits apart have at least one band at most 1 bit apart (four bands each 2 or more bits apart
make 8), so the candidates are the group's files with some band equal to the new one's or one bit from it
(4 x 17 indexed values), and only those are compared in full. bench/near_duplicates.py prints the time at 100k.
"""

import logging

from django.db import models
from django.db.models import Q

NEAR_DUPLICATE_MAX_DISTANCE = 6
BANDS = 4
BAND_BITS = 16
BAND_FIELDS = [f"phash_band_{band}" for band in range(BANDS)]
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Pictures larger than this are not hashed (a decompression bomb would take the worker's memory).
MAX_PIXELS = 60_000_000
logger = logging.getLogger(__name__)


class PerceptualHashed(models.Model):
    """The perceptual hash of a stored picture ('' for other files) and its four indexed bands."""

    phash = models.CharField(max_length=16, blank=True, editable=False)
    # Why a picture has no hash, when hashing it was tried and failed (manage.py backfill_perceptual_hashes
    # records it, so that a later run skips the picture instead of reading it again).
    phash_failure = models.CharField(max_length=300, blank=True, editable=False)
    phash_band_0 = models.IntegerField(null=True, editable=False)
    phash_band_1 = models.IntegerField(null=True, editable=False)
    phash_band_2 = models.IntegerField(null=True, editable=False)
    phash_band_3 = models.IntegerField(null=True, editable=False)

    class Meta:
        abstract = True

    @staticmethod
    def band_indexes(prefix):
        return [models.Index(fields=["group", f"phash_band_{band}"], name=f"{prefix}_phash_band_{band}")
                for band in range(BANDS)]

    def set_phash(self, phash):
        self.phash = phash or ""
        for name, value in zip(BAND_FIELDS, bands(phash) if phash else [None] * BANDS, strict=True):
            setattr(self, name, value)


def bands(phash):
    value = int(phash, 16)
    return [(value >> (BAND_BITS * (BANDS - 1 - band))) & 0xFFFF for band in range(BANDS)]


def perceptual_hash(handle):
    """The 16-hex-digit pHash of the picture in the open file `handle`, or '' if it cannot be read as one."""
    return perceptual_hash_or_failure(handle)[0]


def perceptual_hash_or_failure(handle):
    """(pHash, '') of the picture in the open file `handle`, or ('', why not) if it cannot be read as one."""
    import imagehash
    from PIL import Image

    try:
        handle.seek(0)
        with Image.open(handle) as image:
            if image.width * image.height > MAX_PIXELS:
                return "", f"larger than {MAX_PIXELS:,} pixels ({image.width}x{image.height})"
            image.draft("L", (512, 512))  # JPEGs decode at a fraction of their size: pHash looks at 32x32
            return str(imagehash.phash(image)), ""
    except Exception as exc:  # a damaged or unusual picture is kept, only not compared
        logger.info("No perceptual hash for a picture: %s", exc)
        return "", f"not readable as a picture: {exc}"[:300]
    finally:
        handle.seek(0)


def distance(first, second):
    return (int(first, 16) ^ int(second, 16)).bit_count()


def _near_band_values(value):
    return [value, *(value ^ (1 << bit) for bit in range(BAND_BITS))]


def near_query(phash):
    """The rows whose hash may be within the threshold of `phash`: some band equal or one bit away."""
    query = Q()
    for band, value in enumerate(bands(phash)):
        query |= Q(**{f"phash_band_{band}__in": _near_band_values(value)})
    return query
