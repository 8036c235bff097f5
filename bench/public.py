"""
How fast the public scoreboard answers an anonymous visitor: `python bench/public.py` with DATABASE_URL set.

Seeds one published campaign with --targets targets (default 1,000), each with a history of stance changes (some
citing records marked public, some private ones), among --records evidence records (default 100,000) of several
groups, into the database DATABASE_URL names (an empty one; a database holding other records is refused), then
loads the campaign's public page as an anonymous visitor through Django's test client, the whole stack but the
network: first with the cache emptied before each load (a page built afresh, as after any change), then as it is
served between changes (cached). Prints p50/p95/max of each in ms. Target: the cached load under 50 ms.

Runs on SQLite too (DATABASE_URL=sqlite:///var/bench-public.sqlite3) for a smaller run; say which in the figures.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GROUPS = 10
CHANGES_PER_TARGET = 3
STATUSES = ["contacted", "in_dialogue", "committed"]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # do not keep every seeding query in memory
    settings.ALLOWED_HOSTS = ["testserver"]


def seed(records, targets):
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Group, User
    from campaigns.models import Campaign, StanceChange, Target
    from evidence.models import Citation, EvidenceRecord, Institution, Source

    call_command("migrate", verbosity=0)
    if EvidenceRecord.objects.exists():
        if not Group.objects.filter(slug="bench-public-0").exists():
            sys.exit("The database holds evidence records this script did not write: use an empty database.")
        return Campaign.objects.get(title="Bench public campaign")
    started = time.monotonic()
    with transaction.atomic():
        user = User.objects.create_user(username="bench-public", password="x")
        groups = [Group.objects.create(name=f"Bench public {n}", slug=f"bench-public-{n}") for n in range(GROUPS)]
        sources = Source.objects.bulk_create(
            [Source(group=g, title=f"Source {n} of {g.slug}", url=f"https://example.org/{g.slug}/{n}")
             for g in groups for n in range(20)])
        made = []
        for start in range(0, records, 5000):
            batch = [EvidenceRecord(group=groups[n % GROUPS], title=f"Record {n}", summary=f"Summary of record {n}",
                                    kind="deployment", status="verified" if n % 3 else "draft",
                                    marked_public=n % 6 == 1, created_by=user)
                     for n in range(start, min(start + 5000, records))]
            made += EvidenceRecord.objects.bulk_create(batch)
        own = groups[0]
        own_sources = [s for s in sources if s.group_id == own.pk]
        cited = [r for r in made if r.group_id == own.pk and r.status == "verified"][: targets * 2]
        Citation.objects.bulk_create([Citation(record=r, source=own_sources[n % len(own_sources)],
                                               excerpt="An excerpt.") for n, r in enumerate(cited)])
        institutions = Institution.objects.bulk_create(
            [Institution(slug=f"bench-public-{n}", name=f"Institution {n:04d}", kind="company")
             for n in range(targets)])
        campaign = Campaign.objects.create(group=own, title="Bench public campaign", goal="A goal.",
                                           public_summary="What the group says in public.", status="active",
                                           published_at=timezone.now())
        rows = Target.objects.bulk_create([Target(campaign=campaign, institution=i, ask="Stop it.",
                                                  status=STATUSES[-1]) for i in institutions])
        changes = []
        for n, target in enumerate(rows):
            previous = "identified"
            for step, status in enumerate(STATUSES[:CHANGES_PER_TARGET]):
                evidence = cited[(n * 2 + step) % len(cited)] if status == "committed" else None
                changes.append(StanceChange(target=target, from_status=previous, to_status=status,
                                            evidence=evidence, note="Internal note", changed_by=user))
                previous = status
        StanceChange.objects.bulk_create(changes)
    print(f"seeded {records:,} records, {targets:,} targets, {len(changes):,} stance changes in "
          f"{time.monotonic() - started:.0f} s")
    return campaign


def timed(load, repeat):
    figures = []
    for _ in range(repeat):
        started = time.perf_counter()
        load()
        figures.append((time.perf_counter() - started) * 1000)
    figures.sort()
    return statistics.median(figures), figures[max(0, round(len(figures) * 0.95) - 1)], figures[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--targets", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    campaign = seed(args.records, args.targets)
    url = reverse("public-campaign", args=[campaign.pk])
    client = Client()

    def load():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def load_afresh():
        cache.clear()
        load()

    load_afresh()
    size = len(client.get(url).content)
    print(f"{connection.vendor}, cache {cache.__class__.__name__}; page of {args.targets:,} targets, {size:,} bytes")
    for label, function in (("built afresh", load_afresh), ("cached", load)):
        p50, p95, top = timed(function, args.repeat)
        print(f"anonymous load, {label:12}: p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {top:7.1f} ms "
              f"({args.repeat} loads)")


if __name__ == "__main__":
    main()
