"""
A group backup's memory: a group with N MB of evidence files (default 2 GB) is exported with `export_group` in
one fresh process, then restored with `import_group` onto an empty site (another database and media folder, the
same SECRET_KEY) in another. Each prints its wall time and peak memory: the process's peak resident size
(resource.getrusage, the figure that matters) and tracemalloc's peak of Python allocations. Target (issue 15):
under 300 MB for both, whatever the size of the files, since each file is copied a chunk at a time.

    .venv/bin/python -m bench.backups                  # --mb 2048 --file-mb 25 --records 200

It works in a temporary directory (SQLite databases, media folders, the archive), removed afterwards; it needs
about three times the files' size in free disk (the files, the archive, the restored files).
Results: bench/README.md.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MB = 1024 * 1024


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed(total_mb, file_mb, records):
    """Alpha Bench with `records` records and `total_mb` of files of `file_mb` each (random bytes: no gain from
    compression, the worst case for the archive's size)."""
    import hashlib

    from django.core.files.base import File
    from django.core.management import call_command

    from accounts.models import Group, Membership, Role, User
    from evidence.models import Attachment, EvidenceRecord

    call_command("migrate", verbosity=0)
    group = Group.objects.create(name="Alpha Bench", slug="alpha-bench")
    coordinator = User.objects.create_user("bench-coordinator", password="bench-password-1234")
    Membership.objects.create(user=coordinator, group=group, role=Role.COORDINATOR)
    kept = [EvidenceRecord.objects.create(group=group, title=f"Record {n}", summary="Cameras that read moods.",
                                          kind="deployment") for n in range(records)]
    sample = Path(tempfile.mkstemp(prefix="bench-backups-")[1])
    files = max(1, -(-total_mb // file_mb))
    try:
        for n in range(files):
            size = min(file_mb, total_mb - n * file_mb) * MB if total_mb >= file_mb else total_mb * MB
            digest = hashlib.sha256()
            with sample.open("wb") as handle:
                for _ in range(size // MB):
                    chunk = os.urandom(MB)
                    digest.update(chunk)
                    handle.write(chunk)
            with sample.open("rb") as handle:
                Attachment.objects.create(group=group, record=kept[n % len(kept)], original_name=f"file-{n}.bin",
                                          content_type="application/octet-stream", size=size,
                                          sha256=digest.hexdigest(), uploaded_by=coordinator,
                                          file=File(handle, name=f"file-{n}.bin"))
    finally:
        sample.unlink()
    return files


def measured(step):
    tracemalloc.start()
    started = time.perf_counter()
    outcome = step()
    wall = time.perf_counter() - started
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(json.dumps({"wall_s": round(wall, 1), "peak_rss_mb": round(resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "tracemalloc_peak_mb": round(traced_peak / MB, 1),
        "outcome": outcome}))


def export(archive):
    from accounts.models import Group
    from backups.archive import export_group

    group = Group.objects.get(slug="alpha-bench")
    measured(lambda: export_group(group, archive).files)


def restore(archive):
    from django.core.management import call_command

    from backups.archive import import_group

    call_command("migrate", verbosity=0)
    measured(lambda: import_group(archive).group.slug)


def run(step, archive, env):
    result = subprocess.run([sys.executable, "-m", "bench.backups", f"--{step}", str(archive)], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        sys.exit(f"The {step} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def site(scratch, name, secret):
    return {**os.environ, "DATABASE_URL": f"sqlite:///{scratch / name / 'db.sqlite3'}", "VAR_DIR": str(scratch / name),
            "MEDIA_ROOT": str(scratch / name / "media"), "SECRET_KEY": secret, "DEBUG": "false"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=2048, help="MB of files in the group (default 2048)")
    parser.add_argument("--file-mb", type=int, default=25, help="MB in each file (default 25, the upload limit)")
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--export", help=argparse.SUPPRESS)  # the child processes' parts
    parser.add_argument("--restore", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export or args.restore:
        setup_django()
        return export(args.export) if args.export else restore(args.restore)

    scratch = Path(tempfile.mkdtemp(prefix="bench-backups-"))
    secret = "bench-backups-" + os.urandom(16).hex()
    try:
        for name in ("old", "new"):
            (scratch / name).mkdir()
        source = site(scratch, "old", secret)
        os.environ.update(source)
        setup_django()
        started = time.perf_counter()
        files = seed(args.mb, args.file_mb, args.records)
        print(f"Seeded {args.records} records and {files} files, {args.mb} MB, "
              f"in {time.perf_counter() - started:.0f} s.")
        archive = scratch / "alpha-bench.zip"
        for step, env in (("export", source), ("restore", site(scratch, "new", secret))):
            figures = run(step, archive, env)
            print(f"{step}: {figures['wall_s']} s, peak RSS {figures['peak_rss_mb']:.0f} MB, tracemalloc peak "
                  f"{figures['tracemalloc_peak_mb']} MB" + (f", archive {archive.stat().st_size / MB:.0f} MB"
                                                           if step == "export" else ""))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
