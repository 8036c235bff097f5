"""
Sources are entered through one verb whichever door they come in by (the record form, a spreadsheet import, the
API): each has its history row, and only a role that logs evidence in the source's group may write one.
"""

import pytest
from django.urls import reverse

from accounts.audit import history_of
from accounts.models import AuditEntry
from evidence.imports.parsing import read_table
from evidence.imports.preview import check_table
from evidence.imports.saving import import_rows
from evidence.models import Source
from tests.evidence.test_import import VALID_ROWS, csv_file
from tests.evidence.test_record_views import NEW_SOURCE, record_form
from tests.factories import InstitutionFactory, SourceFactory

pytestmark = pytest.mark.django_db

NEW = {"group": "alpha-watch", "title": "Procurement notice 2019-113", "kind": "procurement",
       "url": "https://ggzy.example.cn/2019/113"}


class TestThroughTheApi:
    def test_it_records_who_entered_a_source(self, api_for, volunteer, group):
        response = api_for(volunteer).post(reverse("api:source-list"), NEW, format="json")
        assert response.status_code == 201
        source = Source.objects.get()
        [entry] = history_of(source)
        assert (entry.action, entry.actor, entry.group) == ("source.created", volunteer, group)
        assert entry.after["title"] == NEW["title"] and entry.before is None

    def test_it_records_what_an_edit_changed(self, api_for, volunteer, group):
        source = SourceFactory(group=group, title="Old title", publisher="Example Daily")
        response = api_for(volunteer).patch(reverse("api:source-detail", args=[source.pk]), {"title": "New title"},
                                            format="json")
        assert response.status_code == 200
        [entry] = history_of(source)
        assert entry.action == "source.updated" and entry.actor == volunteer
        assert (entry.before, entry.after) == ({"title": "Old title"}, {"title": "New title"})

    def test_it_refuses_a_viewer(self, api_for, viewer, group):
        source = SourceFactory(group=group, title="Old title")
        api = api_for(viewer)
        assert api.post(reverse("api:source-list"), NEW, format="json").status_code in (400, 403)
        assert api.patch(reverse("api:source-detail", args=[source.pk]), {"title": "x"},
                         format="json").status_code == 403
        assert Source.objects.get().title == "Old title" and not AuditEntry.objects.exists()

    def test_another_groups_source_is_a_404(self, api_for, outsider, group):
        source = SourceFactory(group=group, title="Old title")
        response = api_for(outsider).patch(reverse("api:source-detail", args=[source.pk]), {"title": "x"},
                                           format="json")
        assert response.status_code == 404
        assert Source.objects.get().title == "Old title"

    def test_a_bad_address_is_a_400_on_its_field(self, api_for, volunteer, group):
        response = api_for(volunteer).post(reverse("api:source-list"), {**NEW, "url": "not an address"},
                                           format="json")
        assert response.status_code == 400 and "url" in response.json()
        assert not Source.objects.exists()


def test_the_record_form_records_the_new_source(client_for, volunteer, group):
    response = client_for(volunteer).post(reverse("evidence-create"),
                                          record_form(citations=[NEW_SOURCE]))
    assert response.status_code == 302
    [entry] = history_of(Source.objects.get())
    assert (entry.action, entry.actor, entry.after["title"]) == ("source.created", volunteer, NEW_SOURCE["new_title"])


def test_an_import_records_each_new_source_once(coordinator, group):
    InstitutionFactory(slug="hikvision", name="Hikvision")
    InstitutionFactory(slug="hangzhou-no-11", name="Hangzhou No. 11 Middle School")
    preview = check_table(read_table(csv_file(*VALID_ROWS).read()), group)
    import_rows(group, coordinator, preview.rows)
    [source] = Source.objects.all()  # the three rows cite one new source
    assert [(entry.action, entry.actor) for entry in history_of(source)] == [("source.created", coordinator)]
