"""
The worker's part of a source capture (evidence.tasks.capture_source): render the page (evidence/capture/browser.py),
then store its files (the kinds of evidence.capture.models.CaptureFile) and mark the capture done, all or nothing, on
the job base (accounts.jobs).

Nothing half-stored: the files are made in memory first, written to the capture's own folder in storage only once
all of them exist, and the rows and the DONE status are committed together; if anything fails after a file was
written, the written files are removed. A run killed between writing and committing leaves files nobody points to
in that folder: the next run of the same capture (the message comes back, or a person retries) empties the folder
before it starts, so a killed worker leaves no debris once the job has been retried or taken over.
"""

import hashlib
import io
import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.files import private_storage
from accounts.jobs import ClaimLost
from accounts.stored_text import stored
from evidence.capture import wacz
from evidence.capture.browser import CaptureFailed, render
from evidence.models import CaptureFile, SourceCapture
from evidence.similar import perceptual_hash

STALE_AFTER = timedelta(minutes=10)
GAVE_UP = gettext_noop("The worker stopped every time it captured this page (the page may be too heavy to render).")
PROTECTED = gettext_noop("The source was marked protected: protected sources are never fetched.")
NO_LONGER_CAPTURED = gettext_noop("The group no longer captures its sources.")
TOOK_TOO_LONG = gettext_noop("The capture took longer than a background job may run.")
NO_BUNDLE = gettext_noop("The recording of the page could not be bundled as a WACZ: %(error)s")
logger = logging.getLogger(__name__)

# The files of a capture: kind, file name, content type.
FILES = [
    (CaptureFile.Kind.SCREENSHOT, "screenshot.png", "image/png"),
    (CaptureFile.Kind.PDF, "page.pdf", "application/pdf"),
    (CaptureFile.Kind.HTML, "page.html", "text/html"),
    (CaptureFile.Kind.WARC, "capture.warc.gz", "application/warc"),
    (CaptureFile.Kind.WACZ, "capture.wacz", "application/wacz"),
]


def remove_unreferenced_files(capture):
    """Delete what an earlier, killed run of `capture` wrote to its folder and never committed."""
    storage = private_storage()
    kept = set(CaptureFile.objects.filter(capture=capture).values_list("file", flat=True))
    try:
        _folders, names = storage.listdir(capture.storage_folder())
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in names:
        path = f"{capture.storage_folder()}/{name}"
        if path not in kept:
            storage.delete(path)


def run_capture(capture_id):
    """Capture the page of `capture_id`; a capture that is gone, done or failed is left alone."""
    token = SourceCapture.claim_for_run(capture_id, gave_up=stored(GAVE_UP))
    if token is None:
        return
    capture = SourceCapture.objects.select_related("source", "group").get(pk=capture_id)
    # Checked again at run time: the source may have been marked protected, or the group stopped capturing.
    if capture.source.protected:
        return SourceCapture.fail(capture_id, stored(PROTECTED), token=token)
    if not capture.group.captures_sources:
        return SourceCapture.fail(capture_id, stored(NO_LONGER_CAPTURED), token=token)
    remove_unreferenced_files(capture)
    try:
        rendered = render(capture.url)
        _store(capture, token, rendered)
    except CaptureFailed as failure:
        SourceCapture.fail(capture_id, failure.reason, token=token)
    except SoftTimeLimitExceeded:
        SourceCapture.fail(capture_id, stored(TOOK_TOO_LONG), token=token)
    except ClaimLost:
        return


def _bundle(rendered):
    try:
        return wacz.bundle(rendered.warc, url=rendered.final_url, title=rendered.title,
                           captured_at=rendered.captured_at)
    except Exception as exc:  # the indexer reading a recording it cannot parse: the capture fails and says so
        logger.exception("No WACZ bundle for a capture")
        raise CaptureFailed(stored(NO_BUNDLE, error=str(exc)[:300])) from exc


def _store(capture, token, rendered):
    contents = {CaptureFile.Kind.SCREENSHOT: rendered.screenshot, CaptureFile.Kind.PDF: rendered.pdf,
                CaptureFile.Kind.HTML: rendered.html, CaptureFile.Kind.WARC: rendered.warc,
                CaptureFile.Kind.WACZ: _bundle(rendered)}
    storage = private_storage()
    written = []
    try:
        rows = []
        for kind, name, content_type in FILES:
            data = contents[kind]
            path = storage.save(f"{capture.storage_folder()}/{token[:8]}-{name}", ContentFile(data))
            written.append(path)
            row = CaptureFile(group_id=capture.group_id, capture=capture, kind=kind, original_name=name,
                              content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                              uploaded_by=capture.requested_by)
            row.file.name = path
            if kind == CaptureFile.Kind.SCREENSHOT:
                row.set_phash(perceptual_hash(io.BytesIO(data)))
            rows.append(row)
        with transaction.atomic():
            # Locked until the files and DONE are committed: a run taking the claim over meanwhile waits.
            if not SourceCapture.held(capture.pk, token).select_for_update().exists():
                raise ClaimLost()
            CaptureFile.objects.filter(capture=capture).delete()  # none, unless a person asked again
            CaptureFile.objects.bulk_create(rows)
            if not SourceCapture.finish(capture.pk, token, final_url=rendered.final_url[:1000],
                                        page_title=rendered.title[:300], captured_at=rendered.captured_at):
                raise ClaimLost()
    except BaseException:
        for path in written:
            storage.delete(path)
        raise


def fail_stale_captures():
    """The periodic clean-up's part: captures whose worker died for good say so, and may be tried again."""
    return SourceCapture.fail_stale(older_than=STALE_AFTER, reason=stored(gettext_noop(
        "The worker stopped while capturing this page. Try again.")))
