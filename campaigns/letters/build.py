"""
The run that writes a batch's letters, in the worker (campaigns.letters.tasks.build_letter_batch), on the job base
(accounts.jobs): claim the row with a fresh token, remove whatever an earlier run left, merge and render each
target's letter (PDF and DOCX) in a scratch folder, store them, zip them all, and only then mark the batch READY.
Run twice, or after a crash, it starts again from nothing; a batch that is ready or failed is left alone.
"""

import logging
import zipfile

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts import stored_text
from accounts.files import private_storage
from accounts.jobs import TRANSIENT_ERRORS, ClaimLost, Progress
from accounts.permissions import Action, can
from campaigns.letters.context import letter_context
from campaigns.letters.merge import RenderProblem, render
from campaigns.letters.models import Letter, LetterBatch
from campaigns.letters.render import letter_data, render_docx, render_pdfs
from config import scratch

logger = logging.getLogger(__name__)


class LetterError(Exception):
    """A reason the batch cannot be written that trying again will not change; stored for the page."""


def batch_folder(batch_id):
    return f"campaigns/letter-batches/{batch_id}"


def _forget_files(batch):
    """Remove what an earlier run of this batch stored: its letters' files and its ZIP."""
    storage = private_storage()
    for letter in batch.letters.all():
        for name in (letter.pdf_file, letter.docx_file):
            if name:
                storage.delete(name)
    if batch.zip_file:
        storage.delete(batch.zip_file)
    batch.letters.update(pdf_file="", docx_file="", subject="")
    LetterBatch.objects.filter(pk=batch.pk).update(zip_file="")


def build_batch(batch_id):
    """Write the letters of batch `batch_id`; returns the ZIP's stored name when this run made it ready."""
    token = LetterBatch.claim_for_run(batch_id, gave_up=stored_text.stored(gettext_noop(
        "The worker stopped several times while writing these letters. Try again.")))
    if token is None:
        return None
    batch = LetterBatch.objects.select_related("group", "campaign", "requested_by").get(pk=batch_id)
    try:
        return _write(batch, token)
    except ClaimLost:
        return None
    except (LetterError, RenderProblem) as exc:
        LetterBatch.fail(batch.pk, str(exc), token=token)
    except SoftTimeLimitExceeded:
        LetterBatch.fail(batch.pk, stored_text.stored(gettext_noop(
            "Writing the letters took longer than the time limit; generate them for fewer targets at a time.")),
            token=token)
    except TRANSIENT_ERRORS as exc:
        LetterBatch.requeue(batch.pk, token, f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        logger.exception("Letter batch %s failed", batch.pk)
        LetterBatch.fail(batch.pk, stored_text.stored(gettext_noop("The letters could not be written (%(error)s)."),
                                                      error=f"{type(exc).__name__}: {exc}"), token=token)
    return None


def _write(batch, token):
    user = batch.requested_by
    if user is None or not user.is_active or not can(user, Action.MANAGE_CAMPAIGNS, batch.group):
        raise LetterError(stored_text.stored(gettext_noop(
            "The person who asked for these letters may no longer run this group's campaigns.")))
    _forget_files(batch)
    letters = list(Letter.objects.filter(batch=batch).select_related("target__institution", "target__campaign"))
    # Steps: each letter, then the ZIP.
    progress = Progress(LetterBatch, batch.pk, token, total=len(letters) + 1)
    today = timezone.localdate(batch.created_at)
    storage = private_storage()
    with scratch.folder(f"letters-{batch.pk}-{token}") as folder:
        merged = []
        for letter in letters:
            context = letter_context(letter.target, user=user, group=batch.group, sender=batch.sender_name,
                                     language=batch.language, today=today)
            subject = " ".join(render(batch.subject, context).split())
            body = render(batch.body, context)
            data = letter_data(group=batch.group.name, recipient=context["institution"],
                               recipient_zh=context["institution_zh"], subject=subject, body=body,
                               sender=batch.sender_name, date=context["date"], language=batch.language)
            merged.append((letter, subject, data))
        render_pdfs([(data, folder / f"{letter.pk}.pdf") for letter, _subject, data in merged], scratch=folder,
                    timestamp=int(batch.created_at.timestamp()))
        zip_path = folder / "letters.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for letter, subject, data in merged:
                docx_path = render_docx(data, folder / f"{letter.pk}.docx")
                pdf_path = folder / f"{letter.pk}.pdf"
                archive.write(pdf_path, letter.file_name("pdf"))
                archive.write(docx_path, letter.file_name("docx"))
                if not LetterBatch.held(batch.pk, token).exists():
                    raise ClaimLost()
                folder_name = f"{batch_folder(batch.pk)}/{token}"
                with open(pdf_path, "rb") as pdf, open(docx_path, "rb") as docx:
                    letter.pdf_file = storage.save(f"{folder_name}/{letter.file_name('pdf')}", File(pdf))
                    letter.docx_file = storage.save(f"{folder_name}/{letter.file_name('docx')}", File(docx))
                letter.subject = subject
                letter.save(update_fields=["pdf_file", "docx_file", "subject"])
                progress.step("letter")
        with open(zip_path, "rb") as handle:
            name = storage.save(f"{batch_folder(batch.pk)}/letters-{token}.zip", File(handle))
    if not LetterBatch.finish(batch.pk, token, zip_file=name):
        storage.delete(name)
        raise ClaimLost()
    return name
