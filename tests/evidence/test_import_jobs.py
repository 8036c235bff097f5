"""
Imports too large to save while the person waits go to the worker: victor (volunteer) confirms a spreadsheet,
watches its page, and the real Celery worker saves every row or none. A failed import says why and can be tried
again; running the task twice saves the rows once.
"""

import pytest
from django.core.files.storage import storages
from django.urls import reverse

from accounts.models import Membership, Role
from accounts.stored_text import in_english
from evidence.imports import worker
from evidence.imports.jobs import retry_import
from evidence.imports.uploads import delete_stale_uploads
from evidence.models import EvidenceImport, EvidenceRecord
from evidence.tasks import import_evidence
from tests.evidence.test_import import csv_file, upload
from tests.factories import InstitutionFactory

ROWS = [f"Cameras in school {n},Cameras score pupils.,deployment,hikvision:vendor,schools,Smart classrooms,"
        f"https://news.example.org/classroom,学生,2018-05," for n in range(5)]


@pytest.fixture
def hikvision(db):
    return InstitutionFactory(slug="hikvision", name="Hikvision")


@pytest.fixture
def few_rows_inline(settings):
    settings.IMPORT_INLINE_MAX_ROWS = 2


def confirm_import(client, group, *rows, action="import_all"):
    response = upload(client, csv_file(*rows), group)
    assert response.status_code == 200, response.content.decode()[-2000:]
    return client.post(reverse("evidence-import-confirm", args=[response.context["token"]]), {"action": action})


def stored(job):
    return storages["private"].exists(job.stored_file)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_worker_imports_a_large_file_while_its_page_shows_the_status(
        celery_worker_process, wait_for, client_for, volunteer, group, hikvision, few_rows_inline):
    client = client_for(volunteer)
    response = confirm_import(client, group, *ROWS)
    job = EvidenceImport.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert job.row_count == 5 and job.requested_by == volunteer

    wait_for(lambda: EvidenceImport.objects.get().status == "done", message="the worker imports the rows")
    job.refresh_from_db()
    assert job.imported_count == 5
    assert EvidenceRecord.objects.filter(group=group, status="draft").count() == 5
    # The spreadsheet is not kept once its rows are saved: the worker deletes it just after committing them (never
    # before, or a rollback would lose the file a retry needs), so a busy machine may show "done" a moment earlier.
    wait_for(lambda: not stored(job), message="the worker deletes the spreadsheet once its rows are saved")
    page = client.get(job.get_absolute_url()).content.decode()
    assert "5 records imported into Alpha Watch as drafts" in page
    assert "hx-get" not in page  # a finished import stops polling


@pytest.mark.django_db
def test_a_small_file_is_still_imported_at_once(client_for, volunteer, group, hikvision):
    response = confirm_import(client_for(volunteer), group, *ROWS[:2])
    assert response.status_code == 302 and response.url == reverse("evidence-list")
    assert EvidenceRecord.objects.count() == 2 and not EvidenceImport.objects.exists()


