"""
Background jobs of campaigns: briefing packs (built from a row's id, see campaigns/packs/) and their clean-up,
and the daily digest.

The daily digest: each person with campaign work due or overdue gets one e-mail listing it. Run by Celery beat
(config/settings.py, CELERY_BEAT_SCHEDULE); safe to run again the same day, since a DigestDelivery row per person
and day is claimed before the e-mail goes out.
"""

import logging
import smtplib
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_noop, ngettext

from accounts.jobs import TRANSIENT_ERRORS
from accounts.languages import in_language_of
from accounts.models import User
from accounts.stored_text import stored
from campaigns.models import BriefingPack, DigestDelivery, Target, Task
from campaigns.packs.build import build_pack
from campaigns.packs.storage import prune
from config import scratch

logger = logging.getLogger(__name__)


def digest_until(today):
    return today + timedelta(days=settings.CAMPAIGN_DIGEST_DAYS_AHEAD)


def due_items(user, today):
    """The user's targets and tasks due by the digest's horizon, overdue ones included, in their own groups only."""
    until = digest_until(today)
    targets = (Target.objects.visible_to(user).due_for(user, until)
               .select_related("institution", "campaign").order_by("next_step_due", "created_at", "pk"))
    tasks = (Task.objects.visible_to(user).due_for(user, until)
             .select_related("campaign", "target__institution").order_by("due_on", "created_at", "pk"))
    return list(targets), list(tasks)


def send_digest(user, today):
    """Send `user` today's digest unless it was sent already or nothing is due. True if an e-mail went out."""
    targets, tasks = due_items(user, today)
    if not targets and not tasks:
        return False
    try:
        with transaction.atomic():
            delivery = DigestDelivery.objects.create(user=user, sent_on=today, item_count=len(targets) + len(tasks))
    except IntegrityError:
        return False  # another run sent it today
    count = len(targets) + len(tasks)
    try:
        with in_language_of(user):
            body = render_to_string("campaigns/email/digest.txt", {
                "user": user, "targets": targets, "tasks": tasks, "today": today, "until": digest_until(today),
                "site_url": settings.SITE_URL.rstrip("/"),
            })
            subject = ngettext("Disentangle: %(count)s item due", "Disentangle: %(count)s items due",
                               count) % {"count": count}
        send_mail(subject, body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        # Give the claim back, so that the next run tries this person again.
        delivery.delete()
        logger.exception("The digest for user %s could not be sent", user.pk)
        return False
    return True


def send_digests(today=None):
    """Send every person with due or overdue work their digest for `today`; returns how many were sent."""
    today = today or timezone.localdate()
    until = digest_until(today)
    # Candidates only: each person's own items are read again through visible_to(user) in send_digest.
    owners = Target.objects.chased().filter(next_step_due__lte=until).values("owner_id")
    assignees = Task.objects.open().filter(due_on__lte=until).values("assignee_id")
    people = (User.objects.filter(is_active=True).exclude(email="")
              .filter(Q(pk__in=owners) | Q(pk__in=assignees))
              .exclude(pk__in=DigestDelivery.objects.filter(sent_on=today).values("user_id")).order_by("pk"))
    return sum(send_digest(user, today) for user in people.iterator())


@shared_task
def send_due_digests():
    """Celery beat's daily job. Takes no arguments; running it twice on a day sends nothing the second time."""
    return send_digests()


# Passing errors are retried after 2, 4, 8 s: each wait well below the broker's visibility timeout, which a
# message waiting for its countdown in a worker would otherwise outlive and be handed out twice.
PACK_RETRIES = 3


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=PACK_RETRIES)
def build_briefing_pack(self, pack_id):
    """
    Build a BriefingPack from its id. Safe to run twice, and after a crash (late acknowledgement hands a dead
    worker's pack to the next worker): a ready or failed pack is left alone and a run starts from nothing.
    """
    try:
        return build_pack(pack_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            BriefingPack.fail(pack_id, stored(gettext_noop("The pack could not be built (%(error)s)."),
                                              error=f"{type(exc).__name__}: {exc}"))
            return None
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc


@shared_task
def prune_expired_packs():
    """
    Celery beat's hourly clean-up of expired packs (campaigns.packs.storage.prune), and of the scratch files killed jobs
    left behind (config.scratch.sweep); safe to run any time, twice.
    """
    scratch.sweep()
    return prune()
