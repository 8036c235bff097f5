import gzip
import http.server
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def run_manage(args, env, tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "SECRET_KEY"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, capture_output=True, text=True,
        env={**clean, "VAR_DIR": str(tmp_path), **env}, timeout=120,
    )


def production_env(tmp_path):
    return {
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "disentangle.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "REDIS_URL": "redis://redis.example.org:6379/0",
        "CACHE_URL": "redis://redis.example.org:6379/1",
    }


def test_it_passes_the_deployment_checks_in_production(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_reads_the_secret_key_from_a_file(tmp_path):
    env = production_env(tmp_path)
    secret_file = tmp_path / "secret"
    secret_file.write_text(env.pop("SECRET_KEY") + "\n")
    env["SECRET_KEY_FILE"] = str(secret_file)
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode == 0, result.stderr


def test_an_unknown_environment_name_fails_loudly(tmp_path):
    result = run_manage(["check"], {"DJANGO_ENV": "prod"}, tmp_path)
    assert result.returncode != 0
    assert "DJANGO_ENV must be" in result.stderr


def test_the_embedded_defaults_need_no_configuration(tmp_path):
    result = run_manage(["migrate", "--no-input", "-v", "0"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "disentangle.sqlite3").exists()


PRODUCTION_REQUESTS = """
import json
from django.test import Client
from accounts.models import User

User.objects.create_user("alice", password="correct-horse-battery")
client = Client(HTTP_HOST="disentangle.example.org")
page = client.get("/login/", secure=True)
signed_in = client.post("/login/", {"login": "alice", "password": "correct-horse-battery"}, secure=True)
plain = Client(HTTP_HOST="disentangle.example.org").get("/login/")
print(json.dumps({
    "status": [page.status_code, signed_in.status_code, plain.status_code],
    "headers": dict(page.headers),
    "redirect": plain.get("Location", ""),
    "cookies": {name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"],
                       "path": c["path"], "domain": c["domain"]}
                for response in (page, signed_in) for name, c in response.cookies.items()},
}))
"""


def test_production_responses_carry_the_security_headers(tmp_path):
    env = {**production_env(tmp_path), "STATIC_ROOT": str(tmp_path / "static")}
    for command in (["migrate", "--no-input", "-v", "0"], ["collectstatic", "--no-input", "-v", "0"]):
        result = run_manage(command, env, tmp_path)
        assert result.returncode == 0, result.stderr
    script = tmp_path / "requests.py"
    script.write_text(PRODUCTION_REQUESTS)
    result = run_manage(["shell", "-c", f"exec(open({str(script)!r}).read())"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["status"] == [200, 302, 301]
    assert seen["redirect"].startswith("https://")

    headers = seen["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(
        (directive.split()[0], directive.split()[1:]) for directive in headers["Content-Security-Policy"].split("; ")
    )
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)

    cookies = seen["cookies"]
    # __Host-: only a secure page of this very host sets them, for the whole site (Path=/, no Domain).
    assert {"__Host-csrftoken", "__Host-sessionid"} <= set(cookies)
    assert not {"csrftoken", "sessionid"} & set(cookies)
    for name, flags in cookies.items():
        assert flags["secure"] and flags["httponly"], name
        if name.startswith("__Host-"):
            assert flags["path"] == "/" and not flags["domain"], name


def test_development_over_plain_http_keeps_cookies_a_browser_accepts(client, db):
    from django.conf import settings

    response = client.get("/login/")
    assert settings.CSRF_COOKIE_NAME in response.cookies and not settings.CSRF_COOKIE_NAME.startswith("__Host-")
    assert not settings.SESSION_COOKIE_NAME.startswith("__Host-") and not settings.SESSION_COOKIE_SECURE


@pytest.mark.parametrize("cache_url", [None, "locmemcache://", "dbcache://cache_table"])
def test_production_refuses_a_cache_other_than_redis(tmp_path, cache_url):
    env = production_env(tmp_path)
    del env["CACHE_URL"]
    if cache_url:
        env["CACHE_URL"] = cache_url
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode != 0
    assert "CACHE_URL must name a Redis server in production" in result.stderr


#
# Log lines
#

LOG_A_REQUEST = """
from django.test import Client
Client().get("/no-such-page/", headers={"X-Request-ID": "%s"})
"""


def logged_lines(env, tmp_path, request_id):
    result = run_manage(["shell", "-c", LOG_A_REQUEST % request_id], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stderr.splitlines() if "no-such-page" in line]


def test_it_logs_time_level_logger_and_the_request_id(tmp_path):
    request_id = uuid.uuid4().hex
    [line] = logged_lines({}, tmp_path, request_id)
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING django\.request \[{request_id}\] Not Found: /no-such-page/",
        line), line


def test_it_logs_one_json_object_a_line_when_asked(tmp_path):
    request_id = uuid.uuid4().hex
    [line] = logged_lines({"LOG_FORMAT": "json"}, tmp_path, request_id)
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "django.request"
    assert entry["request_id"] == request_id and entry["message"] == "Not Found: /no-such-page/"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", entry["time"])


def test_it_refuses_an_unknown_log_format(tmp_path):
    result = run_manage(["check"], {"LOG_FORMAT": "xml"}, tmp_path)
    assert result.returncode != 0 and "LOG_FORMAT must be one of text, json" in result.stderr


def test_each_response_carries_its_request_id(client, db):
    response = client.get("/login/")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


#
# Sentry: opt-in
#

REPORT_AN_ERROR = """
import sentry_sdk
print("initialised" if sentry_sdk.is_initialized() else "not initialised")
sentry_sdk.capture_message("the-test-report")
sentry_sdk.flush(timeout=5)
"""


@pytest.fixture
def sentry_server():
    """An HTTP server standing in for Sentry: it keeps the body of every request it gets."""
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            encoding = self.headers.get("Content-Encoding")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":  # the SDK prefers Brotli when the package is installed (locust brings it)
                import brotli

                body = brotli.decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.received = received
    yield server
    server.shutdown()


def test_sentry_is_not_initialised_and_sends_nothing_without_a_dsn(tmp_path, sentry_server):
    result = run_manage(["shell", "-c", REPORT_AN_ERROR], {"SENTRY_DSN": ""}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "not initialised" in result.stdout
    assert sentry_server.received == []


def test_sentry_reports_to_the_dsn_when_set(tmp_path, sentry_server):
    dsn = f"http://publickey@127.0.0.1:{sentry_server.server_port}/1"
    result = run_manage(["shell", "-c", REPORT_AN_ERROR], {"SENTRY_DSN": dsn}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "initialised" in result.stdout.splitlines()
    assert any(b"the-test-report" in body for body in sentry_server.received)
