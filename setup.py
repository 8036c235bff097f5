"""
Only what pyproject.toml cannot say: `pip install .` (a wheel) carries the site's templates/, static/ and locale/,
which sit next to the packages in the source tree, inside the config package as config/site/ (config/settings.py
looks there when it runs from an installed copy). The metadata and dependencies are in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SITE_FOLDERS = ("templates", "static", "locale")


class BuildWithSiteFolders(build_py):
    def run(self):
        super().run()
        for name in SITE_FOLDERS:
            shutil.copytree(ROOT / name, Path(self.build_lib) / "config" / "site" / name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithSiteFolders})
