"""
Settings of the Celery workers that tests/evidence/test_capture_worker.py starts and kills: the site's own settings,
plus the test-only loopback allowance (the test serves its pages from 127.0.0.1), and, when the test asks
(CAPTURE_TEST_PAUSE_FILE), private storage that holds a capture once its last file is written, before its rows
are committed, for as long as that file exists: the test kills the worker there, not by chance.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import STORAGES

CAPTURE_ALLOW_LOOPBACK = True

if os.environ.get("CAPTURE_TEST_PAUSE_FILE"):
    CAPTURE_TEST_PAUSE = (os.environ["CAPTURE_TEST_PAUSE_AFTER"], os.environ["CAPTURE_TEST_PAUSE_FILE"])
    CAPTURE_TEST_STORAGE_BACKEND = STORAGES["private"]["BACKEND"]
    STORAGES = {**STORAGES, "private": {**STORAGES["private"],
                                        "BACKEND": "tests.evidence.capture_worker_storage.pausing_storage"}}
