"""
The worker's part of an import too large to check or save while the person waits (evidence.tasks.import_evidence),
on the job base (accounts.jobs). Before the person confirms: read and check the kept file, keep the preview for the
import's page, and wait (CHECKED); a file that cannot be imported at all is failed with the reason and deleted.
Once confirmed: check the file again and save its rows, all or nothing. Running it twice saves the rows once: the
rows and the DONE status are committed together, by the run holding the claim.
"""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from accounts.jobs import ClaimLost, Progress
from accounts.stored_text import stored
from evidence.imports.parsing import ImportRefused
from evidence.imports.preview import read_upload
from evidence.imports.saving import import_rows
from evidence.imports.stored_preview import delete_preview, save_preview
from evidence.imports.uploads import delete_upload, load_upload
from evidence.models import EvidenceImport

logger = logging.getLogger(__name__)

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
    if not job.confirmed:
        return _check(job, data, token, fail)
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
    delete_preview(job.stored_file)


def _progress_on_row(job, token):
    """check_table's progress(done, total), counted on the job's row; ClaimLost once another run holds the job."""
    state = {"progress": None, "done": 0}

    def report(done, total):
        if state["progress"] is None:
            state["progress"] = Progress(EvidenceImport, job.pk, token, total)
        elif done > state["done"]:
            state["progress"].step("rows", done - state["done"])
        state["done"] = done

    return report


def _check(job, data, token, fail):
    """Read and check the file, keep the preview for the import's page, and wait for the person's decision."""
    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):  # each row's problems in their words
            preview = read_upload(data, group=job.group, progress=_progress_on_row(job, token))
            save_preview(preview, job.stored_file)
    except ClaimLost:
        return
    except ImportRefused as exc:
        # Nothing in it can be imported, and a retry would refuse it again: the file is not kept. The reason was
        # written in the uploader's language, as the rows' problems are.
        fail(" ".join(exc.messages))
        delete_upload(job.stored_file)
        return
    except SoftTimeLimitExceeded:
        return fail(stored(gettext_noop("Reading the file took longer than a background job may run. Split it into "
                                        "smaller files and import them one by one.")))
    except Exception:
        # The storage or the database failed us, not the file: it is kept, and the page offers to try again.
        logger.exception("Reading import %s failed", job.pk)
        return fail(stored(gettext_noop("The file could not be read just now. Try again.")))
    EvidenceImport.held(job.pk, token).update(
        status=EvidenceImport.Status.CHECKED, finished_at=timezone.now(), progress_done=F("progress_total"),
        claim="", row_count=len(preview.rows))


def fail_stale_imports():
    """The periodic clean-up's part: imports whose worker died for good say so, and may be tried again."""
    return EvidenceImport.fail_stale(
        older_than=STALE_AFTER,
        reason=stored(gettext_noop("The worker importing this file stopped and did not come back. Try again.")))
