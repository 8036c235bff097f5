"""/health/: what a load balancer or a compose healthcheck asks; names each dependency, shows no group's data."""

import pytest
from django.urls import reverse

from tests.conftest import dead_port, unreachable_s3_storage

pytestmark = pytest.mark.django_db

DEPENDENCIES = {"database", "cache", "broker", "storage"}


@pytest.fixture
def s3_down(settings):
    settings.STORAGES = {**settings.STORAGES, "private": unreachable_s3_storage()}


def test_it_answers_200_naming_each_dependency_it_checked(client, coordinator, group):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "ok", "checks": dict.fromkeys(DEPENDENCIES, "ok")}
    assert response["Cache-Control"].startswith("max-age=0")
    assert b"Alpha" not in response.content and b"alice" not in response.content


def test_it_answers_503_naming_the_broker_when_the_job_queue_is_down(client, dead_broker):
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["broker"]
    assert body["checks"] == {"database": "ok", "cache": "ok", "broker": "failed", "storage": "ok"}


def test_it_answers_503_naming_the_cache_when_it_is_down(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{dead_port()}/0"}}
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]


def test_it_answers_503_naming_storage_when_the_s3_endpoint_is_unreachable(client, s3_down, caplog):
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["failed"] == ["storage"]
    assert "Health check failed: storage" in caplog.text  # the reason is in the log, not in the answer
    assert "127.0.0.1" not in response.content.decode()


def test_it_takes_only_get(client):
    assert client.post(reverse("health")).status_code == 405
