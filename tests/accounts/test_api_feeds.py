"""
Private feed addresses made through the API, with the verbs the pages use: the signed-in person's calendar
(/api/me/calendar-feed/) and each of their own saved searches (/api/saved-searches/{id}/feed/). The key is in the
answer once (only its hash is kept); a tampered, replaced or turned-off address is a 404.
"""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditEntry, User
from evidence.models import SavedSearch

pytestmark = pytest.mark.django_db

CALENDAR = "/api/me/calendar-feed/"


def made_address(response):
    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]  # the key is shown once: no cache may keep it
    url = response.json()["feed_url"]
    assert url.startswith(settings.SITE_URL.rstrip("/") + "/")
    return urlsplit(url).path


def tampered(path):
    key = path.rsplit("/", 1)[1]
    return path.replace(key, ("B" if key[0] != "B" else "C") + key[1:])


class TestCalendar:
    def test_it_makes_rotates_and_ends_my_calendar_address(self, api_for, client, campaigner):
        api = api_for(campaigner)

        first = made_address(api.post(CALENDAR))
        assert client.get(first).status_code == 200  # a calendar app: no session
        key = first.rsplit("/", 1)[1].removesuffix(".ics")
        assert key not in User.objects.get(pk=campaigner.pk).calendar_key_digest  # only the hash is kept
        assert client.get(tampered(first)).status_code == 404

        second = made_address(api.post(CALENDAR))
        assert client.get(first).status_code == 404 and client.get(second).status_code == 200

        assert api.delete(CALENDAR).status_code == 204
        assert client.get(second).status_code == 404
        assert not User.objects.get(pk=campaigner.pk).calendar_key_digest
        assert sorted(AuditEntry.objects.filter(actor=campaigner).values_list("action", flat=True)) == [
            "account.calendar_feed_ended", "account.calendar_feed_made", "account.calendar_feed_made"]

    def test_it_is_refused_without_signing_in(self, client):
        assert client.post(CALENDAR).status_code in (401, 403)
        assert client.delete(CALENDAR).status_code in (401, 403)
        assert not User.objects.exclude(calendar_key_digest="").exists()


class TestSavedSearchFeed:
    @pytest.fixture
    def search(self, api_for, campaigner):
        response = api_for(campaigner).post("/api/saved-searches/", {"name": "Cameras", "query": "q=camera"},
                                            format="json")
        assert response.status_code == 201
        return SavedSearch.objects.get(pk=response.json()["id"])

    def test_it_makes_rotates_and_ends_my_searchs_feed_address(self, api_for, client, campaigner, search):
        api = api_for(campaigner)
        url = reverse("api:saved-search-feed", args=[search.pk])

        first = made_address(api.post(url))
        assert client.get(first).status_code == 200
        assert client.get(tampered(first)).status_code == 404
        assert api.get(reverse("api:saved-search-detail", args=[search.pk])).json()["has_feed"] is True

        second = made_address(api.post(url))
        assert client.get(first).status_code == 404 and client.get(second).status_code == 200

        assert api.delete(url).status_code == 204
        assert client.get(second).status_code == 404
        assert not SavedSearch.objects.get(pk=search.pk).feed_key_digest
        assert sorted(AuditEntry.objects.filter(actor=campaigner).values_list("action", flat=True)) == [
            "account.saved_search_feed_ended", "account.saved_search_feed_made", "account.saved_search_feed_made"]

    @pytest.mark.parametrize("other", ["outsider", "volunteer", "coordinator"])
    def test_another_persons_search_is_a_404_even_to_their_coordinator(self, request, api_for, client, campaigner,
                                                                       search, other):
        owner = made_address(api_for(campaigner).post(reverse("api:saved-search-feed", args=[search.pk])))
        api = api_for(request.getfixturevalue(other))
        url = reverse("api:saved-search-feed", args=[search.pk])

        assert api.post(url).status_code == 404
        assert api.delete(url).status_code == 404
        assert client.get(owner).status_code == 200  # the owner's address still works: nothing was ended

    def test_it_is_in_the_schema(self, api_for, campaigner):
        paths = api_for(campaigner).get(reverse("api:schema"), {"format": "json"}).json()["paths"]
        assert {"post", "delete"} <= set(paths["/api/saved-searches/{id}/feed/"])
        assert {"post", "delete"} <= set(paths["/api/me/calendar-feed/"])
