"""
What a person writing a script against the API meets: a refused key says so with 401 and the scheme to use, what
the API returns links to its page on the site, and the docs say how to get and send a token.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from tests.factories import (
    PASSWORD,
    CampaignFactory,
    EvidenceRecordFactory,
    GroupFactory,
    InstitutionFactory,
    MembershipFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache):
    pass


def key_of(user):
    response = APIClient().post(reverse("api:token"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_key(key):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def assert_asked_for_a_token(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


class TestARefusedKey:
    def test_a_wrong_key_gets_401_with_the_scheme_to_use(self, volunteer):
        assert_asked_for_a_token(with_key("not-a-key").get(reverse("api:evidence-list")))

    def test_an_expired_key_gets_401_with_the_scheme_to_use(self, volunteer):
        key = key_of(volunteer)
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

        assert_asked_for_a_token(with_key(key).get(reverse("api:evidence-list")))

    def test_a_revoked_key_gets_401_with_the_scheme_to_use(self, volunteer):
        key = key_of(volunteer)
        token = ApiToken.objects.get(user=volunteer)
        assert with_key(key).delete(reverse("api:api-token-detail", args=[token.pk])).status_code == 204

        assert_asked_for_a_token(with_key(key).get(reverse("api:evidence-list")))

    def test_no_key_at_all_gets_401_too(self, volunteer):
        assert_asked_for_a_token(APIClient().get(reverse("api:evidence-list")))

    def test_a_malformed_header_gets_401(self, volunteer):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION="Token two words")

        assert_asked_for_a_token(api.get(reverse("api:evidence-list")))


class TestLinksToPages:
    def test_a_record_links_to_its_page_which_opens(self, client_for, volunteer, group):
        record = EvidenceRecordFactory(group=group, created_by=volunteer)

        row = with_key(key_of(volunteer)).get(reverse("api:evidence-list")).json()["results"][0]

        assert row["page_url"] == f"http://testserver{record.get_absolute_url()}"
        assert client_for(volunteer).get(row["page_url"]).status_code == 200

    def test_institutions_campaigns_and_targets_link_to_their_pages(self, api_for, campaigner, group):
        institution = InstitutionFactory(slug="hikvision", name="Hikvision")
        campaign = CampaignFactory(group=group)
        target = TargetFactory(campaign=campaign, institution=institution)
        api = api_for(campaigner)

        assert api.get(reverse("api:institution-detail", args=["hikvision"])).json()["page_url"] == (
            "http://testserver/institutions/hikvision/")
        assert api.get(reverse("api:campaign-detail", args=[campaign.pk])).json()["page_url"] == (
            f"http://testserver{campaign.get_absolute_url()}")
        assert api.get(reverse("api:target-detail", args=[target.pk])).json()["page_url"] == (
            f"http://testserver{target.get_absolute_url()}")

    def test_the_link_is_read_only(self, api_for, volunteer, group):
        record = EvidenceRecordFactory(group=group, created_by=volunteer, title="Before")

        response = api_for(volunteer).patch(reverse("api:evidence-detail", args=[record.pk]),
                                            {"title": "After", "page_url": "https://elsewhere.example/"},
                                            format="json")

        assert response.status_code == 200
        assert response.json()["page_url"] == f"http://testserver{record.get_absolute_url()}"


class TestTheDocs:
    def test_the_schema_says_how_to_get_and_send_a_token(self, client):
        schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()
        description = schema["info"]["description"]

        assert "[API tokens page](/accounts/api-tokens/)" in description
        assert "POST /api/auth/token/" in description and "GET /api/tokens/" in description
        assert "Authorization: Token <key>" in description
        assert "[the Disentangle site](/)" in description
        assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"

    def test_the_docs_page_links_back_to_the_site_and_to_the_tokens_page(self, client):
        page = client.get(reverse("api:docs")).content.decode()

        assert f'<a href="{reverse("home")}">Back to Disentangle</a>' in page
        assert f'<a href="{reverse("api-token-list")}">Your API tokens</a>' in page


def test_me_lists_every_membership_in_the_same_number_of_queries(api_for, coordinator, count_queries):
    api = api_for(coordinator)
    api.get(reverse("api:me"))
    one_group = count_queries(lambda: api.get(reverse("api:me")))
    for n in range(3):
        MembershipFactory(user=coordinator, group=GroupFactory(name=f"Coalition {n}", slug=f"coalition-{n}"))
    with_four = count_queries(lambda: api.get(reverse("api:me")))
    assert with_four == one_group
    groups = [membership["group"] for membership in api.get(reverse("api:me")).json()["memberships"]]
    assert sorted(groups) == ["alpha-watch", "coalition-0", "coalition-1", "coalition-2"]
