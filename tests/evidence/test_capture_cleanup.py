"""
Deleting a source, or a whole group, removes its captures' stored files (evidence/capture/cleanup.py), once the
deletion is committed and through the storage API alone (so on S3 too): the screenshot, PDF, HTML, WARC and WACZ,
and whatever a killed run left in the capture's folder. Another source's or another group's captures stay, and a
deletion that is rolled back keeps every file.
"""

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse

from accounts.models import Group
from evidence.models import CaptureFile, Source, SourceCapture
from tests.conftest import read_stored, stored_names
from tests.factories import SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def captured(storage, source, *, debris=False):
    """A finished capture of `source` with two stored files (and, if asked, a file a killed run left unnamed)."""
    capture = SourceCapture.objects.create(group=source.group, source=source, url=source.url or "https://example.org",
                                           status="done")
    for kind, name, content in (("html", "page.html", f"<p>{source.title}</p>".encode()),
                                ("wacz", "capture.wacz", b"PK" + source.title.encode())):
        row = CaptureFile(group=source.group, capture=capture, kind=kind, original_name=name,
                          content_type="application/octet-stream", size=len(content),
                          sha256=hashlib.sha256(content).hexdigest())
        row.file.name = storage.save(f"{capture.storage_folder()}/abcd1234-{name}", ContentFile(content))
        row.save()
    if debris:
        storage.save(f"{capture.storage_folder()}/deadbeef-screenshot.png", ContentFile(b"half"))
    return capture


def test_deleting_a_source_removes_its_capture_files_and_a_killed_runs_leftovers(
        own_private_storage, group, django_capture_on_commit_callbacks):
    storage = own_private_storage
    doomed = SourceFactory(group=group, title="Vendor page, wrongly logged")
    kept = SourceFactory(group=group, title="Vendor brochure")
    doomed_capture = captured(storage, doomed, debris=True)
    captured(storage, doomed)  # a second capture of the same page
    kept_capture = captured(storage, kept)
    assert len(stored_names(storage, f"captures/{group.pk}")) == 7

    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.get(pk=doomed.pk).delete()

    assert not SourceCapture.objects.filter(source_id=doomed.pk).exists()
    assert stored_names(storage, doomed_capture.storage_folder()) == []
    # Only the other source's capture is left, still readable.
    assert stored_names(storage, f"captures/{group.pk}") == sorted(
        row.file.name for row in kept_capture.files.all())
    assert read_stored(storage, kept_capture.files.get(kind="html").file.name) == b"<p>Vendor brochure</p>"


def test_deleting_a_group_in_the_admin_removes_its_capture_files_and_no_other_groups(
        own_private_storage, client_for, group, other_group, django_capture_on_commit_callbacks):
    storage = own_private_storage
    captured(storage, SourceFactory(group=group, title="Alpha's source"), debris=True)
    beta = captured(storage, SourceFactory(group=other_group, title="Beta's source"))
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(reverse("admin:accounts_group_delete", args=[group.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Group.objects.filter(pk=group.pk).exists()

    assert stored_names(storage, f"captures/{group.pk}") == []
    assert stored_names(storage, "captures") == sorted(row.file.name for row in beta.files.all())


def test_a_deletion_that_is_rolled_back_keeps_the_files(own_private_storage, group,
                                                         django_capture_on_commit_callbacks):
    storage = own_private_storage
    capture = captured(storage, SourceFactory(group=group))
    before = stored_names(storage, "captures")

    class Refused(Exception):
        pass

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Refused), transaction.atomic():
        capture.source.delete()
        raise Refused

    assert SourceCapture.objects.filter(pk=capture.pk).exists()
    assert stored_names(storage, "captures") == before and len(before) == 2
