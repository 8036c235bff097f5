"""
Settings of the Celery workers that tests/campaigns/test_packs_kill.py starts and kills: the site's own settings,
plus the test-only pause (campaigns.packs.writers.pause_for_tests) that holds a pack at a known step while a file
exists, so that the test kills the worker at that step and not by chance.
"""

import os

from config.settings import *  # noqa: F403

PACK_TEST_PAUSE = (os.environ["PACK_TEST_PAUSE_STEP"], os.environ["PACK_TEST_PAUSE_FILE"])
