from celery import shared_task

from evidence import importing


@shared_task
def delete_stale_import_uploads():
    """Remove spreadsheets of import previews nobody confirmed or cancelled. Safe to run any time, twice."""
    return importing.delete_stale_uploads()


@shared_task
def import_evidence(import_id):
    """Save the rows of a confirmed import (evidence.models.EvidenceImport); a second run changes nothing."""
    importing.run_import(import_id)
