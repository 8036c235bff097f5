"""The quick record form for a phone: eight fields at most, a draft through the same verbs and upload checks."""

import re

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from evidence.models import Attachment, EvidenceRecord, Institution, Source
from tests.conftest import stored_names
from tests.factories import InstitutionFactory, SourceFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
URL = reverse("evidence-quick")


@pytest.fixture
def directory(db):
    call_command("load_report", stdout=open("/dev/null", "w"))


def photo(content=PNG, name="IMG_0001.png"):
    return SimpleUploadedFile(name, content)


def fields_of(html):
    """The form's visible inputs (what a person fills), by name."""
    form = html[html.index("data-quick-form"):]
    form = form[:form.index("</form>")]
    names = re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', form)
    hidden = set(re.findall(r'<input type="hidden" name="([^"]+)"', form))
    return [name for name in names if name not in hidden]


class TestTheForm:
    def test_it_asks_eight_things_at_most_and_opens_the_camera(self, client_for, volunteer):
        html = client_for(volunteer).get(URL).content.decode()
        fields = fields_of(html)
        assert fields == ["title", "summary", "place", "event_start", "institution", "source_url", "photo",
                          "protected"]
        assert 'accept="image/*"' in html and 'capture="environment"' in html
        assert 'enctype="multipart/form-data"' in html

    def test_it_suggests_the_directorys_names_in_english_and_chinese(self, client_for, volunteer, directory):
        html = client_for(volunteer).get(URL).content.decode()
        assert 'list="quick-institutions"' in html
        assert '<option value="Hikvision">' in html and '<option value="海康威视">' in html

    def test_it_never_suggests_another_groups_own_institution(self, client_for, volunteer, other_group):
        InstitutionFactory(name="Beta's secret supplier", added_by_group=other_group)
        assert "Beta&#x27;s secret supplier" not in client_for(volunteer).get(URL).content.decode()

    def test_a_viewer_may_not_log(self, client_for, viewer):
        assert client_for(viewer).get(URL).status_code == 403
        assert client_for(viewer).post(URL, {"title": "x", "summary": "y"}).status_code == 403
        assert not EvidenceRecord.objects.exists()

    def test_the_phone_menu_and_the_home_link_to_it(self, client_for, volunteer, viewer):
        assert f'class="quick-log button" href="{URL}"'.encode() in client_for(volunteer).get(
            reverse("evidence-list")).content
        assert b"quick-log" not in client_for(viewer).get(reverse("evidence-list")).content
        assert f'href="{URL}"'.encode() in client_for(volunteer).get(reverse("home")).content


class TestLogging:
    def test_it_saves_a_draft_with_its_institution_link_and_photo(self, client_for, volunteer, group, directory):
        response = client_for(volunteer).post(URL, {
            "title": "Emotion cameras at a school gate", "summary": "Two cameras face the gate.",
            "place": "Kashgar", "event_start": "2026-12-01", "institution": "海康威视",
            "source_url": "example.org/news/cameras", "photo": photo(), "protected": "on",
        })
        record = EvidenceRecord.objects.get()
        assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
        assert (record.group, record.created_by, record.status) == (group, volunteer, "draft")
        assert (record.title, record.place, str(record.event_start), record.protected) == (
            "Emotion cameras at a school gate", "Kashgar", "2026-12-01", True)
        assert [link.institution.slug for link in record.institution_links.all()] == ["hikvision"]
        [citation] = record.citations.all()
        assert citation.source.url == "https://example.org/news/cameras" and citation.source.protected
        [attachment] = Attachment.objects.filter(record=record)
        assert attachment.content_type == "image/png" and attachment.uploaded_by == volunteer
        page = client_for(volunteer).get(record.get_absolute_url()).content.decode()
        assert "was logged as a draft of Alpha Watch" in page
        assert "Submit for verification" in page  # a cited link: one tap from here

    def test_a_link_the_group_already_has_is_cited_not_entered_twice(self, client_for, volunteer, group):
        known = SourceFactory(group=group, url="https://www.example.org/news/cameras/")
        client_for(volunteer).post(URL, {"title": "Again", "summary": "The same article.",
                                         "source_url": "http://example.org/news/cameras"})
        assert [c.source for c in EvidenceRecord.objects.get().citations.all()] == [known]
        assert Source.objects.count() == 1

    def test_what_happened_alone_is_enough(self, client_for, volunteer):
        response = client_for(volunteer).post(URL, {"title": "Cameras", "summary": "Seen at the station."})
        assert response.status_code == 302
        record = EvidenceRecord.objects.get()
        assert not record.citations.exists() and not record.attachments.exists()


class TestBadInput:
    def test_it_keeps_what_was_typed_and_saves_nothing(self, client_for, volunteer):
        response = client_for(volunteer).post(URL, {"title": "", "summary": "Two cameras face the gate.",
                                                    "place": "Kashgar", "source_url": "not a link"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "Nothing was saved yet" in html
        assert "Two cameras face the gate." in html and 'value="Kashgar"' in html
        assert not EvidenceRecord.objects.exists() and not Source.objects.exists()

    def test_an_unknown_institution_is_named_in_the_error(self, client_for, volunteer, other_group):
        InstitutionFactory(name="Beta Secret Vision", added_by_group=other_group)
        for name in ("No Such Company", "Beta Secret Vision"):  # another group's own is as unknown as none
            response = client_for(volunteer).post(URL, {"title": "x", "summary": "y", "institution": name})
            assert response.status_code == 400
            assert f"No institution of the directory is called “{name}”" in response.content.decode()
        assert not EvidenceRecord.objects.exists()

    def test_a_refused_photo_leaves_no_record_source_or_file(self, client_for, volunteer):
        before = stored_names(storages["private"])
        executable = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 4
        response = client_for(volunteer).post(URL, {
            "title": "Cameras", "summary": "Seen.", "source_url": "https://example.org/a",
            "photo": photo(executable, "IMG_0002.jpg")})
        assert response.status_code == 400
        html = response.content.decode()
        assert "not accepted" in html and "Choose the photo again" in html and 'value="Cameras"' in html
        assert not EvidenceRecord.objects.exists() and not Source.objects.exists()
        assert not Attachment.objects.exists() and stored_names(storages["private"]) == before
        assert Institution.objects.filter(added_by_group__isnull=False).count() == 0
