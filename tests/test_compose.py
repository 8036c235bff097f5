"""
docker-compose.yml, the Dockerfile and .env.example against config/settings.py.

There is no Docker engine where the tests run, so these read the files: the services and how they are
wired, and every environment variable the containers get, which must be one settings.py really reads and
.env.example documents. One test loads the production settings with the compose environment and runs the
deployment checks on them.
"""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
DOCKERIGNORE = BASE_DIR / ".dockerignore"
ENV_EXAMPLE = BASE_DIR / ".env.example"
SETTINGS_FILE = BASE_DIR / "config" / "settings.py"

APP_SERVICES = ("web", "worker-short", "worker-long", "beat")
WORKERS = {"short": "worker-short", "long": "worker-long"}
# What an operator puts in .env for `docker compose up`, as the required ${VAR:?...} variables ask.
OPERATOR_VALUES = {
    "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
    "ALLOWED_HOSTS": "disentangle.example.org",
    "SITE_URL": "https://disentangle.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://disentangle.example.org",
}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, $NAME, and $$.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(value, variables):
    """Fill in a compose value as `docker compose` does, from `variables` instead of the shell and .env."""

    def replace(match):
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"]
        is_set = name in variables and (variables[name] != "" or not (op or "").startswith(":"))
        if op in ("-", ":-"):
            return variables[name] if is_set else arg
        if op in ("?", ":?"):
            if not is_set:
                raise KeyError(f"compose requires {name}: {arg}")
            return variables[name]
        if op in ("+", ":+"):
            return arg if is_set else ""
        return variables.get(name, "")

    return INTERPOLATION.sub(replace, str(value))


def substitution_variables(text):
    """Names referenced as ${NAME...} or $NAME in `text`, with whether each reference carries a default."""
    found = {}
    for match in INTERPOLATION.finditer(text):
        name = match["braced"] or match["named"]
        if name:
            has_default = match["op"] in ("-", ":-", "+", ":+")
            found[name] = found.get(name, True) and has_default
    return found


def as_list(command):
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def healthcheck_text(service):
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(str(part) for part in test)


def is_one_shot(name, compose):
    """A service run to completion (migrations) that the others wait for, instead of a long-running one."""
    waited_for = any(
        isinstance(other.get("depends_on"), dict)
        and other["depends_on"].get(name, {}).get("condition") == "service_completed_successfully"
        for other in compose["services"].values()
    )
    return waited_for and str(compose["services"][name].get("restart", "no")) == "no"


