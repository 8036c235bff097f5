import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.audit import history_of
from evidence.models import Institution, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(db):
    call_command("load_report", stdout=open("/dev/null", "w"))


def slugs(response):
    return [row["slug"] for row in response.json()["results"]]


def test_members_read_the_directory(api_for, viewer, directory):
    response = api_for(viewer).get(reverse("api:institution-detail", args=["hikvision"]))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Hikvision" and body["kind"] == "company"
    assert "education" in body["sectors"]


def test_anonymous_callers_read_nothing(client, directory):
    for name in ["api:institution-list", "api:recommendation-list", "api:report-list", "api:relationship-list"]:
        assert client.get(reverse(name)).status_code in (401, 403)


@pytest.mark.parametrize("params, expected", [
    ({"q": "ZNV"}, "znv-liwei"),
    ({"kind": "standards_body", "q": "standard"}, None),
    ({"sector": "driving-safety", "q": "great wall"}, "great-wall-motors"),
])
def test_it_filters_and_searches_institutions(api_for, viewer, directory, params, expected):
    response = api_for(viewer).get(reverse("api:institution-list"), params)
    assert response.status_code == 200
    if expected:
        assert expected in slugs(response)
    else:
        assert all(row["kind"] == "standards_body" for row in response.json()["results"])
        assert response.json()["count"] > 0


def test_search_matches_aliases_and_chinese_names(api_for, viewer, directory):
    hikvision = Institution.objects.get(slug="hikvision")
    hikvision.name_zh = "海康威视"
    hikvision.save()
    api = api_for(viewer)
    assert slugs(api.get(reverse("api:institution-list"), {"q": "康威"})) == ["hikvision"]
    aliased = Institution.objects.exclude(aliases=[]).first()
    assert aliased.slug in slugs(api.get(reverse("api:institution-list"), {"q": aliased.aliases[0].upper()}))


def test_recommendations_filter_by_addressee(api_for, viewer, directory):
    response = api_for(viewer).get(reverse("api:recommendation-list"), {"addressee": "Private Companies"})
    assert [r["code"] for r in response.json()["results"]] == ["comp-1", "comp-2"]


def test_a_coordinator_adds_an_institution_and_it_is_in_the_history(api_for, coordinator, directory):
    response = api_for(coordinator).post(reverse("api:institution-list"), {
        "slug": "example-vision", "name": "Example Vision", "kind": "company", "country": "China",
        "sectors": ["education"], "aliases": ["ExVision"],
    }, format="json")
    assert response.status_code == 201, response.json()
    institution = Institution.objects.get(slug="example-vision")
    assert list(institution.sectors.values_list("slug", flat=True)) == ["education"]
    entry = history_of(institution).get()
    assert entry.action == "institution.created" and entry.actor == coordinator and entry.group is None


def test_a_coordinator_edits_an_institution_and_the_change_is_kept(api_for, coordinator, directory):
    response = api_for(coordinator).patch(reverse("api:institution-detail", args=["meezao"]),
                                          {"website": "https://meezao.example", "sectors": ["education"]},
                                          format="json")
    assert response.status_code == 200, response.json()
    entry = history_of(Institution.objects.get(slug="meezao")).first()
    assert entry.action == "institution.updated"
    assert entry.after == {"website": "https://meezao.example"}
    assert entry.before == {"website": ""}


@pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
def test_only_coordinators_change_the_directory(api_for, actors, directory, actor):
    api = api_for(actors[actor])
    assert api.post(reverse("api:institution-list"), {"slug": "x", "name": "X", "kind": "company"},
                    format="json").status_code == 403
    assert api.patch(reverse("api:institution-detail", args=["meezao"]), {"name": "Hacked"},
                     format="json").status_code == 403
    relationship = Relationship.objects.first()
    assert api.delete(reverse("api:relationship-detail", args=[relationship.pk])).status_code == 403
    assert Institution.objects.get(slug="meezao").name == "Meezao"
    assert not Institution.objects.filter(slug="x").exists()


def test_bad_institution_input_is_a_400_with_field_errors(api_for, coordinator, directory):
    response = api_for(coordinator).post(reverse("api:institution-list"), {
        "slug": "hikvision", "name": "", "kind": "corporation", "sectors": ["space"],
    }, format="json")
    assert response.status_code == 400
    assert {"slug", "name", "kind", "sectors"} <= set(response.json())


def test_relationships_are_added_and_removed_by_coordinators(api_for, coordinator, directory):
    api = api_for(coordinator)
    response = api.post(reverse("api:relationship-list"), {
        "source_institution": "hikvision", "target_institution": "meezao", "kind": "partner", "note": "MoU 2020",
    }, format="json")
    assert response.status_code == 201, response.json()
    assert api.delete(reverse("api:relationship-detail", args=[response.json()["id"]])).status_code == 204
    actions = list(history_of(Institution.objects.get(slug="hikvision")).values_list("action", flat=True))
    assert actions[:2] == ["relationship.removed", "relationship.added"]


def test_an_institution_cannot_be_related_to_itself(api_for, coordinator, directory):
    response = api_for(coordinator).post(reverse("api:relationship-list"), {
        "source_institution": "hikvision", "target_institution": "hikvision", "kind": "partner"}, format="json")
    assert response.status_code == 400
    assert "target_institution" in response.json()


@pytest.mark.parametrize("url_name", ["api:institution-list", "api:relationship-list", "api:recommendation-list",
                                      "api:report-list", "api:sector-list", "api:right-list"])
def test_directory_lists_run_a_fixed_number_of_queries(api_for, viewer, count_queries, tmp_path, url_name):
    from tests.evidence.test_report_data import BUNDLED, write

    # A small dataset: one relationship, its two institutions and one more (with sectors and a parent-free tree).
    relationship = BUNDLED["relationships"][0]
    ends = {relationship["from"], relationship["to"]}
    institutions = [dict(i, parent=None) for i in BUNDLED["institutions"] if i["id"] in ends]
    institutions.append(dict(next(i for i in BUNDLED["institutions"] if i["id"] not in ends), parent=None))
    small = {**BUNDLED, "institutions": institutions, "relationships": [relationship]}
    call_command("load_report", write(tmp_path, small, "emotional-entanglement.json"), stdout=open("/dev/null", "w"))
    api = api_for(viewer)
    few = count_queries(lambda: api.get(reverse(url_name)))
    call_command("load_report", stdout=open("/dev/null", "w"))
    many = count_queries(lambda: api.get(reverse(url_name)))
    assert few == many


def test_the_api_refuses_a_reserved_slug_and_a_duplicate_link(api_for, coordinator, directory):
    api = api_for(coordinator)
    response = api.post(reverse("api:institution-list"), {"slug": "new", "name": "New", "kind": "company"},
                        format="json")
    assert response.status_code == 400 and "slug" in response.json()
    existing = Relationship.objects.select_related("source_institution", "target_institution").first()
    response = api.post(reverse("api:relationship-list"), {
        "source_institution": existing.source_institution.slug,
        "target_institution": existing.target_institution.slug, "kind": existing.kind}, format="json")
    assert response.status_code == 400
    assert "already recorded" in str(response.json())


def test_a_link_shows_in_the_history_of_both_ends(api_for, coordinator, directory):
    api_for(coordinator).post(reverse("api:relationship-list"), {
        "source_institution": "hikvision", "target_institution": "meezao", "kind": "partner"}, format="json")
    for slug in ("hikvision", "meezao"):
        assert history_of(Institution.objects.get(slug=slug)).first().action == "relationship.added"
