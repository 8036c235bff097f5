"""A job sent from a web request runs in a real Celery worker process, and its result shows on the site."""

import pytest
from django.urls import reverse

from accounts.models import WorkerCheck

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_check_started_from_the_page_is_answered_by_the_worker(
    celery_worker_process, client_for, coordinator, group, wait_for
):
    client = client_for(coordinator)
    response = client.post(reverse("worker-check-list", args=[group.slug]))
    check = WorkerCheck.objects.get(group=group)
    assert response["Location"] == check.get_absolute_url()

    wait_for(lambda: WorkerCheck.objects.get(pk=check.pk).status == WorkerCheck.Status.DONE,
             message=f"worker never answered; its log:\n{celery_worker_process.log_path.read_text()[-2000:]}")

    page = client.get(check.get_absolute_url())
    assert b'data-status="done"' in page.content
    check.refresh_from_db()
    assert check.worker_hostname.startswith("test-")
    assert check.worker_hostname.encode() in page.content
    # While pending the fragment polls itself; once done it stops polling.
    fragment = client.get(check.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content
    assert b"hx-trigger" not in fragment.content


def test_a_check_started_through_the_api_is_answered_by_the_worker(
    celery_worker_process, api_for, coordinator, group, wait_for
):
    api = api_for(coordinator)
    response = api.post(reverse("api:worker-check-list"), {"group": group.slug}, format="json")
    assert response.status_code == 201, response.json()
    url = reverse("api:worker-check-detail", args=[response.json()["id"]])
    wait_for(lambda: api.get(url).json()["status"] == "done", message="worker never answered")
    assert api.get(url).json()["worker_hostname"].startswith("test-")


def test_a_pending_check_page_polls_for_its_result(client_for, coordinator, group):
    check = WorkerCheck.objects.create(group=group, requested_by=coordinator)
    page = client_for(coordinator).get(check.get_absolute_url())
    assert b'hx-trigger="every 1s"' in page.content
    assert b'data-status="pending"' in page.content


def test_a_check_says_why_when_the_queue_is_unreachable(client_for, coordinator, group, dead_broker):
    response = client_for(coordinator).post(reverse("worker-check-list", args=[group.slug]), follow=True)
    assert response.status_code == 200
    check = WorkerCheck.objects.get(group=group)
    assert check.status == WorkerCheck.Status.FAILED
    assert "could not be reached" in check.error
    assert b'data-status="failed"' in response.content


@pytest.mark.django_db
def test_a_check_answered_twice_keeps_its_first_answer(coordinator, group):
    from accounts.tasks import run_worker_check

    check = WorkerCheck.objects.create(group=group, requested_by=coordinator)
    run_worker_check.apply(args=[check.pk])
    first = WorkerCheck.objects.get(pk=check.pk)
    assert first.status == "done" and first.worker_hostname
    run_worker_check.apply(args=[check.pk])  # the message handed out again
    again = WorkerCheck.objects.get(pk=check.pk)
    assert (again.status, again.finished_at, again.attempts) == ("done", first.finished_at, 1)
    assert run_worker_check.apply(args=[check.pk + 1000]).result is None  # a check that is gone
