"""
The mailbox's background jobs: the periodic task that queues a fetch of each connected mailbox (short queue: it
only writes rows), and the fetch itself (long queue: a large mailbox and each attachment's content check take
longer than the short queue's limit).
"""

from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.jobs import TRANSIENT_ERRORS
from accounts.stored_text import stored
from campaigns.mailbox.fetch import run_fetch
from campaigns.mailbox.models import Mailbox, MailFetch

FETCH_RETRIES = 3
# A fetch still running after this has lost its worker for good (the long queue hands a dead worker's task out again
# well within it); it is failed so that the mailbox is fetched again.
STALE_AFTER = timedelta(hours=1)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=FETCH_RETRIES)
def fetch_mailbox(self, fetch_id):
    """Run a MailFetch from its id; safe to run twice (each message is taken once, in its own transaction)."""
    try:
        return run_fetch(fetch_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            MailFetch.fail(fetch_id, stored(gettext_noop("The mailbox could not be fetched (%(error)s)."),
                                            error=f"{type(exc).__name__}: {exc}"))
            return None
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


def queue_fetches():
    """Queue a fetch of every connected mailbox that has none queued or running; returns how many were queued."""
    MailFetch.fail_stale(older_than=STALE_AFTER, reason=stored(gettext_noop(
        "The fetch stopped without finishing (its worker is gone); the next one starts where it stopped.")))
    # A fetch queued long ago whose message the broker lost would hold its mailbox for ever; past STALE_AFTER another
    # is queued (two runs at once file nothing twice: each message is taken under the mailbox's row lock).
    busy = MailFetch.objects.filter(status__in=MailFetch.active_statuses(),
                                    created_at__gte=timezone.now() - STALE_AFTER).values("mailbox")
    queued = 0
    for mailbox in Mailbox.objects.exclude(pk__in=busy).order_by("pk"):
        with transaction.atomic():
            MailFetch.objects.create(mailbox=mailbox).enqueue(fetch_mailbox)
        queued += 1
    return queued


@shared_task
def fetch_mailboxes():
    """Celery beat's periodic job (MAILBOX_FETCH_SECONDS): a fetch of each connected mailbox."""
    return queue_fetches()
