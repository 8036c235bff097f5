"""
The request's part of an import too large to save while the person waits: the EvidenceImport row (a job, see
accounts.jobs), handed to the worker (evidence.tasks.import_evidence) once it is committed, and queued again after
a failure.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import Action, ensure_can
from evidence.imports.uploads import load_upload
from evidence.models import EvidenceImport
from evidence.tasks import import_evidence


def queue_import(group, *, actor, stored_file, file_name, only_valid_rows, row_count):
    """Hand a confirmed import to the worker once the row is committed; the stored file now belongs to it."""
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    with transaction.atomic():
        job = EvidenceImport.objects.create(group=group, requested_by=actor, stored_file=stored_file,
                                            file_name=file_name, only_valid_rows=only_valid_rows,
                                            row_count=row_count)
        job.enqueue(import_evidence)
    job.refresh_from_db()  # failed already, if the queue could not be reached
    return job


def retry_import(job, *, actor):
    """Queue a failed import again, if its file is still kept."""
    ensure_can(actor, Action.LOG_EVIDENCE, job.group)
    if job.status != EvidenceImport.Status.FAILED:
        raise ValidationError(_("Only a failed import is tried again."))
    if load_upload(job.stored_file) is None:
        raise ValidationError(_("The uploaded file is no longer kept; upload it again."))
    with transaction.atomic():
        if not job.retry(import_evidence):
            raise ValidationError(_("Only a failed import is tried again."))
