"""
Source capture through a real Celery worker process on the long queue (evidence.tasks.capture_source), against a
page served from 127.0.0.1 (the workers run tests/evidence/capture_worker_settings.py: the site's settings plus the
test-only loopback allowance). Each test starts its own prefork worker (one child, as in production) on a queue
prefix of its own, and routes this process's long queue there, so no other worker of the run takes its captures.

- A volunteer logs a page; the worker captures it and its files are stored with their hashes.
- The child running a capture is killed once every file is written and before the rows are committed: the parent
  sees it die and, with late acks and reject_on_worker_lost, the message comes back at once; the next run empties
  the capture's folder first, so the capture completes with no debris.
- The whole worker is killed at that point: the capture stays "running" until the hourly clean-up says its worker
  stopped; a member retries it from its page, a new worker captures it, and nothing the dead run wrote is left.
"""

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import psutil
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.files import private_storage
from accounts.stored_text import in_english
from evidence.capture import services
from evidence.models import CaptureFile, SourceCapture
from evidence.tasks import delete_stale_import_uploads
from tests.campaigns.test_packs_kill import kill_tree
from tests.conftest import BASE_DIR, database_url, needs_system_program
from tests.evidence.test_captures import Site, _png, log_source

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

KINDS = {"screenshot", "pdf", "html", "warc", "wacz"}


@pytest.fixture
def page():
    """A product page on 127.0.0.1, for the workers (this process's settings do not reach them)."""
    needs_system_program(settings.CAPTURE_CHROMIUM, "chromium")
    served = Site()
    served.pages["/logo.png"] = (200, {"Content-Type": "image/png"}, _png())
    served.html("/product", "Emotion AI 3000")
    yield served
    served.server.shutdown()


@pytest.fixture
def capture_queue(settings):
    """A long queue of the test's own, where this process now sends captures (the router reads JOB_QUEUES)."""
    prefix = f"capture-worker-{os.getpid()}-{time.monotonic_ns()}"
    settings.JOB_QUEUES = {**settings.JOB_QUEUES, "long": f"{prefix}.long"}
    return prefix


@pytest.fixture
def capturing(group, coordinator):
    services.set_source_capture(group, enabled=True, actor=coordinator)
    group.refresh_from_db()
    return group


@pytest.fixture
def start_worker(django_db_setup, tmp_path, capture_queue):
    """Start a prefork worker (one child) on the test's long queue; every worker it started is killed at the end."""
    from config.celery import app

    started = []

    def start(name, *, pause_file=None):
        node = f"{name}-{capture_queue}@localhost"
        log_path = tmp_path / f"{name}.log"
        environment = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
                       "DJANGO_SETTINGS_MODULE": "tests.evidence.capture_worker_settings",
                       "CELERY_QUEUE_PREFIX": capture_queue}
        if pause_file is not None:  # hold the run once its last file, the WACZ, is in storage
            environment.update(CAPTURE_TEST_PAUSE_FILE=str(pause_file), CAPTURE_TEST_PAUSE_AFTER="capture.wacz")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
                 "--queues", f"{capture_queue}.long", "--hostname", node, "--without-gossip", "--without-mingle",
                 "--loglevel", "INFO"],
                cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
        process.log_path = log_path
        started.append(process)
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The worker did not start:\n{log_path.read_text()[-3000:]}")
        return process

    yield start
    for process in started:
        kill_tree(process.pid)


def wait_until(condition, timeout, message, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout}s: {message}\nworker log:\n{worker.log_path.read_text()[-3000:]}")


def stored_in_folder(capture):
    try:
        return sorted(private_storage().listdir(capture.storage_folder())[1])
    except FileNotFoundError:
        return []


def status_of(capture):
    return SourceCapture.objects.get(pk=capture.pk).status


