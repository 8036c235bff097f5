"""
The two job queues (config/celery.py): short jobs and long ones, each with its own time limits and broker settings.
"""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings

from accounts.tasks import run_worker_check
from campaigns.tasks import build_briefing_pack, prune_expired_packs, send_due_digests
from config.celery import app, enqueue
from evidence.tasks import delete_stale_import_uploads, import_evidence
from tests.conftest import BASE_DIR

SHORT_TASKS = [run_worker_check, send_due_digests, prune_expired_packs, delete_stale_import_uploads]
LONG_TASKS = [build_briefing_pack, import_evidence]


@pytest.fixture
def broker(settings):
    """
    The test run's Redis, with two queues of this test alone: the run's own are consumed by the test worker that
    other tests start (tests/conftest.py), which would take a message before it is counted.
    """
    prefix = f"queues-test-{os.getpid()}-{time.monotonic_ns()}"
    settings.JOB_QUEUES = {"short": f"{prefix}.short", "long": f"{prefix}.long"}
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.delete(*settings.JOB_QUEUES.values())


def waiting(broker):
    return {pool: broker.llen(name) for pool, name in settings.JOB_QUEUES.items()}


@pytest.mark.parametrize("task", LONG_TASKS, ids=lambda task: task.name)
def test_it_sends_packs_and_imports_to_the_long_queue(broker, task):
    assert enqueue(task, 12345, fail=pytest.fail)
    assert waiting(broker) == {"short": 0, "long": 1}


@pytest.mark.parametrize("task", SHORT_TASKS, ids=lambda task: task.name)
def test_it_sends_checks_digests_and_clean_ups_to_the_short_queue(broker, task):
    app.send_task(task.name, args=[12345] if task is run_worker_check else [], ignore_result=True)
    assert waiting(broker) == {"short": 1, "long": 0}


def test_it_sends_beats_periodic_jobs_to_the_short_queue(broker):
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        app.send_task(entry["task"], ignore_result=True)
    assert waiting(broker) == {"short": len(settings.CELERY_BEAT_SCHEDULE), "long": 0}


@pytest.mark.parametrize("task", LONG_TASKS, ids=lambda task: task.name)
def test_a_long_tasks_time_limits_are_the_long_queues(task):
    assert (task.soft_time_limit, task.time_limit) == (
        settings.CELERY_LONG_TASK_SOFT_TIME_LIMIT, settings.CELERY_LONG_TASK_TIME_LIMIT)
    # Long enough for a pack of PACK_MAX_RECORDS (about 50 s) and a 50,000-row import (about 5 minutes).
    assert settings.CELERY_LONG_TASK_SOFT_TIME_LIMIT >= 900


@pytest.mark.parametrize("task", SHORT_TASKS, ids=lambda task: task.name)
def test_a_short_tasks_time_limits_are_the_short_queues(task):
    limits = (task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT,
              task.time_limit or settings.CELERY_TASK_TIME_LIMIT)
    assert limits == (settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT)


def test_each_queue_hands_out_a_dead_workers_task_only_after_its_hard_limit():
    short, long = settings.CELERY_BROKER_TRANSPORT_OPTIONS, settings.CELERY_LONG_BROKER_TRANSPORT_OPTIONS
    assert settings.CELERY_TASK_TIME_LIMIT < short["visibility_timeout"] <= 60
    assert settings.CELERY_LONG_TASK_TIME_LIMIT < long["visibility_timeout"]
    # Their own records of unacknowledged messages: a short worker's sweep never touches a running pack.
    kombus_defaults = {"unacked_key": "unacked", "unacked_index_key": "unacked_index",
                       "unacked_mutex_key": "unacked_mutex"}
    for key, default in kombus_defaults.items():
        assert long[key] != short.get(key, default)


def test_settings_refuse_a_long_visibility_timeout_below_the_long_time_limit(tmp_path):
    from tests.test_settings import run_manage

    result = run_manage(["check"], {"CELERY_LONG_TASK_TIME_LIMIT": "900", "CELERY_LONG_VISIBILITY_TIMEOUT": "600"},
                        tmp_path)
    assert result.returncode != 0 and "CELERY_LONG_VISIBILITY_TIMEOUT" in result.stderr


def worker_conf(queues, tmp_path):
    """Start a worker on `queues`, ask it for its configuration (celery inspect conf), stop it."""
    prefix = f"conf-{os.getpid()}-{time.monotonic_ns()}"
    node = f"{prefix}@localhost"
    names = {"short": f"{prefix}.short", "long": f"{prefix}.long"}
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--hostname", node,
             "--queues", ",".join(names[pool] for pool in queues), "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR, env={**os.environ, "CELERY_QUEUE_PREFIX": prefix}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (replies := app.control.inspect(destination=[node], timeout=0.5).conf(with_defaults=True)):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The worker did not start:\n{log_path.read_text()[-3000:]}")
        return replies[node]
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.worker
def test_a_worker_of_the_long_queue_takes_the_long_broker_settings(tmp_path):
    options = worker_conf(["long"], tmp_path)["broker_transport_options"]
    # (Celery's inspect masks the values of settings named like *key, so the unacked keys are not compared.)
    assert options["visibility_timeout"] == settings.CELERY_LONG_VISIBILITY_TIMEOUT


@pytest.mark.worker
def test_a_worker_of_the_short_queue_keeps_the_short_broker_settings(tmp_path):
    options = worker_conf(["short"], tmp_path)["broker_transport_options"]
    assert options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
