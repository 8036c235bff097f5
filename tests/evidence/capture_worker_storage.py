"""
The private storage of tests/evidence/capture_worker_settings.py: the site's own backend (the disk, or S3 in CI's
third pass), which waits after saving a file whose name ends as the test says, while the test's pause file exists.
"""

import os
import time

from django.conf import settings
from django.utils.module_loading import import_string


def pausing_storage(**options):
    """Django's STORAGES builds the backend by calling its BACKEND with the OPTIONS: here, a subclass of the site's."""
    base = import_string(settings.CAPTURE_TEST_STORAGE_BACKEND)
    ending, pause_file = settings.CAPTURE_TEST_PAUSE

    class PausingStorage(base):
        def _save(self, name, content):
            saved = super()._save(name, content)
            if saved.endswith(ending):
                deadline = time.monotonic() + 120
                while os.path.exists(pause_file) and time.monotonic() < deadline:
                    time.sleep(0.05)
            return saved

    return PausingStorage(**options)