@pytest.mark.django_db
def test_running_the_task_twice_saves_the_rows_once(client_for, volunteer, group, hikvision, few_rows_inline,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():  # queued, but not sent: the test runs the task itself
        confirm_import(client_for(volunteer), group, *ROWS)
    job = EvidenceImport.objects.get()
    import_evidence.apply(args=[job.pk])
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and job.imported_count == 5
    assert EvidenceRecord.objects.count() == 5


@pytest.mark.django_db
def test_a_failed_import_says_why_and_can_be_tried_again(client_for, volunteer, group, hikvision, few_rows_inline,
                                                         django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    with django_capture_on_commit_callbacks():
        confirm_import(client, group, *ROWS)
    job = EvidenceImport.objects.get()
    # Between the preview and the worker, the volunteer became a reader only.
    Membership.objects.filter(user=volunteer, group=group).update(role=Role.VIEWER)
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and "Your role in this group does not allow that." in in_english(job.error)
    assert not EvidenceRecord.objects.exists() and stored(job)  # kept for a retry

    page = client.get(job.get_absolute_url()).content.decode()
    assert in_english(job.error) in page and "Try again" not in page  # a reader cannot retry

    Membership.objects.filter(user=volunteer, group=group).update(role=Role.VOLUNTEER)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("evidence-import-retry", args=[job.pk]), follow=True)
    assert "The import is queued again." in response.content.decode()
    assert len(queued) == 1
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and EvidenceRecord.objects.count() == 5


@pytest.mark.django_db
def test_an_import_whose_rows_went_bad_since_the_preview_saves_nothing(
        client_for, volunteer, group, hikvision, few_rows_inline, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        confirm_import(client_for(volunteer), group, *ROWS)
    hikvision.delete()  # the directory changed: the rows now name an unknown institution
    import_evidence.apply(args=[EvidenceImport.objects.get().pk])
    job = EvidenceImport.objects.get()
    assert job.status == "failed"
    assert in_english(job.error).startswith("Nothing was imported: rows 2, 3, 4, 5, 6 have errors")
    assert not EvidenceRecord.objects.exists()


@pytest.mark.django_db
def test_a_broken_job_queue_marks_the_import_failed_with_the_reason(client_for, volunteer, group, hikvision,
                                                                    few_rows_inline, dead_broker,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        confirm_import(client_for(volunteer), group, *ROWS)
    job = EvidenceImport.objects.get()
    assert job.status == "failed" and in_english(job.error).startswith("The job queue could not be reached: Error 111")


@pytest.mark.django_db
def test_a_retry_of_a_file_no_longer_kept_asks_for_the_upload_again(client_for, volunteer, group):
    job = EvidenceImport.objects.create(group=group, requested_by=volunteer, stored_file="imports/gone.csv",
                                        file_name="gone.csv", status="failed", error="Stopped.")
    response = client_for(volunteer).post(reverse("evidence-import-retry", args=[job.pk]), follow=True)
    assert "The uploaded file is no longer kept; upload it again." in response.content.decode()
    with pytest.raises(Exception, match="Only a failed import"):
        EvidenceImport.objects.filter(pk=job.pk).update(status="done")
        job.refresh_from_db()
        retry_import(job, actor=volunteer)


@pytest.mark.django_db
def test_the_clean_up_keeps_the_file_of_an_import_waiting_for_the_worker(client_for, volunteer, group, hikvision,
                                                                         few_rows_inline, own_private_storage,
                                                                         django_capture_on_commit_callbacks):
    import datetime

    with django_capture_on_commit_callbacks():
        confirm_import(client_for(volunteer), group, *ROWS)
    job = EvidenceImport.objects.get()
    assert delete_stale_uploads(max_age=datetime.timedelta(0)) == 0
    assert stored(job)
    EvidenceImport.objects.filter(pk=job.pk).update(status="failed")
    assert delete_stale_uploads(max_age=datetime.timedelta(0)) == 1  # nobody retried it
    assert not stored(job)


@pytest.mark.django_db
def test_an_import_that_runs_out_of_time_saves_nothing_and_says_what_helps(
        client_for, volunteer, group, hikvision, few_rows_inline, django_capture_on_commit_callbacks, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    with django_capture_on_commit_callbacks():
        confirm_import(client_for(volunteer), group, *ROWS)

    def slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(worker, "import_rows", slow)
    import_evidence.apply(args=[EvidenceImport.objects.get().pk])
    job = EvidenceImport.objects.get()
    assert job.status == "failed" and "Split the file into smaller ones" in job.error
    assert not EvidenceRecord.objects.exists()


#
# A worker killed in the middle of an import (accounts.jobs: the claim, the attempts, the clean-up)
#


@pytest.mark.django_db
def test_an_import_whose_worker_died_is_taken_over_by_the_next_run(client_for, volunteer, group, hikvision,
                                                                    few_rows_inline,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        confirm_import(client_for(volunteer), group, *ROWS)
    # What a worker killed while saving leaves: the row RUNNING under its claim, nothing saved (rolled back).
    EvidenceImport.objects.update(status="running", claim="dead-run", attempts=1)
    import_evidence.apply(args=[EvidenceImport.objects.get().pk])  # the message handed out again
    job = EvidenceImport.objects.get()
    assert (job.status, job.imported_count, job.attempts, job.claim) == ("done", 5, 2, "")
    assert EvidenceRecord.objects.count() == 5


@pytest.mark.django_db
def test_an_import_whose_worker_keeps_dying_fails_and_can_be_tried_again(client_for, volunteer, group, hikvision,
                                                                          few_rows_inline,
                                                                          django_capture_on_commit_callbacks):
    client = client_for(volunteer)
    with django_capture_on_commit_callbacks():
        confirm_import(client, group, *ROWS)
    EvidenceImport.objects.update(status="running", claim="dead-run", attempts=3)
    job = EvidenceImport.objects.get()
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and "Split the file into smaller ones" in job.error
    assert not EvidenceRecord.objects.exists() and stored(job)
    page = client.get(job.get_absolute_url()).content.decode()
    assert in_english(job.error) in page and reverse("evidence-import-retry", args=[job.pk]) in page


@pytest.mark.django_db
def test_the_hourly_clean_up_fails_an_import_whose_worker_is_gone(client_for, volunteer, group, hikvision,
                                                                   few_rows_inline, own_private_storage,
                                                                   django_capture_on_commit_callbacks):
    import datetime

    from django.utils import timezone

    from evidence.tasks import delete_stale_import_uploads

    client = client_for(volunteer)
    with django_capture_on_commit_callbacks():
        confirm_import(client, group, *ROWS)
    job = EvidenceImport.objects.get()
    EvidenceImport.objects.update(status="running", claim="dead-run", attempts=1,
                                  started_at=timezone.now() - datetime.timedelta(minutes=5))
    delete_stale_import_uploads()
    job.refresh_from_db()
    assert job.status == "running"  # a run this young may still be alive
    EvidenceImport.objects.update(started_at=timezone.now() - datetime.timedelta(hours=1))
    delete_stale_import_uploads()
    job.refresh_from_db()
    assert job.status == "failed" and "did not come back" in job.error
    assert stored(job)  # kept for a retry
    fragment = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and 'data-status="failed"' in fragment
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(reverse("evidence-import-retry", args=[job.pk]))
    assert len(queued) == 1
    import_evidence.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "done" and EvidenceRecord.objects.count() == 5


@pytest.mark.django_db
def test_a_waiting_import_page_polls_for_its_result(client_for, volunteer, group):
    job = EvidenceImport.objects.create(group=group, requested_by=volunteer, stored_file="imports/x.csv",
                                        file_name="x.csv", row_count=300)
    page = client_for(volunteer).get(job.get_absolute_url()).content.decode()
    assert 'id="import-status"' in page and 'hx-trigger="every 2s"' in page and 'data-status="queued"' in page
    assert "300 rows wait for the worker" in page
