"""
Named actors, as in the user stories: in the group "Alpha Watch", alice coordinates, carol campaigns, victor
volunteers and vera only reads. bob coordinates "Beta Rights", another group; to Alpha he is an outsider.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import Role
from tests.factories import GroupFactory, MembershipFactory, UserFactory

BASE_DIR = Path(__file__).resolve().parent.parent

# Two web processes and two workers sharing no disk can only share files through object storage: the test runs
# in CI's S3 pass (.ci/run), where S3_BUCKET names the bucket of a real S3 server.
collect_ignore = [] if os.environ.get("S3_BUCKET") else ["test_multi_host.py"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashing costs ~0.1 s a user on purpose; the tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def needs_system_program(program, debian_package):
    """
    Tests that drive a real Debian program (Chromium, Dovecot, poppler) run wherever it is installed; CI installs each
    (.ci/run), so there a missing one fails the run, and elsewhere the test says what to install.
    """
    if shutil.which(program) or Path(program).is_absolute() and Path(program).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI runs these tests: install Debian's {debian_package} ({program} is missing).")
    pytest.skip(f"This test needs {program}: apt-get install {debian_package}.")


@pytest.fixture(autouse=True)
def site_language_at_start():
    # The test client runs LocaleMiddleware in this thread, so a request in Chinese leaves Chinese active for the
    # next test in the same worker; a message checked in English then failed only in some orders (pytest-xdist).
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def fresh_cache():
    """
    An empty cache before and after the test: throttle counts, lock-outs and allauth's used TOTP codes (no replay,
    keyed by user id, which the next test may reuse) live there.
    """
    cache.clear()
    yield
    cache.clear()


def member(group, username, role):
    return MembershipFactory(group=group, user=UserFactory(username=username), role=role).user


@pytest.fixture
def group(db):
    return GroupFactory(name="Alpha Watch", slug="alpha-watch")


@pytest.fixture
def other_group(db):
    return GroupFactory(name="Beta Rights", slug="beta-rights")


@pytest.fixture
def listed_other_group(other_group):
    """Beta Rights, listed by its coordinators among the groups others may share evidence with."""
    other_group.listed_for_sharing = True
    other_group.save(update_fields=["listed_for_sharing"])
    return other_group


@pytest.fixture
def coordinator(group):
    return member(group, "alice", Role.COORDINATOR)


@pytest.fixture
def campaigner(group):
    return member(group, "carol", Role.CAMPAIGNER)


@pytest.fixture
def volunteer(group):
    return member(group, "victor", Role.VOLUNTEER)


@pytest.fixture
def viewer(group):
    return member(group, "vera", Role.VIEWER)


@pytest.fixture
def outsider(other_group):
    return member(other_group, "bob", Role.COORDINATOR)


@pytest.fixture
def actors(coordinator, campaigner, volunteer, viewer, outsider):
    return {
        "coordinator": coordinator, "campaigner": campaigner, "volunteer": volunteer,
        "viewer": viewer, "outsider": outsider,
    }


@pytest.fixture
def client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def api_for():
    def sign_in(user):
        # A session, like the browser: each request loads the user afresh, as in production.
        api = APIClient()
        api.force_login(user)
        return api

    return sign_in


@pytest.fixture
def count_queries():
    """Run `fn` and return how many queries it made."""

    def run(fn):
        with CaptureQueriesContext(connection) as context:
            fn()
        return len(context.captured_queries)

    return run


#
# Private storage: the local disk, or S3 when the suite runs against it (S3_BUCKET, CI's third pass)
#


def stored_names(storage, folder=""):
    """Every file's name under `folder`, through the storage API alone, so it reads the disk and S3 alike."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder}/" if folder else ""
    names = [f"{prefix}{name}" for name in files]
    for child in folders:
        names.extend(stored_names(storage, f"{prefix}{child}"))
    return sorted(names)


def read_stored(storage, name):
    with storage.open(name, "rb") as handle:
        return handle.read()


def dead_port():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_s3_storage():
    """Private storage in a bucket on an address where nothing listens, failing fast."""
    from botocore.config import Config

    return {
        "BACKEND": "config.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": "disentangle", "endpoint_url": f"http://127.0.0.1:{dead_port()}",
            "access_key": "key", "secret_key": "secret", "region_name": "us-east-1", "file_overwrite": False,
            "client_config": Config(connect_timeout=1, retries={"max_attempts": 1}),
        },
    }


@pytest.fixture
def own_private_storage(settings, tmp_path):
    """
    Private storage of this test alone, so that it can list what it left behind (no worker sees it): a folder of
    its own on the disk, or a prefix of its own in the bucket when the suite runs against S3.
    """
    from django.core.files.storage import storages

    entry = settings.STORAGES["private"]
    if entry["BACKEND"] == "config.storage.PrivateS3Storage":
        # Beside the process's own prefix, not inside it, so listing one never lists the other.
        location = f"{entry['OPTIONS']['location']}--{tmp_path.name}"
    else:
        location = tmp_path / "private"
    own = {**entry, "OPTIONS": {**entry["OPTIONS"], "location": location}}
    settings.STORAGES = {**settings.STORAGES, "private": own}
    return storages["private"]


#
# A real Celery worker process
#


def database_url(settings_dict):
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if user else ""
    return f"postgres://{credentials}{settings_dict['HOST']}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """
    `celery worker` in its own process, on this pytest process's queues (short and long) and test database. Tests
    that use it must be `django_db(transaction=True)`, since the worker only sees committed rows.
    """
    from django.conf import settings

    from config.celery import app

    queues = ",".join(settings.JOB_QUEUES.values())
    node = f"{settings.CELERY_QUEUE_PREFIX}@localhost"
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict)}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", queues,
             "--hostname", node, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[node], timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}")
    process.log_path = log_path
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def wait_for():
    """Poll `condition` until it is true; fail with `message` after `timeout` seconds."""

    def wait(condition, timeout=30, message="condition not met"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        pytest.fail(f"Timed out after {timeout}s: {message}")

    return wait


@pytest.fixture
def dead_broker(monkeypatch):
    """The job queue is down: Celery's broker is an address where nothing listens."""
    from config.celery import app

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setattr(app.conf, "broker_url", url)
    monkeypatch.setattr(app.conf, "result_backend", url)
    # The connection pools are made again from broker_url (what Celery does after a fork), and put back after.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    return url
