"""
Private storage as a member meets it, on the disk or S3 (CI's third pass): a storage that is down refuses an
upload with a clear 503 and keeps nothing; a file gone from storage is a 404 with the reason in the log.
"""

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Attachment
from tests.conftest import unreachable_s3_storage
from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db

#
# Uploads while the storage is down: a clear 503, nothing half-saved
#


@pytest.fixture
def attachments_on_unreachable_s3(settings, monkeypatch):
    # The field's storage is made once, when the model loads; point it at the dead bucket for this test.
    settings.STORAGES = {**settings.STORAGES, "private": unreachable_s3_storage()}
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storages["private"])


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_an_api_upload_while_storage_is_down_is_503_and_saves_nothing(api_for, volunteer, group,
                                                                       attachments_on_unreachable_s3):
    record = EvidenceRecordFactory(group=group)
    response = api_for(volunteer).post(reverse("api:evidence-attachments", args=[record.pk]),
                                       {"file": SimpleUploadedFile("notice.pdf", PDF)}, format="multipart")
    assert response.status_code == 503
    assert "storage is not available" in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_a_page_upload_while_storage_is_down_is_503_and_saves_nothing(client_for, volunteer, group,
                                                                      attachments_on_unreachable_s3):
    record = EvidenceRecordFactory(group=group)
    response = client_for(volunteer).post(reverse("attachment-upload", args=[record.pk]),
                                          {"file": SimpleUploadedFile("notice.pdf", PDF)})
    assert response.status_code == 503
    assert "storage is not available" in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_file_gone_from_storage_is_404_with_the_reason_logged(api_for, client_for, volunteer, group, caplog):
    record = EvidenceRecordFactory(group=group)
    response = api_for(volunteer).post(reverse("api:evidence-attachments", args=[record.pk]),
                                       {"file": SimpleUploadedFile("notice.pdf", PDF)}, format="multipart")
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    attachment.file.storage.delete(attachment.file.name)

    response = client_for(volunteer).get(reverse("attachment-download", args=[attachment.pk]))

    assert response.status_code == 404
    assert f"Private storage has no file {attachment.file.name!r}" in caplog.text
