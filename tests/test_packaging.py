"""
`pip install .` (a wheel, not editable) gives a working site: the project is installed into a folder of its own,
outside the source tree, and the site runs from there with its templates, static files, translations, the report's
data and the briefing's Typst template. The dependencies come from the test run's environment.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import BASE_DIR

SOURCE_IGNORED = shutil.ignore_patterns(".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__",
                                        "*.pyc", ".pytest_cache", ".ruff_cache", "test-artifacts", "node_modules")

RUN_THE_SITE = """
import json
from pathlib import Path
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation
import config
from campaigns.briefing import pdf
from evidence import report_data

call_command("migrate", verbosity=0)
login = Client().get("/login/")
css = Client().get("/static/css/site.css")
with translation.override("zh-hans"):
    chinese = Client(headers={"accept-language": "zh-hans"}).get("/login/")
print(json.dumps({
    "config": config.__file__,
    "login": [login.status_code, "csrfmiddlewaretoken" in login.content.decode()],
    "chinese": chinese.content.decode().count("登录") > 0,
    "css": css.status_code,
    "report": report_data.BUNDLED_REPORT.is_file(),
    "typst": pdf.TEMPLATE.is_file(),
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project as `pip install .` leaves it: a folder on sys.path holding only the built wheel's files."""
    root = tmp_path_factory.mktemp("packaging")
    source = root / "source"
    shutil.copytree(BASE_DIR, source, ignore=SOURCE_IGNORED)
    target = root / "site-packages"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_the_wheel_carries_the_sites_files(installed):
    for path in ("config/site/templates/base.html", "config/site/locale/zh_Hans/LC_MESSAGES/django.mo",
                 "evidence/data/emotional-entanglement.json", "campaigns/briefing/templates/briefing.typ"):
        assert (installed / path).is_file(), path
    assert any((installed / "config/site/static").rglob("*.css"))
    assert any((installed / "campaigns/static").rglob("*"))
    assert not (installed / "tests").exists() and not (installed / "templates").exists()


def test_the_installed_site_runs_outside_the_source_tree(installed, tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "DATABASE_URL", "PYTHONPATH"))}
    env.update(PYTHONPATH=str(installed), DJANGO_SETTINGS_MODULE="config.settings", VAR_DIR=str(tmp_path / "var"))
    check = subprocess.run([sys.executable, "-m", "django", "check"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr

    result = subprocess.run([sys.executable, "-m", "django", "shell", "-c", RUN_THE_SITE], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["config"].startswith(str(installed))
    assert seen["login"] == [200, True]
    assert seen["chinese"]
    assert seen["css"] == 200
    assert seen["report"] and seen["typst"]
