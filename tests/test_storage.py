"""
Private storage as a member meets it, on the disk or S3 (CI's third pass): a storage that is down refuses an
upload with a clear message and keeps nothing (a page shows its form again with what was typed, the API answers
503); a file gone from storage is a 404 with the reason in the log.
"""

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Interaction, InteractionAttachment
from evidence.models import Attachment, EvidenceImport, EvidenceRecord
from tests.conftest import unreachable_s3_storage
from tests.factories import EvidenceRecordFactory, TargetFactory

pytestmark = pytest.mark.django_db

#
# Uploads while the storage is down: a clear 503, nothing half-saved
#


@pytest.fixture
def attachments_on_unreachable_s3(settings, monkeypatch):
    # The field's storage is made once, when the model loads; point it at the dead bucket for this test.
    settings.STORAGES = {**settings.STORAGES, "private": unreachable_s3_storage()}
    for model in (Attachment, InteractionAttachment):
        monkeypatch.setattr(model._meta.get_field("file"), "storage", storages["private"])


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_an_api_upload_while_storage_is_down_is_503_and_saves_nothing(api_for, volunteer, group,
                                                                       attachments_on_unreachable_s3):
    record = EvidenceRecordFactory(group=group)
    response = api_for(volunteer).post(reverse("api:evidence-attachments", args=[record.pk]),
                                       {"file": SimpleUploadedFile("notice.pdf", PDF)}, format="multipart")
    assert response.status_code == 503
    assert "storage is not available" in response.json()["detail"]
    assert not Attachment.objects.exists()


def test_a_page_upload_while_storage_is_down_says_so_on_the_record_and_saves_nothing(
        client_for, volunteer, group, attachments_on_unreachable_s3):
    record = EvidenceRecordFactory(group=group)
    client = client_for(volunteer)
    response = client.post(reverse("attachment-upload", args=[record.pk]),
                           {"file": SimpleUploadedFile("notice.pdf", PDF)}, follow=True)
    assert response.redirect_chain[-1][0] == record.get_absolute_url()
    assert "File storage is not available at the moment, so the file was not saved" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_interaction_with_a_file_while_storage_is_down_shows_the_form_again_with_what_was_typed(
        client_for, campaigner, group, attachments_on_unreachable_s3):
    target = TargetFactory(campaign__group=group)
    response = client_for(campaigner).post(reverse("interaction-create", args=[target.pk]), {
        "kind": "letter", "direction": "sent", "occurred_on": "2026-12-01",
        "summary": "Our letter asking them to stop selling emotion recognition", "outcome": "",
        "files": SimpleUploadedFile("letter.pdf", PDF),
    })
    assert response.status_code == 503
    page = response.content.decode()
    assert "File storage is not available at the moment" in page
    assert "Our letter asking them to stop selling emotion recognition" in page  # nothing typed is lost
    assert not Interaction.objects.exists() and not InteractionAttachment.objects.exists()


def test_an_import_upload_while_storage_is_down_shows_the_form_again_and_keeps_nothing(
        client_for, volunteer, group, settings):
    settings.STORAGES = {**settings.STORAGES, "private": unreachable_s3_storage()}
    csv = b"title,kind,summary\nCameras in a classroom,deployment,Seen on a visit\n"
    response = client_for(volunteer).post(reverse("evidence-import"), {
        "group": group.pk, "file": SimpleUploadedFile("records.csv", csv, content_type="text/csv")})
    assert response.status_code == 503
    page = response.content.decode()
    assert "File storage is not available at the moment, so the file was not saved" in page
    assert 'name="file"' in page  # the form again, to try once more
    assert not EvidenceImport.objects.exists() and not EvidenceRecord.objects.exists()


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
