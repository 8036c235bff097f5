"""
The site on several machines: two web processes (gunicorn) and two Celery workers, each with an empty local media
and scratch folder of its own (no shared disk), sharing only the database, Redis and the S3 bucket.

Collected only when the suite runs against S3 (S3_BUCKET, CI's third pass, on PostgreSQL; tests/conftest.py).
Web A sends its jobs to worker B's queue and web B to worker A's, so each step crosses machines on purpose:
- a volunteer uploads a file through web A; worker B builds a pack including it; web B serves the pack and the
  file, and their hashes match what was uploaded;
- a coordinator's import uploaded through web B is saved by worker A;
- worker B is killed in the middle of a second pack; worker A takes its queue and the pack ends READY.
"""

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from datetime import timedelta

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from campaigns.models import BriefingPack
from campaigns.packs import keys
from campaigns.packs.manifest import signature_is_valid
from config.embedded_redis import free_port
from evidence.models import EvidenceImport, EvidenceRecord
from tests.campaigns.test_packs_kill import FAST_RESTORE, kill_tree
from tests.conftest import BASE_DIR, database_url
from tests.factories import CampaignFactory, EvidenceRecordFactory, TargetEvidenceFactory, TargetFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n% multi-host\n"
CSV = ("title,summary,kind\nCameras in Hangzhou,Cameras read moods,deployment\n"
       "Tender,A bureau buys cameras,procurement\n")


# The key of this test process (tests/conftest.py), passed to every host in PACK_SIGNING_KEY.
SIGNING_KEY = keys.private_key().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


class Host:
    """One machine's process: its own empty folders, the shared database, Redis and bucket."""

    def __init__(self, name, tmp_path, queue_prefix, extra_env=None):
        self.name = name
        self.folder = tmp_path / name
        (self.folder / "media").mkdir(parents=True)
        (self.folder / "scratch").mkdir()
        self.log_path = self.folder / "process.log"
        self.env = {**os.environ, **FAST_RESTORE, **(extra_env or {}),
                    "DATABASE_URL": database_url(connection.settings_dict),
                    "MEDIA_ROOT": str(self.folder / "media"), "SCRATCH_DIR": str(self.folder / "scratch"),
                    # Every process signs packs with the same key, given in its environment as an operator would:
                    # none makes one of its own (its key file would be in its own empty folder, never created).
                    "PACK_SIGNING_KEY": SIGNING_KEY, "PACK_SIGNING_KEY_FILE": str(self.folder / "no-key.pem"),
                    # Jobs go to <prefix>.short and <prefix>.long (config/celery.py routes them).
                    "CELERY_QUEUE_PREFIX": queue_prefix}
        self.process = None

    def start(self, command):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        return self

    def log(self):
        return self.log_path.read_text(errors="replace")

    def local_files(self):
        """What this machine keeps on its own disk: nothing, since every file lives in the bucket."""
        return [p for p in (self.folder / "media").rglob("*") if p.is_file()]


def wait_until(condition, timeout, message, *hosts):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    logs = "".join(f"\n--- {host.name}:\n{host.log()[-3000:]}" for host in hosts)
    pytest.fail(f"Timed out after {timeout}s: {message}{logs}")


