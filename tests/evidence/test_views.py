"""
The report and institution directory pages, as the named actors use them: in "Alpha Watch" alice coordinates,
carol campaigns, victor volunteers and vera reads; bob coordinates "Beta Rights", another group.
"""

import math
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.audit import history_of
from accounts.models import AuditEntry
from evidence.models import Institution, Recommendation, Relationship, Report
from evidence.network import MAX_LABEL, layout
from evidence.services.directory import add_relationship, update_institution
from tests.factories import (
    InstitutionFactory,
    RecommendationFactory,
    RelationshipFactory,
    ReportFactory,
    SectorFactory,
)

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"

#
# Factories (tests/factories.py is another engineer's; these stay here)
#


@pytest.fixture
def directory(db):
    call_command("load_report", stdout=open("/dev/null", "w"))


def listed(response):
    return [institution.slug for institution in response.context["page_obj"]]


def svg_of(response):
    """The relationship picture, parsed as XML (so it must be well-formed)."""
    match = re.search(r"<svg\b.*?</svg>", response.content.decode(), re.S)
    assert match, "no <svg> on the page"
    return ET.fromstring(match.group(0))


def snapshot():
    """Everything an edit could change, to prove a refused request changed nothing."""
    return (
        list(Institution.objects.order_by("pk").values_list("slug", "name", "name_zh", "updated_at")),
        list(Relationship.objects.order_by("pk").values_list("pk", "kind")),
        AuditEntry.objects.count(),
    )


#
# Reports
#


class TestReportPages:
    def test_it_lists_the_report_with_its_credit(self, client_for, viewer, directory):
        response = client_for(viewer).get(reverse("report-list"))
        assert response.status_code == 200
        report = Report.objects.get(slug="emotional-entanglement")
        assert report.get_absolute_url().encode() in response.content
        assert b"Data derived from ARTICLE 19" in response.content

    def test_it_groups_the_recommendations_under_their_addressee(self, client_for, viewer, directory):
        response = client_for(viewer).get(reverse("report-detail", args=["emotional-entanglement"]))
        assert response.status_code == 200
        groups = {addressee: [r.code for r in recs] for addressee, recs in response.context["addressees"]}
        assert list(groups) == ["Chinese Government", "International Community", "Private Companies",
                                "Civil Society and Academia"]
        assert groups["Chinese Government"] == ["gov-1", "gov-2"]
        assert groups["Private Companies"] == ["comp-1", "comp-2"]
        # In the page too: gov-1's ask sits between the government's heading and the next addressee's.
        html = response.content.decode()
        ask = Recommendation.objects.get(code="gov-1").ask
        government, next_one = html.index("To Chinese Government"), html.index("To International Community")
        assert government < html.index(ask) < next_one

    def test_it_shows_the_licence_the_sectors_and_the_rights(self, client_for, viewer, directory):
        response = client_for(viewer).get(reverse("report-detail", args=["emotional-entanglement"]))
        html = response.content.decode()
        assert 'href="http://creativecommons.org/licenses/by-nc-sa/2.5/legalcode"' in html
        assert "Data derived from ARTICLE 19" in html
        for anchor in ['id="sector-driving-safety"', 'id="right-privacy"', 'id="recommendation-gov-1"']:
            assert anchor in html
        assert "Universal Declaration of Human Rights" in html  # a right's legal anchors

    def test_it_keeps_the_query_count_fixed(self, client_for, viewer, count_queries):
        small, large = ReportFactory(slug="small"), ReportFactory(slug="large")
        RecommendationFactory.create_batch(2, report=small)
        for n in range(40):
            RecommendationFactory(report=large, addressee=f"Addressee {n % 7}")
        SectorFactory.create_batch(5, report=large)
        client = client_for(viewer)
        client.get(reverse("report-list"))  # warm the session
        counts = [count_queries(lambda r=r: client.get(reverse("report-detail", args=[r])))
                  for r in ["small", "large"]]
        assert counts[0] == counts[1] <= 8, counts

    def test_it_404s_an_unknown_report(self, client_for, viewer):
        assert client_for(viewer).get(reverse("report-detail", args=["no-such-report"])).status_code == 404


#
# The directory list
#

