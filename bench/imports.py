"""
How fast a spreadsheet import is (issue 20: at least 1,000 rows/s on PostgreSQL for a 50,000-row file).

Makes a file of --rows rows (CSV and Excel .xlsx, as the import page takes both), then, on the database
DATABASE_URL names (your own copy of the load benchmark's data, or an empty database), times:
- preview: reading and checking the file for a group (evidence.imports.preview.read_upload), for each format;
- save: importing every row, all or nothing (evidence.imports.saving.import_rows), committed. With --per-row, the
  way it was before issue 20 instead (create_source and create_record for each row), for the "before" figure.
Each step runs in a child process of its own, which prints its rows/s and its peak memory (the growth of its
resident set above what it started with). Each run imports into a new group ("Import bench N"), so the rows
saved stay in the database; use a copy you can throw away.

  DATABASE_URL=postgres://…/mycopy python bench/imports.py --rows 50000
"""

import argparse
import csv
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ["deployment", "product_claim", "procurement", "partnership", "policy", "research", "statement", "pushback"]
ROLES = ["vendor", "deployer", "partner", "funder"]
CITIES = ["Hangzhou 杭州", "Shenzhen 深圳", "Beijing 北京", "Shanghai 上海", "Urumqi 乌鲁木齐", "Wuhan 武汉"]
HEADER = ["title", "summary", "kind", "institutions", "country", "place", "event_start", "event_end", "tags",
          "protected", "source_title", "source_url", "source_publisher", "excerpt", "translation"]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # do not keep every query in memory


def make_rows(count, institution_slugs, seed=20):
    """Rows like a group's spreadsheet: each source cited by about four rows, a few protected, Chinese excerpts."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        city = rng.choice(CITIES)
        year = rng.randint(2015, 2025)
        source = number // 4
        institutions = "; ".join(f"{slug}:{rng.choice(ROLES)}" for slug in rng.sample(institution_slugs, 2))
        rows.append([
            f"Cameras in {city} #{number}",
            f"Emotion recognition cameras watch {city} classrooms; report {number} of the import benchmark. " * 2,
            rng.choice(KINDS), institutions, "China", city, f"{year}-{rng.randint(1, 12):02d}", f"{year + 1}",
            f"tag {rng.randint(1, 60)}; schools", "yes" if number % 50 == 0 else "no",
            f"Report on {city} #{source}", f"https://news.example.org/{source}", "Daily News",
            "课堂情绪识别系统 " * 3, "A classroom emotion recognition system.",
        ])
    return rows


def csv_bytes(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _status_kb(name):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def in_child(step):
    """Run `step()` in a child process; returns (its result, seconds, peak resident growth in MB)."""
    from django.db import connections

    connections.close_all()  # before the fork: the child opens its own connection, the parent a new one later
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            Path("/proc/self/clear_refs").write_text("5")  # the peak below is this step's, not the parent's
        except OSError:
            pass
        start_kb = _status_kb("VmRSS")
        started = time.perf_counter()
        result = step()
        seconds = time.perf_counter() - started
        peak_mb = (_status_kb("VmHWM") - start_kb) / 1024
        os.write(write, f"{result}|{seconds}|{peak_mb}".encode())
        os._exit(0)
    os.close(write)
    message = b""
    while chunk := os.read(read, 4096):
        message += chunk
    os.waitpid(pid, 0)
    if not message:
        sys.exit("The step failed (see above).")
    result, seconds, peak_mb = message.decode().rsplit("|", 2)
    return result, float(seconds), float(peak_mb)


def per_row_import(group, actor, rows):
    """
    The import before issue 20: one create_source and one create_record per row, in one transaction. It is also the
    reference that tests/evidence/test_import_bulk.py compares the bulk import with.
    """
    from django.db import transaction

    from evidence.services import records, sources

    protected_keys = {row.source_key for row in rows if row.source_is_new and row.values["protected"]}
    new_sources = {}
    with transaction.atomic():
        for row in rows:
            source = row.source
            if row.source_is_new:
                source = new_sources.get(row.source_key)
                if source is None:
                    source = sources.create_source(group, actor=actor, protected=row.source_key in protected_keys,
                                                   **row.new_source)
                    new_sources[row.source_key] = source
            values = row.values
            citations = [{"source": source, **values["citation"]}] if source is not None else []
            records.create_record(group, actor=actor, institutions=values["institutions"], tags=values["tags"],
                                  citations=citations, **{name: values[name] for name in [
                                      "title", "summary", "kind", "sector", "country", "place", "event_start",
                                      "event_end", "language", "protected"]})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--per-row", action="store_true", help="save the way it was before issue 20")
    parser.add_argument("--formats", default="csv,xlsx", help="which files to preview (the save reads the CSV)")
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.test.utils import override_settings

    from accounts.models import Group, Membership, Role, User
    from evidence.imports.preview import read_upload
    from evidence.imports.saving import import_rows
    from evidence.models import EvidenceRecord, Institution

    with open("/proc/loadavg") as handle:
        print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; load average: "
              f"{handle.read().split()[:3]}; records already there: {EvidenceRecord.objects.count():,}")
    run = Group.objects.filter(slug__startswith="import-bench-").count() + 1
    group = Group.objects.create(name=f"Import bench {run}", slug=f"import-bench-{run}")
    actor, _ = User.objects.get_or_create(username="import-bench")
    Membership.objects.get_or_create(group=group, user=actor, defaults={"role": Role.COORDINATOR})
    slugs = list(Institution.objects.filter(added_by_group=None).order_by("slug").values_list("slug", flat=True)[:200])
    if len(slugs) < 2:
        slugs = [Institution.objects.create(slug=f"bench-vendor-{n}", name=f"Bench vendor {n}").slug
                 for n in range(20)]
    rows = make_rows(args.rows, slugs)
    files = {"csv": csv_bytes(rows)}
    if "xlsx" in args.formats:
        files["xlsx"] = xlsx_bytes(rows)
    print(f"{args.rows:,} rows: csv {len(files['csv']) / 2**20:.1f} MB"
          + (f", xlsx {len(files['xlsx']) / 2**20:.1f} MB" if "xlsx" in files else ""))

    # The limits are the site's; a bench may ask for more rows than it allows.
    with override_settings(IMPORT_MAX_ROWS=max(args.rows, 50_000)):
        for name, data in files.items():
            if name not in args.formats.split(","):
                continue
            count, seconds, peak = in_child(lambda data=data: len(read_upload(data, group=group).valid_rows))
            print(f"preview {name:4}: {seconds:6.1f} s  {args.rows / seconds:7,.0f} rows/s  peak +{peak:5.0f} MB "
                  f"({count} valid rows)")

        def save():
            preview = read_upload(files["csv"], group=group)
            started = time.perf_counter()
            if args.per_row:
                per_row_import(group, actor, preview.rows)
            else:
                import_rows(group, actor, preview.rows)
            return f"{time.perf_counter() - started:.2f}"

        saving, seconds, peak = in_child(save)
        saving = float(saving)
        print(f"save ({'per row' if args.per_row else 'bulk'}): {saving:6.1f} s  {args.rows / saving:7,.0f} rows/s "
              f"(with the preview it reads again: {seconds:.1f} s, {args.rows / seconds:,.0f} rows/s)  "
              f"peak +{peak:5.0f} MB")
    print(f"saved: {EvidenceRecord.objects.filter(group=group).count():,} records in {group.name}")


if __name__ == "__main__":
    main()