@pytest.fixture
def hosts(django_db_setup, tmp_path):
    """Start processes; every one started is killed at the end."""
    started = []

    def web(name, *, send_jobs_to, extra_env=None):
        port = free_port()
        host = Host(name, tmp_path, send_jobs_to, extra_env).start(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--timeout", "120"])
        started.append(host)
        host.url = f"http://127.0.0.1:{port}"

        def healthy():
            try:
                return requests.get(f"{host.url}/health/", timeout=20).status_code == 200
            except requests.RequestException:
                return host.process.poll() is not None  # died: stop waiting, the assertion below says so

        wait_until(healthy, 90, f"{name} answered /health/", host)
        assert host.process.poll() is None, host.log()
        return host

    def worker(name, *, queue, extra_env=None):
        from config.celery import app

        host = Host(name, tmp_path, queue, extra_env)
        host.node = f"{name}-{queue}@localhost"
        host.start([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
                    "--concurrency", "1", "--queues", f"{queue}.short,{queue}.long", "--hostname", host.node,
                    "--without-gossip",
                    "--without-mingle", "--loglevel", "INFO"])
        started.append(host)
        wait_until(lambda: host.process.poll() is not None or app.control.ping(destination=[host.node], timeout=0.5),
                   90, f"{name} answered a ping", host)
        assert host.process.poll() is None, host.log()
        return host

    yield web, worker
    for host in started:
        kill_tree(host.process.pid)


def token_for(user):
    key = ApiToken.new_key()
    ApiToken.objects.create(user=user, name="multi-host test", digest=ApiToken.digest_of(key),
                            expires_at=timezone.now() + timedelta(days=1))
    return {"Authorization": f"Token {key}"}


def session_for(user):
    """A signed-in browser session (stored in the shared database), usable on any web process."""
    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    return session


def csrf_token(page):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def read_zip(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(archive.read("manifest.json"))
    assert signature_is_valid(manifest)
    # Signed on a worker with the key every host was given: this process checks it with the same key.
    assert keys.key_that_signed(archive.read("manifest.json"), archive.read("manifest.sig")).current
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    return archive


def test_two_web_hosts_and_two_workers_share_only_the_database_redis_and_the_bucket(
        hosts, tmp_path, group, coordinator, volunteer):
    web, worker = hosts
    run = f"{os.getpid()}-{time.monotonic_ns()}"
    queue_a, queue_b = f"multi-a-{run}", f"multi-b-{run}"
    pause_file = tmp_path / "hold-the-pack"
    # Worker B holds a pack halfway through its ZIP while pause_file exists (tests/campaigns/pack_worker_settings.py).
    worker_b = worker("worker-b", queue=queue_b, extra_env={
        "DJANGO_SETTINGS_MODULE": "tests.campaigns.pack_worker_settings",
        "PACK_TEST_PAUSE_STEP": "zip", "PACK_TEST_PAUSE_FILE": str(pause_file)})
    worker_a = worker("worker-a", queue=queue_a)
    web_a = web("web-a", send_jobs_to=queue_b)
    web_b = web("web-b", send_jobs_to=queue_a, extra_env={"IMPORT_INLINE_MAX_ROWS": "1"})

    campaign = CampaignFactory(group=group, title="No emotion recognition in classrooms")
    record = EvidenceRecordFactory(group=group, title="Smart classroom in Hangzhou")
    TargetEvidenceFactory(target=TargetFactory(campaign=campaign), record=record)
    volunteer_api, coordinator_api = token_for(volunteer), token_for(coordinator)

    # A volunteer uploads through web A.
    response = requests.post(f"{web_a.url}/api/evidence/{record.pk}/attachments/", headers=volunteer_api,
                             files={"file": ("notice.pdf", PDF)}, timeout=60)
    assert response.status_code == 201, response.text
    uploaded = response.json()
    assert uploaded["sha256"] == hashlib.sha256(PDF).hexdigest()

    # Worker B builds a pack including it (web A sends its jobs to worker B's queue).
    response = requests.post(f"{web_a.url}/api/packs/", headers=coordinator_api, timeout=60, json={
        "scope": "campaign", "campaign": campaign.pk, "include_attachments": True,
        "only_verified": False})  # the record is a draft, still being documented
    assert response.status_code == 201, response.text
    first = BriefingPack.objects.get(pk=response.json()["id"])
    wait_until(lambda: BriefingPack.objects.get(pk=first.pk).status == "ready", 120, "worker B built the pack",
               worker_b)
    assert "build_briefing_pack[" in worker_b.log() and "build_briefing_pack[" not in worker_a.log()

    # Web B serves the pack and the file, as uploaded.
    response = requests.get(f"{web_b.url}/api/packs/{first.pk}/download/", headers=coordinator_api, timeout=60)
    assert response.status_code == 200, response.text
    first.refresh_from_db()
    assert hashlib.sha256(response.content).hexdigest() == first.sha256
    archive = read_zip(response.content)
    # Web B's verify page checks what worker B signed: the same key reached both through their settings.
    visitor = requests.Session()
    form = visitor.get(f"{web_b.url}/packs/verify/", timeout=60).text
    checked = visitor.post(f"{web_b.url}/packs/verify/", data={"csrfmiddlewaretoken": csrf_token(form)},
                           files={"file": ("pack.zip", response.content)}, timeout=60)
    assert 'data-verdict="signed"' in checked.text, checked.text[-2000:]
    assert archive.read(f"attachments/E{record.pk}/notice.pdf") == PDF
    response = session_for(volunteer).get(f"{web_b.url}/attachments/{uploaded['id']}/download/", timeout=60)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == uploaded["sha256"]

    # An import uploaded through web B is saved by worker A.
    browser = session_for(coordinator)
    form = browser.get(f"{web_b.url}/evidence/import/", timeout=60)
    assert form.status_code == 200
    preview = browser.post(f"{web_b.url}/evidence/import/", timeout=60,
                           data={"group": group.pk, "csrfmiddlewaretoken": csrf_token(form.text)},
                           files={"file": ("evidence.csv", CSV.encode())})
    assert preview.status_code == 200, preview.text[-2000:]
    confirm_path = re.search(r'action="(/evidence/import/[\w-]+/)"', preview.text).group(1)
    confirmed = browser.post(f"{web_b.url}{confirm_path}", allow_redirects=False, timeout=60, data={
        "action": "import_all", "csrfmiddlewaretoken": csrf_token(preview.text)})
    assert confirmed.status_code == 302, confirmed.text[-2000:]
    job = EvidenceImport.objects.get()
    wait_until(lambda: EvidenceImport.objects.get(pk=job.pk).status == "done", 120, "worker A saved the import",
               worker_a)
    assert "import_evidence[" in worker_a.log() and "import_evidence[" not in worker_b.log()
    assert set(EvidenceRecord.objects.filter(group=group).values_list("title", flat=True)) >= {
        "Cameras in Hangzhou", "Tender"}

    # Worker B is killed halfway through a second pack; worker A takes over its queue and finishes it.
    pause_file.touch()
    response = requests.post(f"{web_a.url}/api/packs/", headers=coordinator_api, timeout=60, json={
        "scope": "campaign", "campaign": campaign.pk, "include_attachments": True,
        "only_verified": False})  # the record is a draft, still being documented
    assert response.status_code == 201, response.text
    second = BriefingPack.objects.get(pk=response.json()["id"])
    wait_until(lambda: BriefingPack.objects.get(pk=second.pk).progress_done == 5, 120, "worker B half-built it",
               worker_b)
    kill_tree(worker_b.process.pid)
    pause_file.unlink()
    from config.celery import app

    app.control.add_consumer(f"{queue_b}.long", destination=[worker_a.node], reply=True, timeout=10)
    # Back after the visibility timeout (FAST_RESTORE: 20 s) at worker A's next sweep.
    wait_until(lambda: BriefingPack.objects.get(pk=second.pk).status == "ready", 120, "worker A finished the pack",
               worker_a)
    second.refresh_from_db()
    assert second.attempts == 2
    response = requests.get(f"{web_b.url}/api/packs/{second.pk}/download/", headers=coordinator_api, timeout=60)
    assert response.status_code == 200
    assert read_zip(response.content).read(f"attachments/E{record.pk}/notice.pdf") == PDF

    # Nothing was kept on any machine's own disk: every file went to the bucket.
    assert [path for host in (web_a, web_b, worker_a, worker_b) for path in host.local_files()] == []
