"""Periodic clean-up, run by a real Celery worker process."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from evidence.tasks import delete_stale_import_uploads
from tests.conftest import stored_names

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_the_worker_removes_only_stale_import_previews(celery_worker_process, wait_for):
    # Written and aged through the storage API, so the worker's storage is the test's, on the disk or S3. An S3
    # object's time is set by the server, to the second, so the fresh file is written a second and more later
    # and the task is told where the line runs between them.
    storage = storages["private"]
    for leftover in stored_names(storage, "imports"):  # of earlier tests in this process, which have ended
        storage.delete(leftover)
    stale = storage.save("imports/stale-token.csv", ContentFile(b"title,summary,kind\n"))
    written = storage.get_modified_time(stale)
    wait_for(lambda: timezone.now() > written + datetime.timedelta(seconds=1.5), timeout=10)
    fresh = storage.save("imports/fresh-token.csv", ContentFile(b"title,summary,kind\n"))
    line = (written + datetime.timedelta(seconds=0.5)).isoformat()

    removed = delete_stale_import_uploads.delay(older_than=line).get(timeout=30)

    assert removed == 1
    assert not storage.exists(stale) and storage.exists(fresh)
    assert delete_stale_import_uploads.delay(older_than=line).get(timeout=30) == 0  # running it again is harmless
    storage.delete(fresh)
