"""
The job queue (Redis) is down: a request that starts a job (a worker check, a briefing pack, a large import) is
not held while Celery retries, and the row it created says at once, on the page and in the API, that it failed
and why. The broker here is an address where nothing listens (tests/conftest.py, dead_broker).
"""

import pytest
from django.urls import reverse

from accounts.models import WorkerCheck
from campaigns.models import BriefingPack
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the jobs are sent once their rows are committed


def test_a_worker_check_started_through_the_api_says_it_failed_and_why(api_for, coordinator, group, dead_broker):
    response = api_for(coordinator).post(reverse("api:worker-check-list"), {"group": group.slug}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed" and body["error"].startswith("The job queue could not be reached")
    assert WorkerCheck.objects.get().status == WorkerCheck.Status.FAILED


def test_a_pack_requested_through_the_api_says_it_failed_and_why(api_for, coordinator, group, dead_broker):
    campaign = CampaignFactory(group=group)
    response = api_for(coordinator).post(reverse("api:pack-list"), {"scope": "campaign", "campaign": campaign.pk},
                                         format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "failed" and body["error"].startswith("The job queue could not be reached")
    assert BriefingPack.objects.get().status == BriefingPack.Status.FAILED


def test_a_worker_check_page_shows_the_failure(client_for, coordinator, group, dead_broker):
    response = client_for(coordinator).post(reverse("worker-check-list", args=[group.slug]), follow=True)
    assert response.status_code == 200
    assert b'data-status="failed"' in response.content
    assert "The job queue could not be reached" in response.content.decode()
