"""
/health/: whether this process can reach what it needs, for load balancers and the compose healthchecks.

200 with {"status": "ok", "checks": {...}} naming each dependency checked; 503 with "failed" naming the ones that
did not answer. It holds no group data and needs no sign-in; the reason of a failure goes to the log, not the
answer, so that the page tells a passer-by nothing about how the site is set up.
"""

import logging
import os
import secrets
from pathlib import Path

from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    # Written and read back: a cache that silently drops writes (the rate limits would count nothing) fails too.
    value = secrets.token_hex(8)
    cache.set("health-check", value, timeout=10)
    if cache.get("health-check") != value:
        raise RuntimeError("the cache did not keep what was written")


def check_broker():
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def check_storage():
    storage = storages["private"]
    # A lookup of a name that is never stored: on S3 a HEAD request, which fails if the endpoint, the bucket or
    # the credentials are wrong; on the disk, the folder (or the nearest one that exists) must be writable.
    storage.exists("health-check")
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        while not location.exists():
            location = location.parent
        if not os.access(location, os.W_OK):
            raise PermissionError(f"{location} is not writable")


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker, "storage": check_storage}


@never_cache
@require_GET
def health(request):
    checks, failed = {}, []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure of a dependency is that dependency down, and this page must answer
            logger.exception("Health check failed: %s", name)
            checks[name] = "failed"
            failed.append(name)
        else:
            checks[name] = "ok"
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
