"""
Groups opt in to being share partners. Unlisted, a group is invisible to other groups' coordinators: the share
form does not name it and the API answers for its slug exactly as for a slug no group has.

alice coordinates Alpha Watch; bob coordinates Beta Rights, which has not listed itself; Gamma Voices has.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Group
from evidence.services import records
from tests.factories import EvidenceRecordFactory, GroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gamma(db):
    return GroupFactory(name="Gamma Voices", slug="gamma-voices", listed_for_sharing=True)


@pytest.fixture
def verified(group):
    return EvidenceRecordFactory(group=group, status="verified", title="Cameras in classrooms")


def share(api, record, *slugs):
    return api.post(reverse("api:evidence-share", args=[record.pk]), {"groups": list(slugs)}, format="json")


def test_it_offers_only_listed_groups_in_the_share_forms(client_for, coordinator, other_group, gamma, verified):
    client = client_for(coordinator)
    for url in (verified.get_absolute_url(), reverse("evidence-list")):
        page = client.get(url).content.decode()
        assert "Gamma Voices" in page, url
        assert "Beta Rights" not in page, url


def test_it_answers_for_an_unlisted_slug_as_for_a_missing_one(api_for, coordinator, other_group, verified):
    api = api_for(coordinator)
    unlisted, missing = share(api, verified, "beta-rights"), share(api, verified, "no-such-group")
    assert unlisted.status_code == missing.status_code == 400
    assert unlisted.json()["groups"][0].replace("beta-rights", "x") == missing.json()["groups"][0].replace(
        "no-such-group", "x")
    assert not verified.shared_with.exists()
    bulk = api.post(reverse("api:evidence-bulk"), {"action": "share", "records": [verified.pk],
                                                   "groups": ["beta-rights"]}, format="json")
    assert bulk.status_code == 400 and "beta-rights" in bulk.json()["groups"][0]


def test_a_listed_group_can_be_shared_with(api_for, coordinator, gamma, verified):
    response = share(api_for(coordinator), verified, "gamma-voices")
    assert response.status_code == 200, response.json()
    assert list(verified.shared_with.all()) == [gamma]


def test_a_forged_form_cannot_share_with_an_unlisted_group(client_for, coordinator, other_group, verified):
    client_for(coordinator).post(reverse("evidence-share", args=[verified.pk]), {"groups": [other_group.pk]})
    assert not verified.shared_with.exists()


def test_the_service_refuses_an_unlisted_group_too(coordinator, other_group, verified):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="No such group"):
        records.share_record(verified, actor=coordinator, groups=[other_group])


def test_a_group_that_stops_being_listed_can_still_be_withdrawn(api_for, client_for, coordinator, gamma, verified):
    records.share_record(verified, actor=coordinator, groups=[gamma])
    gamma.listed_for_sharing = False
    gamma.save()
    assert "Gamma Voices" in client_for(coordinator).get(verified.get_absolute_url()).content.decode()
    assert share(api_for(coordinator), verified, "gamma-voices").status_code == 200  # kept as it was
    assert share(api_for(coordinator), verified).status_code == 200
    assert not verified.shared_with.exists()


def test_partners_lists_listed_groups_and_the_callers_own(api_for, coordinator, other_group, gamma):
    body = api_for(coordinator).get(reverse("api:group-partners")).json()
    assert body == [{"name": "Alpha Watch", "slug": "alpha-watch"}, {"name": "Gamma Voices", "slug": "gamma-voices"}]


def test_a_coordinator_lists_the_group_on_the_members_page(client_for, coordinator, group):
    client = client_for(coordinator)
    assert "List this group as a partner" in client.get(reverse("member-list", args=[group.slug])).content.decode()
    response = client.post(reverse("group-sharing", args=[group.slug]), {"listed_for_sharing": "on"})
    assert response.status_code == 302
    assert Group.objects.get(pk=group.pk).listed_for_sharing
    assert AuditEntry.objects.filter(group=group, action="group.listed_for_sharing", actor=coordinator).exists()
    client.post(reverse("group-sharing", args=[group.slug]), {})
    assert not Group.objects.get(pk=group.pk).listed_for_sharing


def test_only_coordinators_list_the_group(client_for, api_for, campaigner, coordinator, group):
    assert client_for(campaigner).post(reverse("group-sharing", args=[group.slug]),
                                       {"listed_for_sharing": "on"}).status_code == 403
    assert api_for(campaigner).post(reverse("api:group-sharing", args=[group.pk]), {"listed_for_sharing": True},
                                    format="json").status_code == 403
    assert not Group.objects.get(pk=group.pk).listed_for_sharing
    response = api_for(coordinator).post(reverse("api:group-sharing", args=[group.pk]), {"listed_for_sharing": True},
                                         format="json")
    assert response.status_code == 200 and response.json()["listed_for_sharing"] is True
