"""
A person's private calendar feed: their open tasks and the next steps of the targets they follow up, at an address
with a secret key that a calendar app fetches without signing in (campaigns/calendar.py).
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import AuditEntry, Membership
from accounts.services import remove_member
from tests.factories import CampaignFactory, MembershipFactory, TargetFactory, TaskFactory

pytestmark = pytest.mark.django_db


def make_address(client):
    response = client.post(reverse("calendar-settings"), {"action": "new"})
    assert response.status_code == 200
    [url] = re.findall(r'data-calendar-url="([^"]+)"', response.content.decode())
    return urlsplit(url).path


def events(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    return {str(event["summary"]): event for event in Calendar.from_ical(response.content).walk("VEVENT")}


@pytest.fixture
def due(group, campaigner, volunteer):
    soon = timezone.localdate() + timedelta(days=3)
    campaign = CampaignFactory(group=group, title="Schools campaign")
    TaskFactory(campaign=campaign, title="Draft the letter to Hanwang", assignee=campaigner, due_on=soon)
    TaskFactory(campaign=campaign, title="Someone else's task", assignee=volunteer, due_on=soon)
    TaskFactory(campaign=campaign, title="A task already done", assignee=campaigner, due_on=soon,
                done_at=timezone.now())
    TaskFactory(campaign=campaign, title="A task with no date", assignee=campaigner)
    TargetFactory(campaign=campaign, owner=campaigner, next_step="Call the press office", next_step_due=soon,
                  institution__name="Hanwang Education")
    return soon


def test_the_feed_lists_my_open_dated_tasks_and_next_steps_and_nothing_else(client_for, client, campaigner, due):
    path = make_address(client_for(campaigner))

    found = events(client, path)  # a calendar app: no session

    assert set(found) == {"Task: Draft the letter to Hanwang", "Hanwang Education: Call the press office"}
    task = found["Task: Draft the letter to Hanwang"]
    assert task.decoded("dtstart") == due
    assert "Schools campaign" in str(task["description"])
    assert str(task["url"]).startswith("http")


def test_another_groups_work_never_shows_even_for_someone_in_both(client_for, client, campaigner, other_group,
                                                                  outsider, due):
    theirs = CampaignFactory(group=other_group, title="Beta's secret campaign")
    TaskFactory(campaign=theirs, title="Beta's own task", assignee=outsider, due_on=due)
    TargetFactory(campaign=theirs, owner=outsider, next_step="Beta's next step", next_step_due=due)
    path = make_address(client_for(campaigner))
    page = client.get(path).content.decode()
    assert "Beta" not in page

    # A member of both groups sees both; once removed from Beta, Beta's items leave the feed at the next fetch.
    MembershipFactory(group=other_group, user=campaigner, role="campaigner")
    TaskFactory(campaign=theirs, title="Beta task for both", assignee=campaigner, due_on=due)
    assert "Task: Beta task for both" in events(client, path)
    remove_member(Membership.objects.get(group=other_group, user=campaigner),
                  actor=other_group.memberships.get(user=outsider).user)
    assert "Task: Beta task for both" not in events(client, path)


def test_a_wrong_old_or_ended_address_is_a_404(client_for, client, campaigner, due):
    owner = client_for(campaigner)
    first = make_address(owner)
    assert client.get(first.replace(first.rsplit("/", 1)[1][:5], "XXXXX")).status_code == 404
    second = make_address(owner)
    assert client.get(first).status_code == 404  # a new address ends the old one
    assert client.get(second).status_code == 200

    response = owner.post(reverse("calendar-settings"), {"action": "end"})
    assert response.status_code == 302
    assert client.get(second).status_code == 404
    actions = list(AuditEntry.objects.filter(object_id=str(campaigner.pk)).values_list("action", flat=True))
    assert actions.count("account.calendar_feed_made") == 2 and "account.calendar_feed_ended" in actions


def test_a_password_change_or_deactivation_ends_the_address(client_for, client, campaigner, due):
    path = make_address(client_for(campaigner))
    campaigner.set_password("a new long passphrase")
    campaigner.save()
    assert client.get(path).status_code == 404

    path = make_address(client_for(campaigner))
    campaigner.is_active = False
    campaigner.save()
    assert client.get(path).status_code == 404


def test_the_address_is_shown_once_and_never_kept(client_for, campaigner):
    owner = client_for(campaigner)
    path = make_address(owner)
    key = path.rsplit("/", 1)[1].removesuffix(".ics")
    campaigner.refresh_from_db()
    assert key not in campaigner.calendar_key_digest
    assert key not in owner.get(reverse("calendar-settings")).content.decode()


def test_the_feed_is_in_the_persons_own_language(client_for, client, campaigner, due):
    campaigner.save_language("zh-hans")
    path = make_address(client_for(campaigner))
    assert "任务：Draft the letter to Hanwang" in events(client, path)


def test_a_bad_action_is_a_clear_400(client_for, campaigner):
    response = client_for(campaigner).post(reverse("calendar-settings"), {"action": "steal"})
    assert response.status_code == 400
