"""
The worker's part of an import too large to save while the person waits (evidence.tasks.import_evidence): check
the kept file again and save its rows, all or nothing, on the job base (accounts.jobs). Running it twice saves the
rows once: the rows and the DONE status are committed together, by the run holding the claim.
"""

from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.jobs import ClaimLost
from accounts.stored_text import stored
from evidence.imports.parsing import ImportRefused
from evidence.imports.preview import read_upload
from evidence.imports.saving import import_rows
from evidence.imports.uploads import delete_upload, load_upload
from evidence.models import EvidenceImport

# A run still RUNNING this long after it started has lost its worker for good (every task is killed at its hard
# time limit, under a minute, and a dead worker's message comes back and claims the row again).
STALE_AFTER = timedelta(minutes=10)


def run_import(import_id):
    """Save the rows of the confirmed import `import_id`; an import that is gone, done or failed is left alone."""
    token = EvidenceImport.claim_for_run(
        import_id, gave_up=stored(gettext_noop("The worker stopped every time it imported this file. Split the file "
                                               "into smaller ones and import them one by one.")))
    if token is None:
        return

    def fail(reason):
        EvidenceImport.fail(import_id, reason, token=token)

    job = EvidenceImport.objects.select_related("group", "requested_by").get(pk=import_id)
    data = load_upload(job.stored_file)
    if data is None:
        return fail(stored(gettext_noop("The uploaded file is no longer kept; upload it again.")))
    if job.requested_by is None:
        return fail(stored(gettext_noop("The account that asked for the import no longer exists.")))
    try:
        # Checked again: the directory or the group's sources may have changed since the preview.
        preview = read_upload(data, group=job.group)
    except ImportRefused as exc:
        return fail(" ".join(exc.messages))
    rows = preview.valid_rows if job.only_valid_rows else preview.rows
    if not job.only_valid_rows and preview.invalid_rows:
        numbers = ", ".join(str(row.number) for row in preview.invalid_rows[:20])
        return fail(stored(gettext_noop(
            "Nothing was imported: rows %(rows)s have errors now (the directory or the group's sources changed "
            "since the preview). Upload the file again to see them."), rows=numbers))
    try:
        with transaction.atomic():
            # Held, and locked until the rows and DONE are committed: a run taking the claim over meanwhile
            # waits, then finds the import done.
            if not EvidenceImport.held(job.pk, token).select_for_update().exists():
                return
            created = import_rows(job.group, job.requested_by, rows)
            if not EvidenceImport.finish(job.pk, token, imported_count=len(created)):
                raise ClaimLost()
    except ClaimLost:
        return
    except (ValidationError, PermissionDenied) as exc:
        return fail(stored(gettext_noop("Nothing was imported. %(reason)s"),
                           reason=" ".join(getattr(exc, "messages", [str(exc)]))))
    except SoftTimeLimitExceeded:
        # The transaction is rolled back; a retry would take as long, so say what helps instead.
        return fail(stored(gettext_noop(
            "Nothing was imported: saving %(rows)s rows took longer than a background job may run. Split the file "
            "into smaller ones and import them one by one."), rows=intcomma(len(rows))))
    delete_upload(job.stored_file)


def fail_stale_imports():
    """The periodic clean-up's part: imports whose worker died for good say so, and may be tried again."""
    return EvidenceImport.fail_stale(
        older_than=STALE_AFTER,
        reason=stored(gettext_noop("The worker importing this file stopped and did not come back. Try again.")))
