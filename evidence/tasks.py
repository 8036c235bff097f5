from celery import shared_task

from evidence.imports.uploads import delete_stale_uploads
from evidence.imports.worker import fail_stale_imports, run_import


@shared_task
def delete_stale_import_uploads():
    """
    Fail imports whose worker died for good, then remove the spreadsheets of import previews nobody confirmed or
    cancelled. Safe to run any time, twice.
    """
    fail_stale_imports()
    return delete_stale_uploads()


@shared_task
def import_evidence(import_id):
    """Save the rows of a confirmed import (evidence.models.EvidenceImport); a second run changes nothing."""
    run_import(import_id)