TABLE_1 = ["alpha-hawkeye", "cm-cross", "emokit", "joyware", "nuralogix", "miaodong", "sage-data",
           "shenzhen-anshibao", "taigusys", "xinktech", "znv-liwei"]
TABLE_2 = ["ef-childrens-english", "hanwang-education", "haifeng-education", "hikvision", "lenovo", "meezao",
           "new-oriental", "tal", "vipkid", "vtron-group", "taigusys"]
DRIVING_SAFETY = ["leeco", "great-wall-motors", "changan-automobiles", "aiways", "ping-an", "huawei"]


class TestInstitutionList:
    @pytest.mark.parametrize("sector, expected", [
        ("public-security", TABLE_1), ("education", TABLE_2), ("driving-safety", DRIVING_SAFETY),
    ])
    def test_it_lists_every_investigated_company_under_its_sector(self, client_for, viewer, directory, sector,
                                                                  expected):
        response = client_for(viewer).get(reverse("institution-list"),
                                          {"sector": sector, "investigated": "true"})
        assert response.status_code == 200
        assert set(expected) <= set(listed(response))
        for slug in expected:
            assert f'href="{reverse("institution-detail", args=[slug])}"'.encode() in response.content

    def test_it_finds_the_27_investigated_companies(self, client_for, viewer, directory):
        response = client_for(viewer).get(reverse("institution-list"), {"investigated": "true"})
        assert set(listed(response)) == set(TABLE_1) | set(TABLE_2) | set(DRIVING_SAFETY)
        assert response.context["page_obj"].paginator.count == 27
        assert response.content.count(b'class="tag">Investigated<') == 27

    def test_it_searches_by_alias_and_by_chinese_name(self, client_for, viewer, directory):
        hikvision = Institution.objects.get(slug="hikvision")
        hikvision.name_zh = "海康威视"
        hikvision.save()
        client = client_for(viewer)
        response = client.get(reverse("institution-list"), {"q": "康威"})
        assert listed(response) == ["hikvision"]
        assert "海康威视" in response.content.decode()
        assert "nuralogix" in listed(client.get(reverse("institution-list"), {"q": "nurallogix"}))
        assert "hanwang-education" in listed(client.get(reverse("institution-list"), {"q": "HANWANG"}))

    def test_it_filters_by_kind_sector_and_country(self, client_for, viewer):
        schools = SectorFactory(slug="schools", name="Schools")
        vendor = InstitutionFactory(slug="vendor", kind="company", country="China", sectors=[schools])
        bureau = InstitutionFactory(slug="bureau", kind="police", country="China")
        regulator = InstitutionFactory(slug="regulator", kind="government", country="European Union")
        client = client_for(viewer)

        def find(**params):
            return listed(client.get(reverse("institution-list"), params))

        assert find(kind="police") == [bureau.slug]
        assert find(sector="schools") == [vendor.slug]
        assert find(country="European Union") == [regulator.slug]
        assert find(country="China", kind="company") == [vendor.slug]

    def test_it_filters_by_country_after_the_api_schema_was_built(self, client_for, viewer):
        # Building the OpenAPI schema caches the shared FilterSet's country field with no choices.
        regulator = InstitutionFactory(kind="government", country="European Union")
        client = client_for(viewer)
        assert client.get(reverse("api:schema"), {"format": "json"}).status_code == 200
        response = client.get(reverse("institution-list"), {"country": "European Union"})
        assert listed(response) == [regulator.slug] and not response.context["form"].errors

    def test_it_paginates_and_keeps_the_filters_in_the_links(self, client_for, viewer):
        InstitutionFactory.create_batch(55, country="Testland")
        InstitutionFactory.create_batch(3, country="Elsewhere")
        client = client_for(viewer)
        first = client.get(reverse("institution-list"), {"country": "Testland"})
        assert len(listed(first)) == 50 and first.context["page_obj"].paginator.count == 55
        assert b'href="?country=Testland&amp;page=2"' in first.content
        second = client.get(reverse("institution-list"), {"country": "Testland", "page": 2})
        assert len(listed(second)) == 5
        assert b'href="?country=Testland&amp;page=1"' in second.content

    def test_it_keeps_the_query_count_fixed(self, client_for, viewer, count_queries):
        sectors = SectorFactory.create_batch(3)
        client = client_for(viewer)
        client.get(reverse("institution-list"))  # warm the session
        counts = []
        for total in (2, 40):
            while Institution.objects.count() < total:
                InstitutionFactory(sectors=sectors, country=f"Country {Institution.objects.count()}")
            counts.append(count_queries(lambda: client.get(reverse("institution-list"), {"kind": "company"})))
        assert counts[0] == counts[1] <= 9, counts

    def test_it_offers_adding_only_to_editors(self, client_for, coordinator, viewer):
        link = reverse("institution-create").encode()
        assert link in client_for(coordinator).get(reverse("institution-list")).content
        assert link not in client_for(viewer).get(reverse("institution-list")).content


