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
