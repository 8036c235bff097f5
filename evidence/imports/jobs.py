"""
The request's part of an import too large to check or save while the person waits: the EvidenceImport row (a job,
see accounts.jobs), handed to the worker (evidence.tasks.import_evidence) once it is committed, and queued again
after a failure. A large file is first read and checked by the worker (queue_check); the person then sees its rows
and confirms (confirm_checked_import), and the worker saves them.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import Action, ensure_can
from evidence.imports.uploads import delete_upload, load_upload, preview_name
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


def queue_check(group, *, actor, stored_file, file_name, language):
    """Hand an uploaded file to the worker to read and check; its page shows the rows once it is done."""
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    with transaction.atomic():
        job = EvidenceImport.objects.create(group=group, requested_by=actor, stored_file=stored_file,
                                            file_name=file_name, confirmed=False, language=language)
        job.enqueue(import_evidence)
    job.refresh_from_db()
    return job


def confirm_checked_import(job, *, actor, only_valid_rows, row_count):
    """The person's go-ahead for the rows the worker checked: the worker now saves them, all or nothing."""
    ensure_can(actor, Action.LOG_EVIDENCE, job.group)
    with transaction.atomic():
        confirmed = EvidenceImport.objects.filter(pk=job.pk, status=EvidenceImport.Status.CHECKED).update(
            status=EvidenceImport.Status.QUEUED, confirmed=True, only_valid_rows=only_valid_rows,
            row_count=row_count, error="", attempts=0, claim="", progress_done=0, progress_total=0,
            started_at=None, finished_at=None)
        if not confirmed:
            raise ValidationError(_("This import was already confirmed or cancelled."))
        job.refresh_from_db()
        job.enqueue(import_evidence)
    job.refresh_from_db()
    return job


def cancel_checked_import(job, *, actor):
    """Discard a checked file the person does not import: its row, the file and the preview go."""
    ensure_can(actor, Action.LOG_EVIDENCE, job.group)
    if not EvidenceImport.objects.filter(pk=job.pk, status__in=[EvidenceImport.Status.CHECKED,
                                                                EvidenceImport.Status.FAILED]).delete()[0]:
        raise ValidationError(_("This import was already confirmed or cancelled."))
    delete_upload(job.stored_file)
    delete_upload(preview_name(job.stored_file))
