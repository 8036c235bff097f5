"""
Saved searches with alerts (evidence/saved_searches.py): a member keeps an evidence list search, is e-mailed the
count of records that newly match it and that they may see, daily or weekly, and reads them in a private Atom feed.
"""

import re
import smtplib
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from evidence.models import SavedSearch, SavedSearchAlert
from evidence.saved_searches import send_due_alerts
from evidence.tasks import send_saved_search_alerts
from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
DAY = timedelta(days=1)


def save(client, query="q=camera&status=verified", name="Cameras", frequency="daily"):
    response = client.post(reverse("saved-search-list"), {"name": name, "query": query, "frequency": frequency})
    assert response.status_code == 302, response.content.decode()
    return SavedSearch.objects.get(name=name)


def record(**fields):
    # Words only in the title: the factory's summary would match the searches below.
    return EvidenceRecordFactory(summary="What was seen.", **fields)


def later(days=1):
    return timezone.now() + timedelta(days=days, minutes=1)


def feed_address(client, search):
    response = client.post(reverse("saved-search-feed-key", args=[search.pk]), {"action": "new"})
    assert response.status_code == 200
    [url] = re.findall(r'data-feed-url="([^"]+)"', response.content.decode())
    return urlsplit(url).path


def feed_entries(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert "no-store" in response["Cache-Control"]
    root = ElementTree.fromstring(response.content)
    return [(entry.findtext(f"{ATOM}title"), entry.find(f"{ATOM}link").get("href"))
            for entry in root.findall(f"{ATOM}entry")]


class TestSaving:
    def test_it_saves_the_evidence_lists_search_as_the_list_reads_it(self, client_for, campaigner):
        client = client_for(campaigner)
        page = client.get(reverse("evidence-list"), {"q": "camera"}).content.decode()
        assert 'action="/saved-searches/"' in page and 'value="q=camera"' in page

        search = save(client, query="?status=verified&page=3&kind=&q=camera")

        assert search.owner == campaigner and search.frequency == "daily"
        assert search.query == "q=camera&status=verified"  # the page and empty filters are not the search
        listing = client.get(reverse("saved-search-list")).content.decode()
        assert "Cameras" in listing and f"{reverse('evidence-list')}?q=camera&amp;status=verified" in listing

    @pytest.mark.parametrize("query", ["status=lost", "happened_after=yesterday", "colour=red", "q=" + "情" * 400])
    def test_it_refuses_a_filter_the_list_would_drop_and_keeps_what_was_typed(self, client_for, campaigner, query):
        response = client_for(campaigner).post(reverse("saved-search-list"),
                                               {"name": "Mine", "query": query, "frequency": "daily"})
        assert response.status_code == 400
        assert 'value="Mine"' in response.content.decode()
        assert "id_query_error" in response.content.decode()
        assert not SavedSearch.objects.exists()

    def test_it_renames_changes_frequency_and_deletes(self, client_for, campaigner):
        client = client_for(campaigner)
        search = save(client)
        prefix = f"s{search.pk}"
        response = client.post(reverse("saved-search-change", args=[search.pk]),
                               {f"{prefix}-name": "School cameras", f"{prefix}-frequency": "weekly"})
        assert response.status_code == 302
        search.refresh_from_db()
        assert (search.name, search.frequency) == ("School cameras", "weekly")
        bad = client.post(reverse("saved-search-change", args=[search.pk]),
                          {f"{prefix}-name": "X", f"{prefix}-frequency": "hourly"})
        assert bad.status_code == 400
        assert client.post(reverse("saved-search-delete", args=[search.pk])).status_code == 302
        assert not SavedSearch.objects.exists()

    def test_it_is_the_owners_alone_even_for_their_coordinator(self, client_for, campaigner, coordinator, outsider):
        search = save(client_for(campaigner))
        for other in (coordinator, outsider):
            client = client_for(other)
            assert "Cameras" not in client.get(reverse("saved-search-list")).content.decode()
            assert client.post(reverse("saved-search-change", args=[search.pk]),
                               {f"s{search.pk}-name": "Mine", f"s{search.pk}-frequency": "off"}).status_code == 404
            assert client.post(reverse("saved-search-delete", args=[search.pk])).status_code == 404
            assert client.post(reverse("saved-search-feed-key", args=[search.pk]),
                               {"action": "new"}).status_code == 404
        search.refresh_from_db()
        assert search.name == "Cameras" and not search.feed_key_digest


class TestAlerts:
    def test_it_emails_the_count_of_new_matches_the_member_may_see_and_a_link(self, client_for, campaigner, group,
                                                                             other_group):
        search = save(client_for(campaigner))
        record(group=group, title="Camera in a classroom", status="verified")
        record(group=group, title="Camera draft", status="draft")  # does not match the filters
        record(group=group, title="A poster", status="verified")  # nor the words
        record(group=other_group, title="Beta's secret camera", status="verified")  # not shared
        shared = record(group=other_group, title="Beta's shared camera", status="verified")
        shared.shared_with.add(group)

        assert send_due_alerts(later()) == 1

        [message] = mail.outbox
        assert message.to == [campaigner.email]
        assert message.subject == "Disentangle: 2 new records for “Cameras”"
        assert f"{settings.SITE_URL}/evidence/?q=camera&status=verified" in message.body
        # Neither group lets alerts name its records: no titles, nothing of a record but the count.
        assert "Camera in a classroom" not in message.body and "Beta" not in message.body
        alert = SavedSearchAlert.objects.get()
        assert (alert.saved_search, alert.record_count, alert.emailed) == (search, 2, True)

    def test_running_again_sends_nothing_twice_and_the_next_period_only_what_is_newer(self, client_for, campaigner,
                                                                                    group):
        save(client_for(campaigner))
        record(group=group, title="Camera one", status="verified")
        now = later()
        assert send_due_alerts(now) == 1
        assert send_due_alerts(now) == 0
        assert send_due_alerts(now + timedelta(hours=3)) == 0  # not a day since
        with mock.patch("django.utils.timezone.now", return_value=now + timedelta(hours=1)):
            record(group=group, title="Camera two", status="verified")
        assert send_due_alerts(now + DAY) == 1
        assert [m.subject for m in mail.outbox] == ["Disentangle: 1 new record for “Cameras”"] * 2
        assert SavedSearchAlert.objects.count() == 2

    def test_nothing_new_sends_no_email_and_weekly_waits_a_week(self, client_for, campaigner, group):
        save(client_for(campaigner), name="Weekly", frequency="weekly")
        save(client_for(campaigner), name="Quiet", query="q=nothingmatchesthis", frequency="daily")
        save(client_for(campaigner), name="Off", frequency="off")
        record(group=group, title="Camera", status="verified")
        assert send_due_alerts(later(1)) == 0
        assert send_due_alerts(later(7)) == 1
        assert [m.subject for m in mail.outbox] == ["Disentangle: 1 new record for “Weekly”"]

    def test_a_record_shared_after_it_was_made_is_not_new_and_a_deactivated_owner_hears_nothing(
            self, client_for, campaigner, volunteer, group, other_group):
        # The decision (evidence/saved_searches.py): new means created since the last check; when another group
        # shared an older record is theirs to know. It shows on the list at once.
        older = record(group=other_group, title="Beta's older camera", status="verified")
        save(client_for(campaigner))
        save(client_for(volunteer), name="Volunteer's cameras")
        older.shared_with.add(group)
        assert send_due_alerts(later()) == 0

        with mock.patch("django.utils.timezone.now", return_value=later() + timedelta(hours=1)):
            record(group=group, title="Camera", status="verified")
        volunteer.is_active = False
        volunteer.save()
        assert send_due_alerts(later(2)) == 1
        assert [m.to for m in mail.outbox] == [[campaigner.email]]

    def test_titles_appear_only_once_a_coordinator_allows_them(self, client_for, campaigner, coordinator, group):
        save(client_for(campaigner))
        record(group=group, title="Camera in a classroom", status="verified")
        response = client_for(coordinator).post(reverse("group-alert-titles", args=[group.slug]),
                                                {"alert_titles_shown": "on"})
        assert response.status_code == 302
        assert AuditEntry.objects.filter(group=group, action="group.alert_titles_shown").exists()

        assert send_due_alerts(later()) == 1
        assert "Camera in a classroom" in mail.outbox[0].body

    def test_a_member_who_is_not_a_coordinator_cannot_allow_titles(self, client_for, campaigner, group):
        response = client_for(campaigner).post(reverse("group-alert-titles", args=[group.slug]),
                                               {"alert_titles_shown": "on"})
        assert response.status_code == 403
        group.refresh_from_db()
        assert not group.alert_titles_shown

    def test_the_email_is_in_the_members_language(self, client_for, campaigner, group):
        campaigner.save_language("zh-hans")
        SavedSearch.objects.filter(pk=save(client_for(campaigner)).pk).update(
            last_checked_at=timezone.now() - 2 * DAY)  # the task checks at the present time
        record(group=group, title="Camera", status="verified")
        send_saved_search_alerts.apply(kwargs={}).get()
        [message] = mail.outbox
        assert "Cameras" in message.subject and "Disentangle: 1 new record" not in message.subject

    def test_a_failed_email_is_sent_at_the_next_run(self, client_for, campaigner, group):
        search = save(client_for(campaigner))
        checked = search.last_checked_at
        record(group=group, title="Camera", status="verified")
        with mock.patch("evidence.saved_searches.send_mail", side_effect=smtplib.SMTPException("down")):
            assert send_due_alerts(later()) == 0
        search.refresh_from_db()
        assert search.last_checked_at == checked and not SavedSearchAlert.objects.exists()
        assert send_due_alerts(later()) == 1


class TestFeed:
    def test_it_lists_the_matching_records_with_links_and_no_titles_unless_allowed(self, client_for, client,
                                                                                   campaigner, group, other_group):
        search = save(client_for(campaigner))
        path = feed_address(client_for(campaigner), search)
        new = record(group=group, title="Camera in a classroom", status="verified")
        record(group=other_group, title="Beta's secret camera", status="verified")
        client.logout()  # a feed reader: no session

        [(title, link)] = feed_entries(client, path)
        assert link == f"{settings.SITE_URL}{new.get_absolute_url()}"
        assert title == "A new evidence record"
        group.alert_titles_shown = True
        group.save()
        assert feed_entries(client, path) == [("Camera in a classroom", link)]
        assert "Beta" not in client.get(path).content.decode()

    def test_a_tampered_old_or_ended_address_is_a_404(self, client_for, client, campaigner):
        owner = client_for(campaigner)
        search = save(owner)
        first = feed_address(owner, search)
        second = feed_address(owner, search)
        assert owner.post(reverse("saved-search-feed-key", args=[search.pk]), {"action": "x"}).status_code == 400
        client.logout()
        assert client.get(first).status_code == 404
        assert client.get(second.replace(second.rsplit("/", 1)[1][:6], "AAAAAA")).status_code == 404
        assert client.get(second).status_code == 200
        client.force_login(campaigner)
        assert client.post(reverse("saved-search-feed-key", args=[search.pk]), {"action": "end"}).status_code == 302
        assert client.get(second).status_code == 404
        search.refresh_from_db()
        assert not search.feed_key_digest

    def test_the_address_ends_when_the_owner_changes_password_or_leaves_their_last_group(self, client_for, client,
                                                                                        campaigner):
        owner = client_for(campaigner)
        search = save(owner)
        path = feed_address(owner, search)
        campaigner.set_password("a new long passphrase")
        campaigner.save()
        assert client.get(path).status_code == 404

        client.force_login(campaigner)
        path = feed_address(client, search)
        campaigner.memberships.get().delete()
        assert client.get(path).status_code == 404


class TestApi:
    def test_it_lists_creates_changes_and_deletes_my_saved_searches(self, api_for, campaigner, outsider):
        api = api_for(campaigner)
        response = api.post("/api/saved-searches/", {"name": "Cameras", "query": "q=camera&page=2",
                                                     "frequency": "weekly"}, format="json")
        assert response.status_code == 201, response.json()
        pk = response.json()["id"]
        assert response.json()["query"] == "q=camera" and response.json()["list_url"] == "/evidence/?q=camera"
        assert api.patch(f"/api/saved-searches/{pk}/", {"frequency": "off"}, format="json").json()["frequency"] == "off"
        assert [row["name"] for row in api.get("/api/saved-searches/").json()["results"]] == ["Cameras"]

        other = api_for(outsider)
        assert other.get("/api/saved-searches/").json()["results"] == []
        assert other.get(f"/api/saved-searches/{pk}/").status_code == 404
        assert other.delete(f"/api/saved-searches/{pk}/").status_code == 404
        assert api.delete(f"/api/saved-searches/{pk}/").status_code == 204

    def test_it_answers_bad_input_with_field_errors(self, api_for, campaigner):
        api = api_for(campaigner)
        response = api.post("/api/saved-searches/", {"name": "X", "query": "status=lost", "frequency": "hourly"},
                            format="json")
        assert response.status_code == 400
        assert set(response.json()) >= {"query", "frequency"}
        api.post("/api/saved-searches/", {"name": "X"}, format="json")
        duplicate = api.post("/api/saved-searches/", {"name": "X"}, format="json")
        assert duplicate.status_code == 400 and "name" in duplicate.json()
        assert not SavedSearch.objects.filter(query="status=lost").exists()

    def test_it_is_in_the_openapi_schema(self, api_for, campaigner):
        schema = api_for(campaigner).get("/api/schema/").content.decode()
        assert "/api/saved-searches/" in schema
