import datetime

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from evidence.capture.worker import fail_stale_captures, run_capture
from evidence.imports.uploads import delete_stale_uploads
from evidence.imports.worker import fail_stale_imports, run_import
from evidence.saved_searches import send_due_alerts


@shared_task
def delete_stale_import_uploads(older_than=None):
    """
    Fail imports whose worker died for good, then remove the spreadsheets of import previews nobody confirmed or
    cancelled. Safe to run any time, twice. `older_than` (an ISO time) replaces the day's grace: the tests' way to
    age a file, since an S3 object's time is the server's and cannot be set back.
    """
    fail_stale_imports()
    fail_stale_captures()
    cutoff = datetime.datetime.fromisoformat(older_than) if older_than else None
    return delete_stale_uploads(older_than=cutoff)


@shared_task
def import_evidence(import_id):
    """Save the rows of a confirmed import (evidence.models.EvidenceImport); a second run changes nothing."""
    run_import(import_id)


# Late acks: a capture whose worker was killed comes back to the queue and is taken over (the run is idempotent:
# it empties the capture's folder, and its files and DONE are committed together).
@shared_task(acks_late=True, reject_on_worker_lost=True)
def capture_source(capture_id):
    """Capture a source's page (evidence.models.SourceCapture); a capture done or failed is left alone."""
    run_capture(capture_id)
@shared_task
def send_saved_search_alerts():
    """
    Celery beat's hourly job (short queue): e-mail the owners of the saved searches that are due their daily or
    weekly alert. Each search is checked in its own transaction that moves its last-checked point on, so a second
    run sends nothing twice, and a run stopped at the short queue's time limit leaves the rest to the next hour.
    """
    try:
        return send_due_alerts()
    except SoftTimeLimitExceeded:
        return None
