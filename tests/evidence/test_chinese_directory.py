"""
The directory in Chinese: the bundled report data gives 76 of its 105 institutions their Chinese names; the
directory's search, its API and the target picker find them by those names, and sites that loaded the report
before get them through a migration.
"""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from evidence.models import Institution, Report
from tests.factories import CampaignFactory, EvidenceRecordFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

chinese_names_migration = importlib.import_module("evidence.migrations.0014_institution_chinese_names")


@pytest.fixture
def directory(db):
    call_command("load_report", stdout=open("/dev/null", "w"))


def listed(page):
    return page.content.decode()


def test_the_bundled_report_gives_76_institutions_their_chinese_names(directory):
    assert Institution.objects.exclude(name_zh="").count() == 76
    assert Institution.objects.get(slug="hikvision").name_zh == "海康威视"
    assert Institution.objects.get(slug="hanwang-education").name_zh == "汉王教育"
    # The data stays credited to ARTICLE 19, under its licence.
    credit = Report.objects.get(slug="emotional-entanglement").credit
    assert "ARTICLE 19" in credit and "CC-BY-NC-SA-2.5" in credit


@pytest.mark.parametrize("query, found, not_found", [
    ("海康威视", "Hikvision", "Hanwang Education"),
    ("汉王教育", "Hanwang Education", "Hikvision"),
    ("汉王", "Hanwang Education", "Hikvision"),
])
def test_the_directory_finds_institutions_by_their_chinese_names(client_for, volunteer, directory, query, found,
                                                                 not_found):
    page = listed(client_for(volunteer).get(reverse("institution-list"), {"q": query}))

    assert f">{found}</a>" in page and f">{not_found}</a>" not in page
    assert Institution.objects.get(name=found).name_zh in page


def test_the_api_finds_them_too(api_for, viewer, directory):
    response = api_for(viewer).get(reverse("api:institution-list"), {"q": "汉王"})

    assert [(row["slug"], row["name_zh"]) for row in response.json()["results"]] == [
        ("hanwang-education", "汉王教育")]


def test_an_institution_page_shows_its_chinese_name(client_for, viewer, directory):
    page = listed(client_for(viewer).get(reverse("institution-detail", args=["hikvision"])))

    assert '<span lang="zh" class="name-zh">海康威视</span>' in page


def test_a_records_pages_show_its_institutions_chinese_names(client_for, volunteer, group, directory):
    record = EvidenceRecordFactory(group=group, title="Classroom cameras")
    record.institution_links.create(institution=Institution.objects.get(slug="hikvision"), role="vendor")
    client = client_for(volunteer)

    for page in (client.get(record.get_absolute_url()), client.get(reverse("evidence-list"))):
        assert '>Hikvision</a> <span lang="zh">海康威视</span>' in listed(page)


@pytest.mark.parametrize("query", ["海康威视", "汉王教育", "汉王"])
def test_the_target_picker_offers_only_what_its_search_finds(client_for, campaigner, group, directory, query):
    campaign = CampaignFactory(group=group)

    page = listed(client_for(campaigner).get(reverse("target-add", args=[campaign.pk]), {"q": query}))

    offered = [name for name in ("Hikvision (海康威视)", "Hanwang Education (汉王教育)") if name in page]
    assert len(offered) == 1 and query[:2] in offered[0]
    assert f'value="{Institution.objects.get(name="Lenovo").pk}"' not in page


def test_the_target_picker_without_a_search_offers_every_institution_with_its_chinese_name(
        client_for, campaigner, group, directory):
    campaign = CampaignFactory(group=group)

    page = listed(client_for(campaigner).get(reverse("target-add", args=[campaign.pk])))

    assert "Hikvision (海康威视)" in page and "Hanwang Education (汉王教育)" in page and "Lenovo (联想)" in page


class TestSitesThatLoadedTheReportBefore:
    def run_migration(self):
        chinese_names_migration.add_chinese_names(apps, schema_editor=None)

    def test_they_get_the_chinese_names_and_find_them(self, client_for, volunteer):
        InstitutionFactory(slug="hikvision", name="Hikvision", name_zh="")
        InstitutionFactory(slug="hanwang-education", name="Hanwang Education", name_zh="", aliases=["Hanwang"])

        self.run_migration()

        assert Institution.objects.get(slug="hikvision").name_zh == "海康威视"
        page = listed(client_for(volunteer).get(reverse("institution-list"), {"q": "汉王"}))
        assert ">Hanwang Education</a>" in page and ">Hikvision</a>" not in page

    def test_a_chinese_name_typed_on_the_site_stays(self):
        InstitutionFactory(slug="hikvision", name="Hikvision", name_zh="海康")

        self.run_migration()

        assert Institution.objects.get(slug="hikvision").name_zh == "海康"

    def test_a_groups_own_institution_with_a_report_slug_is_left_alone(self, group):
        # Group-only institutions are the group's data: the migration writes only the shared directory.
        InstitutionFactory(slug="hikvision", name="Hikvision", name_zh="", added_by_group=group)

        self.run_migration()

        assert Institution.objects.get(slug="hikvision").name_zh == ""
