"""
A capture's stored files go when its rows go: however the rows are deleted (a source deleted, a group deleted with
everything it has, a capture taken again over an earlier one's files), receivers remove the files through the
storage API once the deletion is committed. A rolled-back deletion keeps them; a file already gone is no error.

A deleted capture's whole folder is emptied, which also takes what a killed run wrote and never named
(evidence/capture/worker.py): nothing of a deleted source's page stays in storage.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_delete

from accounts.files import private_storage

logger = logging.getLogger(__name__)


def _delete_stored(names):
    storage = private_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # storage unreachable: the rows are gone all the same; the file is logged to remove by hand
            logger.exception("A deleted capture's file could not be removed from storage: %s", name)


def _names_in(folder):
    try:
        _folders, names = private_storage().listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [f"{folder}/{name}" for name in names]


def capture_file_deleted(sender, instance, **kwargs):
    """Receiver (post_delete of a CaptureFile): its file goes once the deletion is committed."""
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: _delete_stored([name]), robust=True)


def capture_deleted(sender, instance, **kwargs):
    """Receiver (post_delete of a SourceCapture): whatever is left in its folder goes once the deletion commits."""
    folder = instance.storage_folder()
    transaction.on_commit(lambda: _delete_stored(_names_in(folder)), robust=True)


def connect():
    from evidence.models import CaptureFile, SourceCapture

    post_delete.connect(capture_file_deleted, sender=CaptureFile, dispatch_uid="capture-file-deleted")
    post_delete.connect(capture_deleted, sender=SourceCapture, dispatch_uid="capture-deleted")
