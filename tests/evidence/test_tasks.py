"""Periodic clean-up, run by a real Celery worker process."""

import os
import time
from pathlib import Path

import pytest
from django.conf import settings

from evidence.tasks import delete_stale_import_uploads

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_the_worker_removes_only_stale_import_previews(celery_worker_process):
    folder = Path(settings.MEDIA_ROOT) / "private" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = folder / "stale-token.csv", folder / "fresh-token.csv"
    stale.write_text("title,summary,kind\n")
    fresh.write_text("title,summary,kind\n")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))

    removed = delete_stale_import_uploads.delay().get(timeout=30)

    assert removed == 1
    assert not stale.exists() and fresh.exists()
    assert delete_stale_import_uploads.delay().get(timeout=30) == 0  # running it again is harmless
