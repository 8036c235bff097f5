"""
A spreadsheet too large to check while the person waits (past settings.IMPORT_INLINE_PREVIEW_BYTES): the upload
only stores it and answers at once; the worker reads and checks it, its page shows the progress and then every
row, and victor (volunteer) imports or cancels. A file that cannot be imported leaves nothing behind; a read that
failed for another reason says so and can be tried again.
"""

import pytest
from django.urls import reverse

from accounts.stored_text import in_english
from evidence.imports import worker
from evidence.models import EvidenceImport, EvidenceRecord
from evidence.tasks import import_evidence
from tests.conftest import stored_names
from tests.evidence.test_import import csv_file, upload
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

ROWS = [f"Cameras in school {n},Cameras score pupils.,deployment,hikvision:vendor,schools,Smart classrooms,"
        f"https://news.example.org/classroom,学生,2018-05," for n in range(5)]
BROKEN_ROW = "Broken row,,sorcery,,,,,,,"


@pytest.fixture(autouse=True)
def checked_by_the_worker(settings, own_private_storage):
    settings.IMPORT_INLINE_PREVIEW_BYTES = 100  # every file of these tests is larger
    InstitutionFactory(slug="hikvision", name="Hikvision")
    return own_private_storage


def kept_files(storage):
    return stored_names(storage, "imports")


def upload_large(client, group, *rows, capture):
    with capture():  # queued, not sent: the test runs the task itself
        response = upload(client, csv_file(*rows), group)
    return response


def test_the_upload_answers_at_once_and_the_worker_checks_the_rows(client_for, volunteer, group,
                                                                   checked_by_the_worker,
                                                                   django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    response = upload_large(client, group, *ROWS, BROKEN_ROW, capture=django_capture_on_commit_callbacks)
    job = EvidenceImport.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert (job.status, job.confirmed, job.requested_by) == ("queued", False, volunteer)
    assert not EvidenceRecord.objects.exists() and len(kept_files(checked_by_the_worker)) == 1
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The file waits for the worker to read and check it." in page and "hx-trigger" in page

    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.row_count, job.progress_done, job.progress_total) == ("checked", 6, 6, 6)
    assert client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"  # the poll ends
    page = client.get(job.get_absolute_url())
    assert [row.number for row in page.context["preview"].invalid_rows] == [7]
    content = page.content.decode()
    assert "Cameras in school 4" in content and "kind: unknown kind “sorcery”" in content
    assert "Import only the 5 rows without errors" in content and not EvidenceRecord.objects.exists()

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("evidence-import-decide", args=[job.pk]), {"action": "import_valid"})
    assert response.status_code == 302 and response.url == job.get_absolute_url() and len(queued) == 1
    job.refresh_from_db()
    assert (job.status, job.confirmed, job.only_valid_rows, job.row_count) == ("queued", True, True, 5)
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and job.imported_count == 5
    assert EvidenceRecord.objects.filter(group=group, status="draft").count() == 5
    assert kept_files(checked_by_the_worker) == []  # the file and its preview go once the rows are saved