#
# The institution page
#


class TestInstitutionDetail:
    def test_it_shows_the_institution_and_its_relationships_both_ways(self, client_for, viewer, directory):
        hikvision = Institution.objects.get(slug="hikvision")
        response = client_for(viewer).get(hikvision.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert "Hikvision" in html and "Emotional Entanglement" in html
        relationships = (Relationship.objects.filter(source_institution=hikvision)
                         | Relationship.objects.filter(target_institution=hikvision))
        assert relationships.exists()
        assert {row["relationship"].pk for row in response.context["relationships"]} == {
            r.pk for r in relationships}

    def test_it_draws_the_network_with_a_link_to_each_neighbour(self, client_for, viewer):
        centre = InstitutionFactory(name="Centre Vision")
        suppliers = [RelationshipFactory(source_institution=centre, kind="supplies") for _ in range(3)]
        funder = RelationshipFactory(target_institution=centre, kind="funds")
        response = client_for(viewer).get(centre.get_absolute_url())
        svg = svg_of(response)
        assert svg.get("role") == "img"
        for label_id in svg.get("aria-labelledby").split():
            assert svg.find(f".//*[@id='{label_id}']") is not None
        links = {a.get("href"): a for a in svg.iter(f"{SVG}a")}
        neighbours = [r.target_institution for r in suppliers] + [funder.source_institution]
        assert set(links) == {n.get_absolute_url() for n in neighbours}
        for neighbour in neighbours:
            assert links[neighbour.get_absolute_url()].find(f"{SVG}title").text == neighbour.name
        edge_labels = [t.text for t in svg.find(f".//{SVG}g[@class='network-edge-labels']")]
        assert sorted(edge_labels) == ["funds", "supplies", "supplies", "supplies"]

    def test_it_keeps_the_query_count_fixed(self, client_for, coordinator, count_queries):
        centre = InstitutionFactory(sectors=SectorFactory.create_batch(2))
        client = client_for(coordinator)
        client.get(reverse("institution-list"))  # warm the session
        counts = []
        for total in (2, 40):
            while Relationship.objects.count() < total:
                n = Relationship.objects.count()
                other = InstitutionFactory(parent=centre)
                if n % 2:
                    add_relationship(actor=coordinator, source_institution=centre, target_institution=other,
                                     kind="partner")
                else:
                    RelationshipFactory(source_institution=other, target_institution=centre)
                update_institution(centre, actor=coordinator, summary=f"Version {n}")  # a history row each
            counts.append(count_queries(lambda: client.get(centre.get_absolute_url())))
        assert counts[0] == counts[1] <= 13, counts  # 12 + the evidence list

    def test_it_links_only_to_web_addresses(self, client_for, viewer):
        # Imported datasets do not pass through form validation.
        safe = InstitutionFactory(website="https://example.org/")
        unsafe = InstitutionFactory(website="javascript:alert(1)")
        client = client_for(viewer)
        assert b'href="https://example.org/"' in client.get(safe.get_absolute_url()).content
        page = client.get(unsafe.get_absolute_url()).content
        assert b"javascript:alert(1)" in page and b'href="javascript:' not in page

    def test_it_404s_an_unknown_institution(self, client_for, viewer):
        assert client_for(viewer).get(reverse("institution-detail", args=["nobody"])).status_code == 404

    def test_it_shows_editing_controls_only_to_editors(self, client_for, coordinator, campaigner):
        relationship = RelationshipFactory()
        url = relationship.source_institution.get_absolute_url()
        editor_page = client_for(coordinator).get(url).content.decode()
        assert reverse("institution-edit", args=[relationship.source_institution.slug]) in editor_page
        assert reverse("relationship-remove", args=[relationship.pk]) in editor_page
        assert "Find the other institution" in editor_page
        found = client_for(coordinator).get(url, {"link_q": relationship.target_institution.name}).content.decode()
        assert reverse("relationship-add", args=[relationship.source_institution.slug]) in found
        reader_page = client_for(campaigner).get(url).content.decode()
        assert "/edit/" not in reader_page and "/remove/" not in reader_page and "/add/" not in reader_page
        assert "Find the other institution" not in reader_page

    def test_it_offers_only_the_institutions_a_search_finds_to_link(self, client_for, coordinator):
        hikvision = InstitutionFactory(slug="hikvision", name="Hikvision")
        InstitutionFactory(slug="dahua", name="Dahua Technology")
        InstitutionFactory(slug="hanwang", name="Hanwang Education", name_zh="汉王教育")
        page = client_for(coordinator).get(hikvision.get_absolute_url()).content.decode()
        assert "Dahua Technology" not in page and 'name="other"' not in page  # no list of the whole directory
        page = client_for(coordinator).get(hikvision.get_absolute_url(), {"link_q": "汉王"}).content.decode()
        assert "Hanwang Education" in page and "Dahua Technology" not in page
        page = client_for(coordinator).get(hikvision.get_absolute_url(), {"link_q": "nobody"}).content.decode()
        assert "No institution in the shared directory matches “nobody”." in page


class TestHistory:
    @pytest.fixture
    def edited(self, client_for, coordinator):
        institution = InstitutionFactory(slug="meezao", name="Meezao")
        response = client_for(coordinator).post(reverse("institution-edit", args=["meezao"]), {
            "name": "Meezao", "kind": "company", "country": "China", "website": "https://meezao.example",
        })
        assert response.status_code == 302
        return institution

    def test_it_hides_the_editor_from_a_user_of_another_group(self, client, outsider, edited):
        client.force_login(outsider)
        html = client.get(edited.get_absolute_url()).content.decode()
        assert "a coordinator of another group" in html
        assert "alice" not in html and "Alpha Watch" not in html
        assert "Website" in html  # which field changed still shows

    def test_it_shows_the_editor_to_a_user_of_the_same_group(self, client, viewer, edited):
        client.force_login(viewer)
        history = client.get(edited.get_absolute_url()).context["history"]
        assert [(row["action"], row["editor"]) for row in history] == [("Edited", "alice")]
        assert history[0]["changes"] == "website"


#
# Editing the directory
#


class TestEditing:
    def test_it_lets_a_coordinator_add_an_institution(self, client_for, coordinator):
        schools = SectorFactory(slug="schools", name="Schools")
        parent = InstitutionFactory(slug="parent-group")
        response = client_for(coordinator).post(reverse("institution-create"), {
            "name": "Example Vision", "slug": "example-vision", "name_zh": "示例视觉",
            "aliases": "ExVision\n\n  Example  Vision Ltd \nExVision", "kind": "company", "country": "China",
            "sectors": [schools.pk], "products": "Class Care\nMood Meter", "website": "https://example.org",
            "summary": "Sells classroom cameras.", "parent": parent.pk,
        })
        assert response.status_code == 302 and response["Location"] == reverse("institution-detail",
                                                                               args=["example-vision"])
        institution = Institution.objects.get(slug="example-vision")
        assert institution.aliases == ["ExVision", "Example Vision Ltd"]
        assert institution.products == ["Class Care", "Mood Meter"]
        assert list(institution.sectors.all()) == [schools] and institution.parent == parent
        entry = history_of(institution).get()
        assert entry.action == "institution.created" and entry.actor == coordinator

    def test_it_lets_a_coordinator_edit_and_keeps_the_history(self, client_for, coordinator):
        schools = SectorFactory(slug="schools", name="Schools")
        hikvision = InstitutionFactory(slug="hikvision", name="Hikvision", aliases=["HIK"])
        client = client_for(coordinator)
        form = client.get(reverse("institution-edit", args=["hikvision"]))
        assert form.status_code == 200 and "HIK</textarea>" in form.content.decode()
        response = client.post(reverse("institution-edit", args=["hikvision"]), {
            "name": "Hikvision", "name_zh": "海康威视", "aliases": "HIK\nHikvision Digital",
            "kind": "company", "country": "China", "sectors": [schools.pk],
        })
        assert response.status_code == 302 and response["Location"] == hikvision.get_absolute_url()
        hikvision.refresh_from_db()
        assert hikvision.name_zh == "海康威视" and hikvision.aliases == ["HIK", "Hikvision Digital"]
        assert list(hikvision.sectors.all()) == [schools]
        entry = history_of(hikvision).get()
        assert entry.action == "institution.updated" and entry.actor == coordinator
        assert set(entry.after) == {"name_zh", "aliases", "sectors"}
        assert entry.before["name_zh"] == "" and entry.after["sectors"] == ["schools"]

    def test_it_lets_a_coordinator_of_any_group_edit(self, client_for, outsider):
        InstitutionFactory(slug="meezao")
        response = client_for(outsider).post(reverse("institution-edit", args=["meezao"]),
                                             {"name": "Meezao Tech", "kind": "company"})
        assert response.status_code == 302
        assert Institution.objects.get(slug="meezao").name == "Meezao Tech"

    @pytest.mark.parametrize("values, field", [
        ({"slug": "taken"}, "slug"),
        ({"slug": "new"}, "slug"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"name": ""}, "name"),
        ({"kind": "spy-agency"}, "kind"),
        ({"website": "not a url"}, "website"),
    ])
    def test_it_rejects_an_invalid_new_institution_and_saves_nothing(self, client_for, coordinator, values,
                                                                      field):
        InstitutionFactory(slug="taken")
        before = snapshot()
        data = {"name": "Example", "slug": "example", "kind": "company", **values}
        response = client_for(coordinator).post(reverse("institution-create"), data)
        assert response.status_code == 400
        assert response.context["form"].errors[field]
        assert f'id="id_{field}_error"'.encode() in response.content
        assert snapshot() == before

    def test_it_rejects_an_invalid_edit_and_saves_nothing(self, client_for, coordinator):
        parent = InstitutionFactory(slug="parent", name="Parent")
        child = InstitutionFactory(slug="child", parent=parent)
        before = snapshot()
        client = client_for(coordinator)
        response = client.post(reverse("institution-edit", args=["parent"]), {"name": "", "kind": "company"})
        assert response.status_code == 400 and response.context["form"].errors["name"]
        assert b"Edit Parent" in response.content  # the heading keeps the saved name
        looped = client.post(reverse("institution-edit", args=["parent"]),
                             {"name": "Parent", "kind": "company", "parent": child.pk})
        assert looped.status_code == 400 and looped.context["form"].errors["parent"]
        itself = client.post(reverse("institution-edit", args=["parent"]),
                             {"name": "Parent", "kind": "company", "parent": parent.pk})
        assert itself.status_code == 400 and itself.context["form"].errors["parent"]
        assert snapshot() == before

    def test_it_404s_editing_an_unknown_institution(self, client_for, coordinator):
        assert client_for(coordinator).get(reverse("institution-edit", args=["nobody"])).status_code == 404


