"""Evidence files: checked by content, hashed, stored privately."""

import hashlib
import io
import zipfile

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Attachment
from tests.conftest import read_stored, stored_names
from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def upload(api, record, name, content):
    return api.post(reverse("api:evidence-attachments", args=[record.pk]),
                    {"file": SimpleUploadedFile(name, content)}, format="multipart")


def stored_files():
    return stored_names(storages["private"])


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture
def record(group):
    return EvidenceRecordFactory(group=group)


def test_a_pdf_is_stored_privately_with_its_hash(api_for, volunteer, record):
    response = upload(api_for(volunteer), record, "../../notice.pdf", PDF)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF)
    assert body["original_name"] == "notice.pdf"
    attachment = Attachment.objects.get()
    assert "notice" not in attachment.file.name  # the stored name never comes from the uploader
    assert read_stored(storages["private"], attachment.file.name) == PDF  # in private storage, as uploaded
    with pytest.raises(ValueError, match="no URL"):
        _ = attachment.file.url


@pytest.mark.parametrize("name, content, expected", [
    ("photo.pdf", PNG, "image/png"),  # the name lies; the content decides
    ("minutes.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("notes.txt", "会议记录：情绪识别".encode(), "text/plain"),
])
def test_the_type_is_read_from_the_content(api_for, volunteer, record, name, content, expected):
    response = upload(api_for(volunteer), record, name, content)
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == expected


# Hostile files (zip bombs, executables, scripts, PDFs with JavaScript, huge files) through every upload
# endpoint: tests/test_hostile_uploads.py.


def test_the_same_file_twice_is_flagged_with_the_first_record(api_for, volunteer, group, record):
    api = api_for(volunteer)
    first = upload(api, record, "a.pdf", PDF).json()
    other = EvidenceRecordFactory(group=group)
    second = upload(api, other, "b.pdf", PDF).json()
    assert second["duplicates"] == [{"attachment": first["id"], "record": record.pk, "record_title": record.title}]


def test_viewers_cannot_upload(api_for, viewer, record):
    before = stored_files()
    assert upload(api_for(viewer), record, "a.pdf", PDF).status_code == 403
    assert stored_files() == before


def test_another_groups_record_takes_no_files(api_for, outsider, record):
    assert upload(api_for(outsider), record, "a.pdf", PDF).status_code == 404
    assert api_for(outsider).get(reverse("api:evidence-attachments", args=[record.pk])).status_code == 404
