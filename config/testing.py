"""
pytest plugin (loaded with `-p config.testing` from pyproject.toml).

It runs before pytest-django reads the settings, so it can give the whole run, xdist workers included, one
embedded Redis server of its own and one Celery queue per pytest process.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from config import embedded_redis

_server = None
_server_dir = None
_media_dir = None
_scratch_dir = None


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _server, _server_dir, _media_dir, _scratch_dir
    worker_id = os.environ.get("PYTEST_XDIST_WORKER")
    inherited = os.environ.get("MEDIA_ROOT") == os.environ.get("DISENTANGLE_TEST_MEDIA_ROOT")
    if "MEDIA_ROOT" not in os.environ or (worker_id is not None and inherited):
        # Files the tests upload go to a folder of this process's own, removed at the end, never to var/. Each
        # xdist worker gets its own too (not the main process's), so that tests listing stored files do not see
        # the files of tests running at the same time in another worker.
        _media_dir = tempfile.mkdtemp(prefix="disentangle-test-media-")
        os.environ["MEDIA_ROOT"] = _media_dir
        os.environ["DISENTANGLE_TEST_MEDIA_ROOT"] = _media_dir
    # Jobs' scratch folders: one folder per pytest process too, since a pack's run sweeps the folders of earlier
    # runs of its id, and pack 1 of one xdist worker's database is not pack 1 of another's.
    _scratch_dir = tempfile.mkdtemp(prefix="disentangle-test-scratch-")
    os.environ["SCRATCH_DIR"] = _scratch_dir
    if os.environ.get("S3_BUCKET"):
        # Against S3 (CI's third pass): each pytest process writes under a prefix of its own in the one test
        # bucket, for the same reason as the media folders above; removed at the end.
        os.environ["S3_PREFIX"] = f"test-{worker_id or 'main'}-{os.getpid()}"
    if worker_id is None and "REDIS_URL" not in os.environ:
        # xdist workers inherit this environment, so they all talk to the one server started here.
        _server_dir = Path(tempfile.mkdtemp(prefix="disentangle-test-redis-"))
        port = embedded_redis.free_port()
        _server = embedded_redis.start(port, _server_dir, persist=False)
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    # The suite sends thousands of requests a minute as a few users from one address: no throttling but where a
    # test lowers settings.THROTTLE_RATES to see it (tests/test_bounded_inputs.py).
    for name in ("API_RATE_PER_USER", "API_RATE_PER_ADDRESS", "UPLOAD_RATE_PER_USER", "PACK_VERIFY_RATE_PER_ADDRESS"):
        os.environ.setdefault(name, "1000000/minute")
    # Each pytest process gets its own queues, so its worker runs its tasks and nobody else's.
    os.environ["CELERY_QUEUE_PREFIX"] = f"test-{worker_id or 'main'}-{os.getpid()}"
    return (yield)


def pytest_unconfigure(config):
    if os.environ.get("S3_BUCKET") and os.environ.get("S3_PREFIX", "").startswith("test-"):
        try:
            _empty_s3_prefix()
        except Exception as exc:  # a bucket left untidy must not turn a passing run into a failed one
            print(f"Could not empty the test prefix {os.environ['S3_PREFIX']!r} of the S3 bucket: {exc}")
    if _scratch_dir is not None:
        shutil.rmtree(_scratch_dir, ignore_errors=True)
    if _media_dir is not None:
        shutil.rmtree(_media_dir, ignore_errors=True)
    if _server is not None:
        embedded_redis.stop(_server)
        shutil.rmtree(_server_dir, ignore_errors=True)


def _empty_s3_prefix():
    """Delete what this process's tests left under its prefix in the test bucket."""
    from django.core.files.storage import storages

    storage = storages["private"]
    bucket = storage.bucket
    # The process's prefix, and those of tests that had storage of their own (tests/conftest.py).
    for prefix in (f"{storage.location}/", f"{storage.location}--"):
        pages = bucket.meta.client.get_paginator("list_objects_v2").paginate(Bucket=bucket.name, Prefix=prefix)
        for page in pages:
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                bucket.delete_objects(Delete={"Objects": keys, "Quiet": True})