@pytest.fixture
def linked(db):
    relationship = RelationshipFactory(source_institution=InstitutionFactory(slug="vendor"),
                                       target_institution=InstitutionFactory(slug="buyer"))
    InstitutionFactory(slug="third")
    return relationship


def write_requests(linked):
    third = Institution.objects.get(slug="third")
    return [
        ("get", reverse("institution-create"), {}),
        ("post", reverse("institution-create"), {"name": "X", "slug": "x", "kind": "company"}),
        ("get", reverse("institution-edit", args=["vendor"]), {}),
        ("post", reverse("institution-edit", args=["vendor"]), {"name": "Renamed", "kind": "company"}),
        ("post", reverse("relationship-add", args=["vendor"]),
         {"direction": "out", "kind": "funds", "other": third.pk}),
        ("post", reverse("relationship-remove", args=[linked.pk]), {}),
    ]


class TestWhoMayEdit:
    @pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
    def test_it_forbids_members_who_are_not_coordinators(self, client_for, actors, linked, actor):
        client = client_for(actors[actor])
        before = snapshot()
        for method, url, data in write_requests(linked):
            response = getattr(client, method)(url, data)
            assert response.status_code == 403, f"{actor}: {method.upper()} {url} -> {response.status_code}"
        assert snapshot() == before

    def test_it_sends_anonymous_visitors_to_the_login_page(self, client, linked, directory):
        before = snapshot()
        reads = [("get", reverse(name), {}) for name in ["report-list", "institution-list"]] + [
            ("get", reverse("report-detail", args=["emotional-entanglement"]), {}),
            ("get", reverse("institution-detail", args=["vendor"]), {}),
        ]
        for method, url, data in reads + write_requests(linked):
            response = getattr(client, method)(url, data)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login"))
        assert snapshot() == before


