import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

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
