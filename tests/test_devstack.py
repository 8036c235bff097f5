"""`make run` from nothing: the stack starts, a demo account signs in, a job runs in the worker, Ctrl-C stops all."""

import http.cookiejar
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
from pathlib import Path

import pytest

from config import embedded_redis

BASE_DIR = Path(__file__).resolve().parent.parent


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.url, response.read().decode()

    def post(self, path, data):
        _, html = self.get(path)
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


def test_it_runs_the_whole_site_and_stops_cleanly(tmp_path):
    web_port, redis_port = embedded_redis.free_port(), embedded_redis.free_port()
    drop = ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_DEFAULT_QUEUE", "DJANGO_ENV")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"VAR_DIR": str(tmp_path / "var"), "EMBEDDED_REDIS_PORT": str(redis_port),
                "SITE_URL": f"http://127.0.0.1:{web_port}"})
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "config.devstack", "--port", str(web_port)],
                                   cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        browser = Browser(f"http://127.0.0.1:{web_port}")
        wait_until(lambda: "Sign in" in browser.get("/login/")[1], 120, "the login page", process, log)
        assert "coordinator  password disentangle-demo" in log.read_text()
        wait_until(lambda: "beat: Starting" in log.read_text(), 30, "celery beat", process, log)
        # With no configuration at all, every dependency /health/ checks answers.
        assert json.loads(browser.get("/health/")[1]) == {"status": "ok", "checks": {
            "database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"}}

        url, html = browser.post("/login/", {"login": "coordinator", "password": "disentangle-demo"})
        assert url.endswith("/groups/demo-coalition/")
        assert "Background jobs" in html

        check_url, html = browser.post("/groups/demo-coalition/worker-checks/", {})
        assert "/worker-checks/" in check_url
        wait_until(lambda: 'data-status="done"' in browser.get(urllib.parse.urlparse(check_url).path)[1],
                   60, "the worker to answer", process, log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            returncode = process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert returncode == 0, log.read_text()[-3000:]
    assert "Stopped." in log.read_text()
    assert not embedded_redis.is_answering(redis_port)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{web_port}/login/", timeout=2)
