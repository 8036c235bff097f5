"""The worker's task that writes a letter batch (campaigns.letters.build), on the long queue (config/celery.py)."""

from celery import shared_task
from django.utils.translation import gettext_noop

from accounts.jobs import TRANSIENT_ERRORS
from accounts.stored_text import stored
from campaigns.letters.build import build_batch
from campaigns.letters.models import LetterBatch

# Passing errors are retried after 2, 4, 8 s, as for briefing packs (campaigns/tasks.py says why so short).
RETRIES = 3


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=RETRIES)
def build_letter_batch(self, batch_id):
    """
    Write a LetterBatch's letters from its id. Safe to run twice and after a crash (late acknowledgement hands a
    dead worker's batch to the next worker): a ready or failed batch is left alone, and a run starts from nothing.
    """
    try:
        return build_batch(batch_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            LetterBatch.fail(batch_id, stored(gettext_noop("The letters could not be written (%(error)s)."),
                                              error=f"{type(exc).__name__}: {exc}"))
            return None
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