def assert_captured_with_no_debris(capture):
    capture.refresh_from_db()
    assert capture.status == "done", in_english(capture.error)
    assert capture.page_title == "Emotion AI 3000"
    rows = list(capture.files.all())
    assert {row.kind for row in rows} == KINDS
    for row in rows:
        with row.file.open("rb") as handle:
            data = handle.read()
        assert row.size == len(data) > 0 and row.sha256 == hashlib.sha256(data).hexdigest()
    # Only the files the rows name are in the capture's folder: nothing an earlier run wrote is left.
    assert stored_in_folder(capture) == sorted(row.file.name.rsplit("/", 1)[1] for row in rows)


def test_a_real_worker_on_the_long_queue_captures_a_logged_page(start_worker, api_for, capturing, volunteer, page):
    worker = start_worker("capture")
    source = log_source(api_for(volunteer), capturing, page.url("/product"))  # sent to the queue on commit
    capture = SourceCapture.objects.get(source=source)
    wait_until(lambda: status_of(capture) in ("done", "failed"), 120, "the worker captured the page", worker)
    assert_captured_with_no_debris(capture)
    capture.refresh_from_db()
    assert capture.attempts == 1 and capture.final_url == page.url("/product")
    assert b"Emotion AI 3000" in capture.files.get(kind="html").file.open("rb").read()


def test_a_capture_whose_child_is_killed_comes_back_at_once_and_completes_with_no_debris(
        start_worker, api_for, capturing, volunteer, page, tmp_path):
    pause_file = tmp_path / "hold-the-capture"
    pause_file.touch()
    worker = start_worker("child-kill", pause_file=pause_file)
    capture = SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, page.url("/product")))

    # Every file is written, the rows are not: what a worker killed at the worst moment leaves.
    wait_until(lambda: len(stored_in_folder(capture)) == len(KINDS), 120, "the capture's files were written", worker)
    [child] = psutil.Process(worker.pid).children()
    os.kill(child.pid, signal.SIGKILL)
    psutil.wait_procs([child], timeout=10)
    pause_file.unlink()
    capture.refresh_from_db()
    assert capture.status == "running" and not CaptureFile.objects.filter(capture=capture).exists()

    # The parent replaces the child and the message comes back at once (late ack, reject_on_worker_lost).
    wait_until(lambda: status_of(capture) in ("done", "failed"), 120, "the capture completed", worker)
    assert_captured_with_no_debris(capture)
    capture.refresh_from_db()
    assert capture.attempts == 2
    assert worker.poll() is None and "WorkerLostError" in worker.log_path.read_text()


def test_a_capture_whose_worker_died_is_failed_by_the_clean_up_and_a_retry_completes_it_with_no_debris(
        start_worker, client_for, api_for, capturing, volunteer, page, tmp_path):
    pause_file = tmp_path / "hold-the-capture"
    pause_file.touch()
    worker = start_worker("first", pause_file=pause_file)
    capture = SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, page.url("/product")))
    wait_until(lambda: len(stored_in_folder(capture)) == len(KINDS), 120, "the capture's files were written", worker)
    kill_tree(worker.pid)  # parent and child: nobody gives the message back before its long visibility timeout
    debris = stored_in_folder(capture)
    capture.refresh_from_db()
    assert capture.status == "running" and len(debris) == len(KINDS)

    # The hourly clean-up, once the capture has run longer than a live worker would: it may be tried again.
    SourceCapture.objects.filter(pk=capture.pk).update(started_at=timezone.now() - timedelta(minutes=11))
    delete_stale_import_uploads()
    capture.refresh_from_db()
    assert capture.status == "failed" and "worker stopped" in in_english(capture.error)
    client = client_for(volunteer)
    assert capture.retry_url in client.get(capture.get_absolute_url()).content.decode()

    second = start_worker("second")
    assert client.post(capture.retry_url).status_code == 302
    wait_until(lambda: status_of(capture) in ("done", "failed"), 120, "the retried capture completed", second)
    assert_captured_with_no_debris(capture)
    assert not set(debris) & set(stored_in_folder(capture))
