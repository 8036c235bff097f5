"""
The job base: every piece of work too long for a request (a briefing pack, a large spreadsheet import, a worker
check) is a row that the page shows and polls, and a Celery task that takes the row's id.

The row carries the job's whole life, the same way for every kind of job:
- created QUEUED in the request's transaction, and sent to the worker only once that commits (`enqueue`); if the
  queue cannot be reached the row is FAILED at once with the reason, so the page says so instead of waiting;
- claimed by the task with a conditional update and a fresh token (`claim`): only the holder of the current token
  reports progress (`Progress`) or finishes the job (`finish`), so a run whose claim was taken over (its worker
  was presumed dead and the message handed out again, with late acks) changes nothing;
- FAILED with a reason the page shows (`fail`), put back in the queue after a passing error (`requeue`), queued
  again by a person (`retry`), and failed by the periodic clean-up once its worker is gone for good
  (`fail_stale`).

Each job model declares its own `Status` (TextChoices with members QUEUED, RUNNING and FAILED, plus the status a
finished run sets, named by SUCCEEDED) and its `status` field; everything else is here. No request here.
"""

import secrets

from django.conf import settings
from django.db import OperationalError, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import enqueue as send_or_fail

# Errors that go away by themselves (the database or the storage briefly unreachable): a task tries again later.
TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError)
# The longest reason a row keeps.
ERROR_MAX_LENGTH = 2000


class ClaimLost(Exception):
    """Another run of the task holds the job now: this one stops and leaves everything to it."""


class Job(models.Model):
    """A row that is a background job: who asked, its progress, why it failed, and which run holds it."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Each run of the task claims the row with a fresh token; only the holder of the current one may report
    # progress or finish it, so a run that lost its claim (its worker was presumed dead) changes nothing.
    claim = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    # A subclass names the status a finished run sets, and what its status partial is called in the page
    # (templates/includes/_job_status.html): the element's id and which result it describes.
    SUCCEEDED = None
    job_kind = ""
    # How often the status partial asks again while the job is queued or running, in seconds.
    poll_seconds = 1
    # Runs that may die (their worker killed, the message handed out again) before the job is failed.
    max_attempts = 3
    # Where a person queues a failed job again; a job without such a page keeps None.
    retry_url = None

    class Meta:
        abstract = True

    @classmethod
    def active_statuses(cls):
        """The statuses a worker may still move; the others are final (a failed job moves again only by retry)."""
        return (cls.Status.QUEUED, cls.Status.RUNNING)

    @property
    def is_finished(self):
        return self.status not in self.active_statuses()

    @property
    def progress_percent(self):
        return round(100 * self.progress_done / self.progress_total) if self.progress_total else 0

    @property
    def status_id(self):
        return f"{self.job_kind}-status"

    #
    # Sending to the worker
    #

    def enqueue(self, task):
        """
        Send `task` the row's id once the current transaction commits; if the queue cannot be reached then, the row
        is failed with the reason (config.celery.enqueue), and can be retried later.
        """
        model, pk = type(self), self.pk
        transaction.on_commit(lambda: send_or_fail(task, pk, fail=lambda reason: model.fail(pk, reason)))

    def retry(self, task):
        """Queue a failed job again, from nothing; False if it is not failed (any more)."""
        Status = self.Status
        reset = {"status": Status.QUEUED, "error": "", "attempts": 0, "claim": "", "progress_done": 0,
                 "progress_total": 0, "started_at": None, "finished_at": None}
        if not type(self).objects.filter(pk=self.pk, status=Status.FAILED).update(**reset):
            return False
        for name, value in reset.items():
            setattr(self, name, value)
        self.enqueue(task)
        return True

    #
    # The run: claim, progress, finish or fail
    #

    @classmethod
    def claim_for_run(cls, pk, *, gave_up, max_attempts=None):
        """
        Take the job for this run: a queued one, or a running one whose run died (its message came back). Returns
        the run's token, or None for a job that is gone, finished or failed; one whose runs died `max_attempts`
        times (the class's, unless given) is failed with the reason `gave_up`.
        """
        Status = cls.Status
        max_attempts = max_attempts or cls.max_attempts
        token, now = secrets.token_hex(16), timezone.now()
        claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, attempts__lt=max_attempts)
        taken = cls.objects.filter(claimable, pk=pk).update(
            status=Status.RUNNING, claim=token, attempts=F("attempts") + 1, started_at=now, progress_done=0,
            progress_total=0, error="")
        if taken:
            return token
        cls.objects.filter(pk=pk, status=Status.RUNNING).update(
            status=Status.FAILED, claim="", finished_at=now, error=str(gave_up)[:ERROR_MAX_LENGTH])
        return None

    @classmethod
    def held(cls, pk, token):
        """The job, as long as the run holding `token` holds it."""
        return cls.objects.filter(pk=pk, claim=token, status=cls.Status.RUNNING)

    @classmethod
    def finish(cls, pk, token, **values):
        """Mark the job done with `values`, if this run still holds it; returns whether it did."""
        return bool(cls.held(pk, token).update(
            status=cls.SUCCEEDED, finished_at=timezone.now(), progress_done=F("progress_total"), error="",
            claim="", **values))

    @classmethod
    def fail(cls, pk, reason, *, token=None):
        """Mark a queued or running job failed with the reason; with a token, only if that run still holds it."""
        jobs = cls.objects.filter(pk=pk, status__in=cls.active_statuses())
        if token is not None:
            jobs = jobs.filter(claim=token)
        return jobs.update(status=cls.Status.FAILED, error=str(reason)[:ERROR_MAX_LENGTH],
                           finished_at=timezone.now(), claim="")

    @classmethod
    def requeue(cls, pk, token, reason):
        """Give the job back to the queue after a passing error; the task's retry claims it again."""
        return cls.held(pk, token).update(status=cls.Status.QUEUED, claim="", attempts=0,
                                          error=f"Trying again after: {reason}"[:ERROR_MAX_LENGTH])

    #
    # Clean-up
    #

    @classmethod
    def fail_stale(cls, *, older_than, reason, now=None):
        """
        Fail the jobs still running `older_than` after their run started: their worker is gone for good (a dead
        worker's message comes back within a minute and claims the row again, which restarts this clock).
        """
        now = now or timezone.now()
        return cls.objects.filter(status=cls.Status.RUNNING, started_at__lt=now - older_than).update(
            status=cls.Status.FAILED, claim="", finished_at=now, error=str(reason)[:ERROR_MAX_LENGTH])


class Progress:
    """
    Counts a run's steps on its row; raises ClaimLost once another run holds the job. `on_step(name)` is called
    after each step (the pack's tests pause there).
    """

    def __init__(self, model, pk, token, total, *, on_step=None):
        self.model, self.pk, self.token, self.on_step = model, pk, token, on_step
        self._update(progress_total=total, progress_done=0)

    def _update(self, **values):
        if not self.model.held(self.pk, self.token).update(**values):
            raise ClaimLost()

    def step(self, name, count=1):
        self._update(progress_done=F("progress_done") + count)
        if self.on_step is not None:
            self.on_step(name)