def settings_variables():
    """
    Every environment variable settings.py reads: env.<type>("NAME"), env("NAME"), env_rate("NAME"),
    env_secret("NAME").
    """
    source = SETTINGS_FILE.read_text()
    names = set(re.findall(r"\benv(?:\.\w+|_rate)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source))
    for name in re.findall(r"\benv_secret\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", source):
        names |= {name, f"{name}_FILE"}
    return names


def env_example():
    """{NAME: (value, commented_out, comment line above)} for each variable line of .env.example."""
    variables = {}
    previous = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            assert match[2] not in variables, f"{match[2]} is listed twice in .env.example"
            variables[match[2]] = (match[3], bool(match[1]), previous)
        previous = line
    return variables


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def app_env(compose):
    """The environment web, worker and beat get, filled in with what an operator sets in .env."""
    return {
        name: interpolate(value, OPERATOR_VALUES)
        for name, value in environment(compose["services"]["web"]).items()
    }


def test_it_defines_the_services(compose):
    assert {"db", "redis", "web", "worker-short", "worker-long", "beat"} <= set(compose["services"])
    assert compose["services"]["db"]["image"].split(":") == ["postgres", "16"]
    assert compose["services"]["redis"]["image"].split(":") == ["redis", "7"]


def test_it_builds_every_django_service_from_the_one_django_block(compose):
    django = compose["x-django"]
    assert django["build"] and django["image"] and django["environment"]
    for name in [*APP_SERVICES, *(name for name in compose["services"] if is_one_shot(name, compose))]:
        service = compose["services"][name]
        assert service["build"] == django["build"], name
        assert service["image"] == django["image"], name
        # The same object, not an equal copy: the service merges `<<: *django` and does not restate it.
        assert service["environment"] is django["environment"], f"{name} restates its environment"
        assert service["volumes"] is django["volumes"], f"{name} restates its volumes"


def test_it_runs_gunicorn_with_the_wsgi_application_of_the_settings(compose):
    command = as_list(compose["services"]["web"]["command"])
    assert command[0] == "gunicorn"
    module, _, attribute = settings.WSGI_APPLICATION.rpartition(".")
    assert f"{module}:{attribute}" in command
    assert command[command.index("--bind") + 1] == "0.0.0.0:8000"
    assert any(port.endswith(":8000") for port in compose["services"]["web"]["ports"])


def test_its_web_workers_outlast_the_longest_request_it_serves(compose):
    # No request runs long: a large import is read, checked and saved by the worker, the request only stores the
    # file (tests/evidence/test_import_checked_by_worker.py). A stuck worker is replaced within a normal timeout.
    command = as_list(compose["services"]["web"]["command"])
    assert "--timeout" in command and 30 <= int(command[command.index("--timeout") + 1]) <= 60


def test_it_runs_the_celery_workers_and_beat_of_the_config_app(compose):
    for name in WORKERS.values():
        assert as_list(compose["services"][name]["command"])[:4] == ["celery", "-A", "config", "worker"], name
    beat = as_list(compose["services"]["beat"]["command"])
    assert beat[:4] == ["celery", "-A", "config", "beat"]

    # `-A config` must find the app, as the celery command line does.
    from celery.app.utils import find_app

    from config.celery import app

    assert find_app("config") is app


def test_it_keeps_the_beat_schedule_in_a_writable_path_that_its_healthcheck_watches(compose):
    beat = compose["services"]["beat"]
    command = as_list(beat["command"])
    option = next(o for o in ("--schedule", "-s") if o in command)
    schedule = command[command.index(option) + 1]
    mounts = [volume.split(":")[1] for volume in beat.get("volumes", [])]
    assert schedule.startswith("/tmp/") or any(schedule.startswith(m + "/") for m in mounts), schedule
    assert schedule in healthcheck_text(beat)


def test_it_gives_every_long_running_service_a_healthcheck(compose):
    for name, service in compose["services"].items():
        if is_one_shot(name, compose):
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
        test = service["healthcheck"]["test"]
        assert test and as_list(test)[0] != "NONE", name


def test_it_checks_each_service_in_its_own_way(compose):
    services = compose["services"]
    assert "pg_isready" in healthcheck_text(services["db"])
    assert "redis-cli ping" in healthcheck_text(services["redis"])
    web = healthcheck_text(services["web"])
    # Production settings redirect plain http, and reject a Host they do not allow.
    assert "/health/" in web and "X-Forwarded-Proto" in web and "https" in web and "ALLOWED_HOSTS" in web
    for pool, name in WORKERS.items():
        worker = services[name]
        # Pings the worker of this very container, by the node name its command gives it.
        command = as_list(worker["command"])
        node = command[command.index("--hostname") + 1]
        assert node == f"{pool}@%h"
        assert f"celery -A config inspect ping -d {pool}@$$HOSTNAME" in healthcheck_text(worker)
        # CMD-SHELL so that the shell expands HOSTNAME; $$ so that compose leaves it to the shell.
        assert as_list(worker["healthcheck"]["test"])[0] == "CMD-SHELL"


def test_each_worker_pool_consumes_its_queue_of_the_settings(compose, app_env, tmp_path):
    env = {**app_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'q.sqlite3'}", "VAR_DIR": str(tmp_path / "var"),
           "PATH": os.environ.get("PATH", "")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "import json; from django.conf import settings; print(json.dumps(settings.JOB_QUEUES))"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    queues = json.loads(result.stdout.strip().splitlines()[-1])
    for pool, name in WORKERS.items():
        command = as_list(compose["services"][name]["command"])
        assert command[command.index("--queues") + 1] == queues[pool], name
    # A long job is not killed by `docker compose stop` while it can still finish.
    assert compose["services"]["worker-long"]["stop_grace_period"]


def test_it_starts_the_app_once_db_redis_and_migrations_are_ready(compose):
    for name in APP_SERVICES:
        depends_on = compose["services"][name]["depends_on"]
        assert depends_on["db"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
    one_shots = [name for name in compose["services"] if is_one_shot(name, compose)]
    assert one_shots, "nothing runs the migrations"
    migrate = compose["services"][one_shots[0]]
    assert as_list(migrate["command"])[-3:] == ["manage.py", "migrate", "--noinput"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"


def test_it_declares_every_named_volume_it_uses(compose):
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used == set(compose.get("volumes") or {})
    assert {"pgdata", "redisdata", "media"} <= used


def test_it_stores_media_on_the_media_volume(compose, app_env):
    assert f"media:{app_env['MEDIA_ROOT']}" in compose["x-django"]["volumes"]


def test_it_points_the_app_at_the_db_and_redis_services(compose, app_env):
    database = environ.Env.db_url_config(app_env["DATABASE_URL"])
    db = environment(compose["services"]["db"])
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"]) == ("db", 5432)
    assert database["NAME"] == db["POSTGRES_DB"]
    assert database["USER"] == db["POSTGRES_USER"]
    assert database["PASSWORD"] == interpolate(db["POSTGRES_PASSWORD"], OPERATOR_VALUES)

    for name in ("REDIS_URL", "CACHE_URL"):
        if name in app_env:
            url = urlsplit(app_env[name])
            assert (url.scheme, url.hostname, url.port) == ("redis", "redis", 6379), name
    assert app_env["DJANGO_ENV"] == "production"


def test_it_only_passes_variables_that_settings_read_and_env_example_documents(compose):
    read = settings_variables()
    documented = set(env_example())
    for name in APP_SERVICES:
        for variable in environment(compose["services"][name]):
            assert variable in read, f"{name} sets {variable}, which config/settings.py never reads"
            assert variable in documented, f"{name} sets {variable}, which .env.example does not document"


def test_it_needs_nothing_in_env_but_settings_variables(compose):
    # A variable compose fills in that is no setting (POSTGRES_PASSWORD) is not in .env.example, so it
    # must have a default: `cp .env.example .env` plus the required settings is enough to start.
    read = settings_variables()
    for name, has_default in substitution_variables(COMPOSE_FILE.read_text()).items():
        assert name in read or has_default, f"compose requires {name}, which .env.example cannot document"


def test_it_documents_exactly_the_variables_settings_read():
    documented = set(env_example())
    read = settings_variables()
    assert not documented - read, f".env.example lists what settings.py does not read: {documented - read}"
    assert not read - documented, f"settings.py reads what .env.example does not list: {read - documented}"


def test_it_explains_every_variable_and_ships_no_secret():
    for name, (_value, _commented_out, comment) in env_example().items():
        is_comment = comment.startswith("# ") and not re.match(r"^#\s*[A-Z][A-Z0-9_]*=", comment)
        assert is_comment, f"{name} has no comment of its own above it"
        assert "default" in comment.lower(), f"the comment on {name} does not give its default"
    secret, commented_out, _ = env_example()["SECRET_KEY"]
    assert commented_out or not secret


def test_it_builds_one_unprivileged_image_with_pinned_dependencies():
    dockerfile = DOCKERFILE.read_text()
    instructions = [line for line in dockerfile.splitlines() if line and not line.lstrip().startswith("#")]
    assert instructions[0].split() == ["FROM", "python:3.11-slim"]
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"pip install -c constraints\.txt", dockerfile)
    assert "[dev]" not in dockerfile and "optional-dependencies" not in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
    assert "EXPOSE 8000" in instructions
    assert instructions[-1] == (
        'CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]'
    )


def test_it_bakes_only_settings_variables_into_the_image(compose, app_env):
    dockerfile = DOCKERFILE.read_text().replace("\\\n", " ")
    baked = dict(re.findall(r"\b([A-Z][A-Z0-9_]*)=(\S+)", " ".join(
        line[len("ENV "):] for line in dockerfile.splitlines() if line.startswith("ENV ")
    )))
    read = settings_variables()
    for name in baked:
        assert name.startswith(("PYTHON", "PIP_")) or name in read, f"image sets {name}: not a setting"
    assert baked["DJANGO_ENV"] == "production"
    assert baked["MEDIA_ROOT"] == app_env["MEDIA_ROOT"]
    # The media directory is created and handed to the app user, so that a fresh volume is writable.
    assert re.search(rf"mkdir -p {re.escape(baked['MEDIA_ROOT'])}", dockerfile)
    assert re.search(r"chown -R app:app /data\b", dockerfile)


def test_it_keeps_local_state_and_secrets_out_of_the_image():
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    for pattern in (".env", ".venv/", "var/", ".git/", "**/__pycache__/"):
        assert pattern in ignored, pattern


def test_it_passes_the_deployment_checks_with_the_compose_environment(app_env, tmp_path):
    env = {
        **app_env,
        # The one change: check --deploy needs no database server, so SQLite stands in for the db service.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}",
        "VAR_DIR": str(tmp_path / "var"),
        "PATH": os.environ.get("PATH", ""),
    }
    # Nothing of the test run's own environment (DJANGO_SETTINGS_MODULE, REDIS_URL, queue names) leaks in.
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_image_installs_the_chinese_fonts_the_pdf_looks_for():
    from campaigns.briefing import fonts

    dockerfile = DOCKERFILE.read_text().replace("\\\n", " ")
    assert re.search(r"apt-get install -y --no-install-recommends [^&]*\bfonts-noto-cjk\b", dockerfile)
    # Where Debian's fonts-noto-cjk puts them, which is where campaigns/briefing/fonts.py looks.
    assert fonts.SYSTEM_CJK_FONT_DIR == "/usr/share/fonts/opentype/noto"