class TestRelationships:
    def test_it_adds_a_relationship_in_either_direction(self, client_for, coordinator, linked):
        client = client_for(coordinator)
        third = Institution.objects.get(slug="third")
        response = client.post(reverse("relationship-add", args=["vendor"]), {
            "direction": "out", "kind": "joint_lab", "other": third.pk, "note": "A lab.", "source": "p. 12",
        })
        assert response.status_code == 302 and response["Location"] == reverse("institution-detail",
                                                                               args=["vendor"])
        added = Relationship.objects.get(kind="joint_lab")
        assert (added.source_institution.slug, added.target_institution.slug) == ("vendor", "third")
        assert (added.note, added.source) == ("A lab.", "p. 12")
        client.post(reverse("relationship-add", args=["vendor"]), {"direction": "in", "kind": "funds",
                                                                   "other": third.pk})
        funds = Relationship.objects.get(kind="funds")
        assert (funds.source_institution.slug, funds.target_institution.slug) == ("third", "vendor")
        history = client.get(reverse("institution-detail", args=["vendor"])).context["history"]
        # Both links show in vendor's history, whichever end they were added from; newest first.
        assert [entry["action"] for entry in history[:2]] == ["Relationship added", "Relationship added"]
        assert history[0]["changes"] == f"{third.name} funds {linked.source_institution.name}"
        assert history[1]["changes"] == f"{linked.source_institution.name} runs a joint lab with {third.name}"

    @pytest.mark.parametrize("data", [
        {"direction": "out", "kind": "supplies", "other": "self"},
        {"direction": "out", "kind": "sells-to", "other": "third"},
        {"direction": "sideways", "kind": "supplies", "other": "third"},
        {"direction": "out", "kind": "supplies", "other": "buyer"},  # already recorded
        {"direction": "out", "kind": "supplies", "other": "999999"},
        {"direction": "out", "kind": "supplies", "other": "not-a-number"},
    ])
    def test_it_refuses_an_invalid_relationship_and_saves_nothing(self, client_for, coordinator, linked,
                                                                  data):
        pks = {slug: Institution.objects.get(slug=slug).pk for slug in ["vendor", "third", "buyer"]}
        other = {"self": pks["vendor"], "third": pks["third"], "buyer": pks["buyer"]}.get(data["other"],
                                                                                         data["other"])
        before = snapshot()
        response = client_for(coordinator).post(reverse("relationship-add", args=["vendor"]),
                                                {**data, "other": other})
        assert response.status_code == 400
        assert response.context["relationship_form"].errors
        assert b"The relationship was not added" in response.content
        assert snapshot() == before

    def test_it_only_accepts_posts(self, client_for, coordinator, linked):
        client = client_for(coordinator)
        assert client.get(reverse("relationship-add", args=["vendor"])).status_code == 405
        assert client.get(reverse("relationship-remove", args=[linked.pk])).status_code == 405

    def test_it_removes_a_relationship_and_returns_to_its_page(self, client_for, coordinator, linked):
        response = client_for(coordinator).post(reverse("relationship-remove", args=[linked.pk]),
                                                {"back": "buyer"})
        assert response.status_code == 302 and response["Location"] == reverse("institution-detail",
                                                                               args=["buyer"])
        assert not Relationship.objects.filter(pk=linked.pk).exists()
        assert history_of(linked.source_institution).get().action == "relationship.removed"

    def test_it_returns_to_the_source_when_back_is_elsewhere(self, client_for, coordinator, linked):
        response = client_for(coordinator).post(reverse("relationship-remove", args=[linked.pk]),
                                                {"back": "https://evil.example/"})
        assert response["Location"] == reverse("institution-detail", args=["vendor"])

    def test_it_404s_removing_an_unknown_relationship(self, client_for, coordinator):
        assert client_for(coordinator).post(reverse("relationship-remove", args=[999999])).status_code == 404


