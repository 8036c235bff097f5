"""
The Celery app. Its settings are the CELERY_* names in config/settings.py; which queue each task goes to is here.

Two queues, each served by its own pool of workers (`make run` and docker-compose.yml start both):
- short: checks, digests, clean-ups. Short time limits and a short broker visibility timeout, so that the task of a
  worker that died is handed out again within a minute.
- long: briefing packs, imports, source captures (and the letter batches to come). Time limits of many minutes, and a
  visibility timeout above them, so that a task still running is never handed to a second worker.
"""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SHORT, LONG = "short", "long"

# Every task that is not short, by name. A task missing here goes to the short queue with the short limits: a new
# long job must be added, or it is killed at the short limit.
LONG_TASKS = {
    "campaigns.tasks.build_briefing_pack",
    "campaigns.letters.tasks.build_letter_batch",
    "evidence.tasks.import_evidence",
    "campaigns.mailbox.tasks.fetch_mailbox",
    "evidence.tasks.capture_source",
}


def queue_of(task_name):
    """SHORT or LONG: the pool whose workers run `task_name`."""
    return LONG if task_name in LONG_TASKS else SHORT


def queue_name(pool):
    """The broker's name of a pool's queue: CELERY_QUEUE_PREFIX.short or .long (the tests give each run its own)."""
    from django.conf import settings

    return settings.JOB_QUEUES[pool]


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery's router (task_routes): each task to its pool's queue."""
    return {"queue": queue_name(queue_of(name))}


class TimeLimits:
    """Celery's task annotations: a long task gets the long queue's time limits (short ones are the defaults)."""

    def annotate(self, task):
        if queue_of(task.name) == LONG:
            from django.conf import settings

            return {"soft_time_limit": settings.CELERY_LONG_TASK_SOFT_TIME_LIMIT,
                    "time_limit": settings.CELERY_LONG_TASK_TIME_LIMIT}
        return None


app = Celery("disentangle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_routes = (route_task,)
app.conf.task_annotations = (TimeLimits(),)
app.autodiscover_tasks()
# Tasks of an app's package of their own (found by name, so config imports no app).
app.autodiscover_tasks(["campaigns.mailbox"])


@signals.celeryd_init.connect
def size_the_broker_to_the_pool(sender, instance, conf, options, **kwargs):
    """
    A worker consuming the long queue takes the long broker settings (config/settings.py explains them): its
    visibility timeout, and its own record of unacknowledged messages in Redis. Their own record, because kombu's
    sweep hands out again every message in it older than the sweeping worker's timeout: with one record, a short
    worker would hand out a pack that a long worker is still building after a minute.
    """
    from django.conf import settings

    queues = options.get("queues") or list(settings.JOB_QUEUES.values())
    if settings.JOB_QUEUES[LONG] in queues:
        conf.broker_transport_options = settings.CELERY_LONG_BROKER_TRANSPORT_OPTIONS


logger = logging.getLogger(__name__)


def enqueue(task, *args, fail):
    """
    Send `task` with `args` (ids only) to the worker, or, if the queue cannot be reached, call `fail(reason)` at
    once, so that the job's row says it failed and why. Returns whether it was sent.

    A request waits at most about CELERY_BROKER_CONNECTION_TIMEOUT (2 s) on a dead Redis: no retries of the
    publish (Celery's default retry policy tries again for seconds), and no result subscription (on a Redis result
    backend, sending a task subscribes to its result first, retried 20 times a second apart): the rows carry
    each job's status and nobody reads a task's result.
    """
    from django.utils.translation import gettext_noop

    from accounts.stored_text import stored

    try:
        task.apply_async(args, retry=False, ignore_result=True)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, a timeout: all mean "unreachable"
        logger.warning("Could not send %s%r to the queue: %s", task.name, args, exc)
        # Stored untranslated: whoever reads the row sees it in their own language.
        fail(stored(gettext_noop("The job queue could not be reached: %(error)s"), error=exc))
        return False
    return True
