"""
A worker killed in the middle of a briefing pack leaves nothing half-written marked ready, and the pack completes.

Each test starts its own Celery workers, with the prefork pool (one child runs the task, as in production), on a
queue of its own, with tests/campaigns/pack_worker_settings.py: the site's settings plus a pause that holds the
pack at a known step while a file exists. So the kill lands at that step every time, not by chance:
- the child running the task is killed once the ZIP sits in storage under its temporary name: the worker's
  parent sees the child die and, with late acks and reject_on_worker_lost, puts the message back at once;
- the whole worker (parent and child) is killed halfway through writing the ZIP, and a new worker started: the
  message, unacknowledged in Redis, is handed out again after the visibility timeout at the next sweep
  (config/settings.py explains the transport options). This test shortens the timeout and the time limits
  through the environment (20 s, sweeps every second) to stay quick; the defaults give under a minute.
"""

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import psutil
import pytest
from django.db import connection

from campaigns.models import BriefingPack
from campaigns.packs.manifest import signature_is_valid
from campaigns.packs.storage import open_for_download, private_storage
from campaigns.tasks import build_briefing_pack
from tests.conftest import BASE_DIR, database_url
from tests.factories import BriefingPackFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

# Short enough for a quick test, long enough for a small pack on a busy 2-core machine.
FAST_RESTORE = {"CELERY_LONG_TASK_SOFT_TIME_LIMIT": "15", "CELERY_LONG_TASK_TIME_LIMIT": "18",
                "CELERY_LONG_VISIBILITY_TIMEOUT": "20", "CELERY_UNACKED_RESTORE_INTERVAL": "1"}


@pytest.fixture
def pause_file(tmp_path):
    path = tmp_path / "hold-the-pack"
    path.touch()
    return path


@pytest.fixture
def kill_queue():
    """The long queue of a queue prefix of the test's own: its workers take the long queue's broker settings."""
    return f"packs-kill-{os.getpid()}-{time.monotonic_ns()}.long"


@pytest.fixture
def start_worker(django_db_setup, tmp_path, kill_queue):
    """Start a prefork worker (one child) on the test's queue; every worker it started is killed at the end."""
    from config.celery import app

    started = []

    def start(name, *, step, pause_file, env=None):
        node = f"{name}-{kill_queue}@localhost"
        log_path = tmp_path / f"{name}.log"
        environment = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict),
                       "DJANGO_SETTINGS_MODULE": "tests.campaigns.pack_worker_settings",
                       "PACK_TEST_PAUSE_STEP": step, "PACK_TEST_PAUSE_FILE": str(pause_file),
                       "CELERY_QUEUE_PREFIX": kill_queue.removesuffix(".long"), **(env or {})}
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
                 "--queues", kill_queue, "--hostname", node, "--without-gossip", "--without-mingle",
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


def kill_tree(pid):
    """SIGKILL a process and its children; returns the pids killed."""
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return []
    family = [*parent.children(recursive=True), parent]
    for process in family:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(family, timeout=10)
    return [p.pid for p in family]