#
# The network picture's geometry (evidence/network.py)
#


def institution(slug, name=None):
    return Institution(slug=slug, name=name or slug.replace("-", " ").title())


def link(source, target, kind="supplies"):
    return Relationship(source_institution=source, target_institution=target, kind=kind)


class TestNetworkLayout:
    def test_it_puts_the_centre_in_the_middle_and_the_neighbours_on_a_circle(self):
        centre = institution("centre")
        others = [institution(f"other-{n}") for n in range(5)]
        network = layout(centre, [link(centre, other) for other in others])
        assert [node.institution for node in network.nodes] == others
        c = network.centre
        distances = {round(math.dist((c.x, c.y), (n.x, n.y))) for n in network.nodes}
        assert max(distances) - min(distances) <= 2  # rounding to whole pixels
        for node in [c, *network.nodes]:
            assert 0 <= node.x <= network.width and 0 <= node.y <= network.height

    def test_it_draws_one_edge_per_neighbour_with_the_kinds_and_directions(self):
        centre, supplier, partner = institution("centre"), institution("supplier"), institution("partner")
        network = layout(centre, [
            link(supplier, centre, "supplies"), link(centre, partner, "partner"),
            link(partner, centre, "funds"), link(centre, centre, "partner"),  # a link to itself is not drawn
        ])
        edges = {edge.neighbour.institution.slug: edge for edge in network.edges}
        assert set(edges) == {"supplier", "partner"}
        assert (edges["supplier"].outgoing, edges["supplier"].incoming) == (False, True)
        assert (edges["partner"].outgoing, edges["partner"].incoming) == (True, True)
        assert edges["partner"].kinds == ("partners with", "funds")
        assert edges["partner"].label.startswith("partners with")
        assert edges["supplier"].title == "Supplier supplies Centre"

    def test_it_keeps_fifteen_neighbours_apart_and_their_labels_short(self):
        centre = institution("centre")
        others = [institution(f"n-{n}", f"A very long institution name number {n}") for n in range(15)]
        network = layout(centre, [link(centre, other) for other in others])
        assert len(network.nodes) == 15
        assert all(len(node.label) <= MAX_LABEL and node.label.endswith("…") for node in network.nodes)
        assert network.nodes[0].title == "A very long institution name number 0"
        closest = min(math.dist((a.x, a.y), (b.x, b.y))
                      for i, a in enumerate(network.nodes) for b in network.nodes[i + 1:])
        assert closest >= 40
        # Labels near each other never sit at the same height.
        heights = sorted(node.label_y for node in network.nodes if node.anchor == "start")
        assert all(b - a >= 18 for a, b in zip(heights, heights[1:], strict=False))
        small = layout(centre, [link(centre, other) for other in others[:3]])
        assert network.width > small.width  # the circle grows with the count

    def test_it_draws_a_lone_institution(self):
        network = layout(institution("alone"), [])
        assert network.nodes == () and network.edges == ()
        assert network.width > 0 and network.height > 0


def test_it_lists_the_evidence_a_member_may_see_on_an_institution_page(client_for, coordinator, outsider, group,
                                                                     other_group, count_queries):
    from tests.factories import EvidenceRecordFactory

    hik = InstitutionFactory(slug="hik", name="Hik")
    ours = EvidenceRecordFactory(group=group, title="Our classroom record")
    theirs = EvidenceRecordFactory(group=other_group, title="Beta private record")
    shared = EvidenceRecordFactory(group=other_group, title="Beta shared record", status="verified",
                                   shared_with_everyone=True)
    for record in (ours, theirs, shared):
        record.institution_links.create(institution=hik, role="vendor")
    ours.institution_links.create(institution=hik, role="deployer")  # two roles, still one entry
    client = client_for(coordinator)
    html = client.get(reverse("institution-detail", args=["hik"])).content.decode()
    assert html.count("Our classroom record") == 1 and "Beta shared record" in html
    assert "Beta private record" not in html
    few = count_queries(lambda: client.get(reverse("institution-detail", args=["hik"])))
    for _ in range(10):
        EvidenceRecordFactory(group=group).institution_links.create(institution=hik, role="deployer")
    assert count_queries(lambda: client.get(reverse("institution-detail", args=["hik"]))) == few