def test_a_file_that_cannot_be_imported_leaves_nothing_behind(client_for, volunteer, group, checked_by_the_worker,
                                                              django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    # Not a spreadsheet at all: refused by the request itself, nothing stored, no job.
    response = client.post(reverse("evidence-import"), {"file": csv_file(header="%PDF-1.7 " + "x" * 200),
                                                        "group": group.pk})
    assert response.status_code == 400 and "This is a PDF." in response.content.decode()
    assert not EvidenceImport.objects.exists() and kept_files(checked_by_the_worker) == []

    # A text file without the header the import needs: refused by the worker, which says why and deletes it.
    with django_capture_on_commit_callbacks():
        client.post(reverse("evidence-import"), {"file": csv_file(*ROWS, header="what,ever,this,is"),
                                                 "group": group.pk})
    job = EvidenceImport.objects.get()
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and "The first row must be a header naming the columns" in job.error
    assert kept_files(checked_by_the_worker) == []
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The first row must be a header" in page and "Try again" not in page  # nothing left to try again


def test_a_failed_read_says_why_and_can_be_tried_again(client_for, volunteer, group, checked_by_the_worker,
                                                       django_capture_on_commit_callbacks, monkeypatch):
    client = client_for(volunteer)
    upload_large(client, group, *ROWS, capture=django_capture_on_commit_callbacks)
    job = EvidenceImport.objects.get()
    read_upload = worker.read_upload

    def storage_hiccup(*args, **kwargs):
        raise OSError("The storage did not answer.")

    monkeypatch.setattr(worker, "read_upload", storage_hiccup)
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and in_english(job.error) == "The file could not be read just now. Try again."
    assert len(kept_files(checked_by_the_worker)) == 1  # kept for the retry
    assert "Try again" in client.get(job.get_absolute_url()).content.decode()

    monkeypatch.setattr(worker, "read_upload", read_upload)
    with django_capture_on_commit_callbacks() as queued:
        client.post(reverse("evidence-import-retry", args=[job.pk]))
    assert len(queued) == 1
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "checked" and job.row_count == 5


def test_cancelling_a_checked_file_discards_it(client_for, volunteer, group, checked_by_the_worker,
                                               django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    upload_large(client, group, *ROWS, capture=django_capture_on_commit_callbacks)
    job = EvidenceImport.objects.get()
    import_evidence.apply(args=[job.pk])
    assert len(kept_files(checked_by_the_worker)) == 2  # the file and the preview

    response = client.post(reverse("evidence-import-decide", args=[job.pk]), {"action": "cancel"}, follow=True)
    assert "The import was cancelled and the file discarded; nothing was saved." in response.content.decode()
    assert not EvidenceImport.objects.exists() and kept_files(checked_by_the_worker) == []
    assert not EvidenceRecord.objects.exists()


def test_only_the_uploader_sees_the_rows_and_decides(client_for, volunteer, coordinator, outsider, group,
                                                     checked_by_the_worker, django_capture_on_commit_callbacks):
    upload_large(client_for(volunteer), group, *ROWS, capture=django_capture_on_commit_callbacks)
    job = EvidenceImport.objects.get()
    import_evidence.apply(args=[job.pk])
    decide = reverse("evidence-import-decide", args=[job.pk])

    alice = client_for(coordinator)
    page = alice.get(job.get_absolute_url())
    # Her group's import: she sees its status, but the rows only once they are records (as an upload's own preview).
    assert page.status_code == 200 and decide not in page.content.decode()
    content = page.content.decode()
    assert "Cameras in school" not in content and 'data-status="checked"' in content
    assert "5 rows were checked and wait for the decision of the person who uploaded them." in content
    assert alice.post(decide, {"action": "import_all"}).status_code == 404
    assert client_for(outsider).post(decide, {"action": "cancel"}).status_code == 404
    assert client_for(outsider).get(job.get_absolute_url()).status_code == 404
    job.refresh_from_db()
    assert job.status == "checked" and not EvidenceRecord.objects.exists()


def test_importing_every_row_is_refused_while_some_have_errors(client_for, volunteer, group,
                                                               django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    upload_large(client, group, *ROWS, BROKEN_ROW, capture=django_capture_on_commit_callbacks)
    job = EvidenceImport.objects.get()
    import_evidence.apply(args=[job.pk])

    response = client.post(reverse("evidence-import-decide", args=[job.pk]), {"action": "import_all"}, follow=True)
    assert "Nothing was imported: some rows have errors." in response.content.decode()
    job.refresh_from_db()
    assert job.status == "checked" and not EvidenceRecord.objects.exists()


def test_the_rows_problems_are_in_the_uploaders_language(client_for, volunteer, group,
                                                         django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    with django_capture_on_commit_callbacks():
        client.post(reverse("evidence-import"), {"file": csv_file(*ROWS, BROKEN_ROW), "group": group.pk},
                    HTTP_ACCEPT_LANGUAGE="zh-hans")
    job = EvidenceImport.objects.get()
    assert job.language == "zh-hans"
    import_evidence.apply(args=[job.pk])
    page = client.get(job.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    [broken] = page.context["preview"].invalid_rows
    assert not any("unknown kind" in error for error in broken.errors)
