"""
The uploaded spreadsheet between the preview and the import: kept in private storage under a random name (never
the uploader's), removed once its rows are saved, and by the hourly clean-up when nobody confirmed it; so is the
preview the worker made of a large one (evidence.imports.stored_preview).
"""

import datetime
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from evidence.models import EvidenceImport

STORAGE_FOLDER = "imports"


def upload_storage():
    return storages["private"]


def preview_name(stored_file):
    """Where the worker keeps its preview of the upload kept under `stored_file` (evidence.imports.stored_preview)."""
    return f"{stored_file}.preview.json"


def store_upload(data, file_format):
    """Keep a checked file until the person confirms; returns its stored name (random, never the upload's)."""
    name = f"{STORAGE_FOLDER}/{secrets.token_hex(16)}.{file_format}"
    return upload_storage().save(name, ContentFile(data))


def load_upload(name):
    """The stored file's bytes, or None if it is gone."""
    storage = upload_storage()
    if not name.startswith(f"{STORAGE_FOLDER}/") or not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        return handle.read()


def upload_kept(name):
    """Whether the stored file is still there (a refused or imported one is not)."""
    return name.startswith(f"{STORAGE_FOLDER}/") and upload_storage().exists(name)


def delete_upload(name):
    if name.startswith(f"{STORAGE_FOLDER}/"):
        upload_storage().delete(name)


def delete_stale_uploads(max_age=datetime.timedelta(days=1), older_than=None):
    """
    Remove files of previews nobody confirmed or cancelled (a closed tab, an expired session), and of failed
    imports nobody retried, but never the file of an import still waiting for the worker. Meant for a periodic
    task; returns how many were removed.
    """
    storage = upload_storage()
    try:
        _, names = storage.listdir(STORAGE_FOLDER)
    except FileNotFoundError:
        return 0
    cutoff = older_than or timezone.now() - max_age
    waiting = set(EvidenceImport.objects.filter(status__in=EvidenceImport.active_statuses())
                  .values_list("stored_file", flat=True))
    waiting |= {preview_name(name) for name in waiting}
    removed = 0
    for name in names:
        path = f"{STORAGE_FOLDER}/{name}"
        if path not in waiting and storage.get_modified_time(path) < cutoff:
            storage.delete(path)
            removed += 1
    return removed
