"""
Uploaded files, whichever app keeps them (evidence attachments, the files of a campaign's letters and meetings):
the fields every stored file has, the one function that writes them to private storage, and the one way they are
read back, which writes the download to the group's audit log. What a file may contain is checked before, by
evidence.attachments.check_upload.
"""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.http import FileResponse, Http404

from accounts.audit import record_change
from accounts.scoping import GroupScopedQuerySet


def private_storage():
    # Read from settings.STORAGES["private"], so production can point it elsewhere (e.g. S3).
    from django.core.files.storage import storages

    return storages["private"]


class StoredFile(models.Model):
    """
    A file in private storage, served only through a permission-checked view (serve). A subclass adds the group
    and what the file belongs to, and its `file` field: FileField(storage=private_storage, upload_to=its folder).
    """

    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name


def store(model, uploads, *, actor, audit, **fields):
    """
    Save each of `uploads`, pairs of an uploaded file and what its checks found (a CheckedFile), as a new `model`
    row with `fields`, in one transaction in which `audit(row)` writes each row's history entry. The stored name is
    random: the uploader's name is only ever shown, never used as a path. If anything fails, the files already
    written are removed again and no row is saved. Returns the rows.
    """
    stored = []
    try:
        with transaction.atomic():
            for uploaded_file, checked in uploads:
                row = model(original_name=checked.display_name, content_type=checked.content_type,
                            size=checked.size, sha256=checked.sha256, uploaded_by=actor, **fields)
                row.file.save(f"{uuid.uuid4().hex}{checked.extension}", uploaded_file, save=False)
                stored.append(row)
                row.save()
                audit(row)
    except Exception:
        for row in stored:
            row.file.delete(save=False)
        raise
    return stored


def serve(stored_file, *, actor):
    """
    A stored file as a download for `actor`, who has already been allowed to see it; 404 if storage has lost it.
    Every download is written to the group's audit log, whichever kind of file it is: who read a letter from a
    ministry matters as much as who read a piece of evidence. Nothing in between keeps a copy, and a file opened
    in the browser after all runs nothing.
    """
    try:
        handle = stored_file.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc  # before the audit row: nothing was read
    record_change(actor=actor, obj=stored_file, action="attachment.downloaded")
    response = FileResponse(handle, as_attachment=True, filename=stored_file.original_name,
                            content_type=stored_file.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
