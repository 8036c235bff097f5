"""
Where briefing packs are kept: private storage (Django's storage API, a folder or S3), each pack's files under
packs/<id>/. A run saves its ZIP under a temporary name and gives it the final one only once it is complete; the
periodic clean-up (`prune`) expires old packs and removes whatever no pack owns.
"""

import logging
import os
from datetime import timedelta

from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.stored_text import stored
from campaigns.models import BriefingPack

logger = logging.getLogger(__name__)

STORAGE_FOLDER = "packs"
# A run still RUNNING this long after it started has lost its worker for good (a dead worker's message comes back
# within a minute and claims the row again, which restarts this clock).
STALE_AFTER = timedelta(minutes=10)


def private_storage():
    return storages["private"]


def pack_folder(pack_id):
    return f"{STORAGE_FOLDER}/{pack_id}"


def move_into_place(storage, temporary, final):
    """
    Give a complete file its final name. On a local file system that is one atomic rename; object storage (S3
    via django-storages) has no rename, so the file is copied (an object appears whole or not at all) and the
    temporary one deleted.
    """
    try:
        source, target = storage.path(temporary), storage.path(final)
    except NotImplementedError:
        with storage.open(temporary, "rb") as handle:
            final = storage.save(final, handle)
        storage.delete(temporary)
        return final
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)
    return final


def remove_files(storage, pack_id, keep=""):
    """Delete what a pack's runs left in storage, except `keep` (the ready pack's file)."""
    folder = pack_folder(pack_id)
    try:
        _, names = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{folder}/{name}"
        if path != keep:
            storage.delete(path)
            removed += 1
    return removed


def delete_quietly(storage, names):
    """Delete what a failed run stored; a file that will not go is logged and left to the clean-up."""
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s", name, exc_info=True)


def open_for_download(pack):
    """The ready pack's file, opened from storage; FileNotFoundError if it is gone."""
    if pack.status != BriefingPack.Status.READY or not pack.file_name:
        raise FileNotFoundError(pack.file_name)
    return private_storage().open(pack.file_name, "rb")


#
# Expiry and clean-up
#


def prune(now=None):
    """
    The periodic clean-up: ready packs past their date lose their file and are marked expired; packs whose worker
    died for good are marked failed; files that no pack owns any more are removed. Returns how many expired.
    """
    Status = BriefingPack.Status
    now = now or timezone.now()
    storage = private_storage()
    expired = 0
    for pack in BriefingPack.objects.filter(status=Status.READY, expires_at__lte=now).only("pk").order_by("pk"):
        with transaction.atomic():
            if BriefingPack.objects.filter(pk=pack.pk, status=Status.READY).update(
                    status=Status.EXPIRED, file_name="", size=None):
                expired += 1
        remove_files(storage, pack.pk)
    BriefingPack.fail_stale(older_than=STALE_AFTER, now=now,
                            reason=stored(gettext_noop(
                                "The worker building this pack stopped and did not come back. Try again.")))
    _remove_orphans(storage)
    return expired


def _remove_orphans(storage):
    try:
        folders, _ = storage.listdir(STORAGE_FOLDER)
    except FileNotFoundError:
        return
    ids = [int(name) for name in folders if name.isdigit()]
    packs = {pk: (status, file_name) for pk, status, file_name in
             BriefingPack.objects.filter(pk__in=ids).values_list("pk", "status", "file_name")}
    for pk in ids:
        status, file_name = packs.get(pk, (None, ""))
        if status in BriefingPack.active_statuses():
            continue  # a run may be writing there now
        remove_files(storage, pk, keep=file_name if status == BriefingPack.Status.READY else "")
