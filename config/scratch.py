"""
Scratch files of the site's jobs (a briefing pack's PDF, DOCX, tables and ZIP; the inputs of the PDF's child
processes): all under one directory, settings.SCRATCH_DIR, each job's in a folder named PREFIX + what it is for
(e.g. `disentangle-pack-12-<claim>-…`), so that what a killed worker could not remove (briefing text, evidence
of protected sources) is found and removed:
- by the next run of the same job, which knows any earlier run's folder is dead (campaigns.packs.build);
- by the hourly clean-up (campaigns.tasks.prune_expired_packs), for anything older than MAX_AGE: no live job is
  that old, since every task is killed at its hard time limit (CELERY_TASK_TIME_LIMIT, under a minute) and the
  PDF's child processes at their own timeout (campaigns.briefing.pdf.PART_TIMEOUT, 5 minutes).
"""

import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings

PREFIX = "disentangle-"
MAX_AGE = timedelta(minutes=10)


def root():
    path = Path(settings.SCRATCH_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@contextmanager
def folder(name):
    """A fresh folder for one job's files, removed when the job ends (or by a sweep if it is killed)."""
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{name}-", dir=root()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep(startswith="", *, older_than=MAX_AGE):
    """
    Remove the scratch folders and files whose name starts with PREFIX + `startswith` and that were last changed
    longer than `older_than` ago (None: whatever their age). Returns how many were removed.
    """
    cutoff = None if older_than is None else time.time() - older_than.total_seconds()
    removed = 0
    for path in root().glob(f"{PREFIX}{startswith}*"):
        try:
            if cutoff is not None and path.lstat().st_mtime > cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue  # removed meanwhile by its own job or another sweep
        removed += 1
    return removed
