"""
How long the near-duplicate lookup takes among 100,000 pictures of one group: `python -m bench.near_duplicates`
with DATABASE_URL set to a migrated database (nothing is kept: everything runs in a transaction that is rolled
back). Prints the lookup's time (evidence/near_duplicates.py: the four indexed 16-bit bands, then the candidates
compared in full) for queries near a stored hash and for unrelated ones, and, to compare, a scan that reads every
hash of the group. Results are in bench/README.md.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HASHES = int(os.environ.get("BENCH_HASHES", "100000"))
QUERIES = 50


def figures(label, seconds):
    seconds = sorted(seconds)
    p95 = seconds[int(0.95 * (len(seconds) - 1))]
    print(f"{label:42} median {statistics.median(seconds) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms")


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from accounts.models import Group
    from evidence.models import Attachment, EvidenceRecord
    from evidence.near_duplicates import near_duplicates
    from evidence.similar import BAND_FIELDS, bands, distance

    rng = random.Random(19)
    with transaction.atomic():
        group = Group.objects.create(name="Bench near-duplicates", slug="bench-near-duplicates")
        other = Group.objects.create(name="Bench other group", slug="bench-other-group")
        record = EvidenceRecord.objects.create(group=group, title="Bench", summary="Bench", kind="deployment")
        other_record = EvidenceRecord.objects.create(group=other, title="Bench", summary="Bench", kind="deployment")
        stored = []
        start = time.perf_counter()
        for batch in range(0, HASHES, 5000):
            rows = []
            for i in range(batch, min(batch + 5000, HASHES)):
                phash = f"{rng.getrandbits(64):016x}"
                stored.append(phash)
                owner, owner_record = (group, record) if i % 10 else (other, other_record)
                rows.append(Attachment(group=owner, record=owner_record, original_name=f"{i}.jpg",
                                       content_type="image/jpeg", size=1, sha256=f"{i:064x}", file=f"bench/{i}.jpg",
                                       phash=phash, **dict(zip(BAND_FIELDS, bands(phash), strict=True))))
            Attachment.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE evidence_attachment")
        print(f"{HASHES:,} hashes stored ({connection.vendor}) in {time.perf_counter() - start:.1f} s; "
              f"{sum(1 for i in range(HASHES) if i % 10):,} of them the group's own")

        def near(phash, bits):
            value = int(phash, 16)
            for bit in rng.sample(range(64), bits):
                value ^= 1 << bit
            return f"{value:016x}"

        own = [phash for i, phash in enumerate(stored) if i % 10]
        near_queries = [near(rng.choice(own), rng.randrange(0, 7)) for _ in range(QUERIES)]
        random_queries = [f"{rng.getrandbits(64):016x}" for _ in range(QUERIES)]
        for label, queries in (("lookup, a hash 0-6 bits from a stored one", near_queries),
                               ("lookup, an unrelated hash", random_queries)):
            near_duplicates(group, queries[0])  # warm up
            seconds, found = [], 0
            for phash in queries:
                start = time.perf_counter()
                found += bool(near_duplicates(group, phash))
                seconds.append(time.perf_counter() - start)
            figures(label, seconds)
            print(f"{'':42} {found} of {len(queries)} found a near-duplicate")

        if os.environ.get("BENCH_EXPLAIN"):
            from evidence.similar import near_query

            print(Attachment.objects.filter(near_query(near_queries[0]), group=group).explain(analyze=True))
        seconds = []
        for phash in near_queries[:10]:
            start = time.perf_counter()
            every = Attachment.objects.filter(group=group).exclude(phash="").values_list("phash", flat=True)
            [other for other in every if distance(phash, other) <= 6]
            seconds.append(time.perf_counter() - start)
        figures("for comparison: a scan of every hash", seconds)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