def wait_until(condition, timeout, message, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    log = f"\nworker log:\n{worker.log_path.read_text()[-3000:]}" if worker is not None else ""
    pytest.fail(f"Timed out after {timeout}s: {message}{log}")


def stored_files(pack):
    try:
        return private_storage().listdir(f"packs/{pack.pk}")[1]
    except FileNotFoundError:
        return []


def assert_complete_and_intact(pack):
    pack.refresh_from_db()
    assert pack.status == "ready" and pack.error == ""
    # Only the finished file is left: the first run's partial upload was removed, nothing else lingers.
    assert stored_files(pack) == [pack.file_name.rsplit("/", 1)[1]]
    with open_for_download(pack) as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    manifest = json.loads(archive.read("manifest.json"))
    assert signature_is_valid(manifest)
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert {"briefing.pdf", "briefing.docx", "evidence.csv", "targets.csv"} <= set(archive.namelist())


def queue_pack(pack_campaign, coordinator, kill_queue):
    pack = BriefingPackFactory(campaign=pack_campaign.campaign, requested_by=coordinator)
    build_briefing_pack.apply_async(args=[pack.pk], queue=kill_queue)
    return pack


def test_killing_the_child_running_the_pack_leaves_nothing_ready_and_the_pack_completes(
        start_worker, pause_file, kill_queue, pack_campaign, coordinator):
    worker = start_worker("child-kill", step="stored", pause_file=pause_file)
    pack = queue_pack(pack_campaign, coordinator, kill_queue)

    # The run holds once its whole ZIP is in storage under the temporary name, before it is moved and marked ready.
    # (The step is counted after the file is saved, and the pause comes after the count: wait for both.)
    wait_until(lambda: any(name.startswith("partial-") for name in stored_files(pack))
               and BriefingPack.objects.get(pk=pack.pk).progress_done == 7, 60, "the pack reached storage", worker)
    [child] = psutil.Process(worker.pid).children()
    os.kill(child.pid, signal.SIGKILL)
    psutil.wait_procs([child], timeout=10)
    pack.refresh_from_db()
    assert pack.status == "running" and pack.file_name == "" and pack.attempts == 1
    assert pack.progress_done == pack.progress_total == 7  # every step done but the last: the move, then READY
    pause_file.unlink()

    # The parent replaces the child and the message comes back at once (late ack, reject_on_worker_lost).
    wait_until(lambda: BriefingPack.objects.get(pk=pack.pk).status == "ready", 60, "the pack completed", worker)
    assert_complete_and_intact(pack)
    pack.refresh_from_db()
    assert pack.attempts == 2
    assert worker.poll() is None  # the worker itself lived on
    assert "WorkerLostError" in worker.log_path.read_text()


def test_killing_the_whole_worker_mid_pack_and_starting_another_completes_the_pack(
        start_worker, pause_file, kill_queue, pack_campaign, coordinator):
    worker = start_worker("first", step="zip", pause_file=pause_file, env=FAST_RESTORE)
    pack = queue_pack(pack_campaign, coordinator, kill_queue)

    # The run holds halfway through writing the ZIP: read, briefing and tables done (5 steps), nothing stored.
    wait_until(lambda: BriefingPack.objects.get(pk=pack.pk).progress_done == 5, 60, "the pack was half-built",
               worker)
    killed = kill_tree(worker.pid)
    assert len(killed) >= 2 and not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"
                                        for pid in killed)
    killed_at = time.monotonic()
    pack.refresh_from_db()
    assert pack.status == "running" and pack.file_name == "" and stored_files(pack) == []
    pause_file.unlink()

    second = start_worker("second", step="zip", pause_file=pause_file, env=FAST_RESTORE)
    wait_until(lambda: BriefingPack.objects.get(pk=pack.pk).status == "ready", 60, "the pack completed", second)
    # Back only after the visibility timeout (20 s from delivery here), at a sweep, and rebuilt within the minute.
    assert 10 < time.monotonic() - killed_at < 60
    assert_complete_and_intact(pack)
    pack.refresh_from_db()
    assert pack.attempts == 2


def test_a_killed_runs_scratch_files_are_removed_by_the_next_run(
        start_worker, pause_file, kill_queue, pack_campaign, coordinator, tmp_path):
    scratch = tmp_path / "scratch"
    env = {**FAST_RESTORE, "SCRATCH_DIR": str(scratch)}
    worker = start_worker("first", step="zip", pause_file=pause_file, env=env)
    pack = queue_pack(pack_campaign, coordinator, kill_queue)
    wait_until(lambda: BriefingPack.objects.get(pk=pack.pk).progress_done == 5, 60, "the pack was half-built",
               worker)
    kill_tree(worker.pid)
    # The briefing's text, in the scratch directory, under a name that says whose it is.
    [left] = [path for path in scratch.iterdir() if path.name.startswith(f"disentangle-pack-{pack.pk}-")]
    assert (left / "briefing.pdf").exists() and (left / "evidence.csv").exists()
    pause_file.unlink()

    second = start_worker("second", step="zip", pause_file=pause_file, env=env)
    wait_until(lambda: BriefingPack.objects.get(pk=pack.pk).status == "ready", 60, "the pack completed", second)
    assert list(scratch.iterdir()) == []
