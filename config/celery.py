"""The Celery app. Its settings are the CELERY_* names in config/settings.py."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("disentangle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
