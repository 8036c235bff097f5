import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from tests.factories import MembershipFactory, WorkerCheckFactory

pytestmark = pytest.mark.django_db


def test_it_requires_authentication(client):
    assert client.get(reverse("api:me")).status_code in (401, 403)
    assert client.get(reverse("api:group-list")).status_code in (401, 403)


def test_me_lists_the_users_memberships(api_for, coordinator, group):
    response = api_for(coordinator).get(reverse("api:me"))
    assert response.status_code == 200
    assert response.json()["memberships"] == [
        {"id": coordinator.memberships.get().pk, "username": "alice", "group": "alpha-watch",
         "role": "coordinator", "created_at": response.json()["memberships"][0]["created_at"]}
    ]


def test_a_token_authenticates_api_calls(client, coordinator):
    from tests.factories import PASSWORD

    token = client.post(reverse("api:token"), {"username": "alice", "password": PASSWORD}).json()["token"]
    response = client.get(reverse("api:group-list"), HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert [g["slug"] for g in response.json()["results"]] == ["alpha-watch"]


def test_groups_show_only_the_users_groups_with_their_role(api_for, coordinator, outsider, group):
    results = api_for(coordinator).get(reverse("api:group-list")).json()["results"]
    assert results == [{"id": group.pk, "name": "Alpha Watch", "slug": "alpha-watch", "description": "",
                        "listed_for_sharing": False, "alert_titles_shown": False, "captures_sources": False,
                        "my_role": "coordinator",
                        "page_url": "http://testserver/groups/alpha-watch/"}]


def test_coordinator_changes_a_role_through_the_api(api_for, coordinator, viewer, group):
    membership = viewer.memberships.get(group=group)
    response = api_for(coordinator).patch(reverse("api:membership-detail", args=[membership.pk]),
                                          {"role": "volunteer"}, format="json")
    assert response.status_code == 200, response.json()
    membership.refresh_from_db()
    assert membership.role == Role.VOLUNTEER


def test_a_bad_role_is_a_400_with_field_errors(api_for, coordinator, viewer, group):
    membership = viewer.memberships.get(group=group)
    response = api_for(coordinator).patch(reverse("api:membership-detail", args=[membership.pk]),
                                          {"role": "emperor"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()


def test_the_last_coordinator_cannot_be_demoted_through_the_api(api_for, coordinator, group):
    membership = coordinator.memberships.get(group=group)
    response = api_for(coordinator).patch(reverse("api:membership-detail", args=[membership.pk]),
                                          {"role": "viewer"}, format="json")
    assert response.status_code == 400
    assert "at least one coordinator" in response.json()["role"][0]


@pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
def test_only_coordinators_change_memberships(api_for, actors, group, actor):
    membership = actors["viewer"].memberships.get(group=group)
    api = api_for(actors[actor])
    url = reverse("api:membership-detail", args=[membership.pk])
    assert api.patch(url, {"role": "coordinator"}, format="json").status_code == 403
    assert api.delete(url).status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == Role.VIEWER


def test_only_coordinators_start_worker_checks(api_for, viewer, group):
    response = api_for(viewer).post(reverse("api:worker-check-list"), {"group": group.slug}, format="json")
    assert response.status_code == 403


def test_a_worker_check_cannot_name_another_group(api_for, coordinator, other_group):
    response = api_for(coordinator).post(reverse("api:worker-check-list"), {"group": other_group.slug},
                                         format="json")
    assert response.status_code == 400
    assert "group" in response.json()


@pytest.mark.parametrize(
    "url_name, make_rows",
    [
        ("api:membership-list", lambda group, n: MembershipFactory.create_batch(n, group=group)),
        ("api:worker-check-list", lambda group, n: WorkerCheckFactory.create_batch(n, group=group)),
        ("api:group-list", lambda group, n: [MembershipFactory(user=group._user) for _ in range(n)]),
    ],
)
def test_api_lists_run_a_fixed_number_of_queries(api_for, coordinator, group, count_queries, url_name, make_rows):
    group._user = coordinator
    api = api_for(coordinator)
    make_rows(group, 2)
    few = count_queries(lambda: api.get(reverse(url_name)))
    make_rows(group, 30)
    many = count_queries(lambda: api.get(reverse(url_name)))
    assert few == many


def test_the_openapi_schema_describes_the_endpoints(api_for, coordinator):
    response = api_for(coordinator).get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ["/api/me/", "/api/groups/", "/api/memberships/{id}/", "/api/worker-checks/"]:
        assert path in schema["paths"], path


def test_the_api_docs_load_their_assets_from_this_site(client_for, coordinator):
    response = client_for(coordinator).get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
