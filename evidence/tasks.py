import datetime

from celery import shared_task

from evidence import importing


@shared_task
def delete_stale_import_uploads(older_than=None):
    """
    Remove spreadsheets of import previews nobody confirmed or cancelled. Safe to run any time, twice.
    `older_than` (an ISO time) replaces the day's grace: the tests' way to age a file, since an S3 object's time
    is the server's and cannot be set back.
    """
    cutoff = datetime.datetime.fromisoformat(older_than) if older_than else None
    return importing.delete_stale_uploads(older_than=cutoff)


@shared_task
def import_evidence(import_id):
    """Save the rows of a confirmed import (evidence.models.EvidenceImport); a second run changes nothing."""
    importing.run_import(import_id)
