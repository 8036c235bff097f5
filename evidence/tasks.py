from celery import shared_task

from evidence import importing


@shared_task
def delete_stale_import_uploads():
    """Remove spreadsheets of import previews nobody confirmed or cancelled. Safe to run any time, twice."""
    return importing.delete_stale_uploads()
