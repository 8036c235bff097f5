"""
`manage.py backfill_perceptual_hashes` (evidence/hash_backfill.py): pictures attached before near-duplicate
detection existed get their hash, so that the record page flags a copy; a second run changes nothing; a picture
that cannot be read is recorded and the run goes on; `--group` touches that group's pictures only.
"""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from evidence.models import Attachment
from evidence.similar import BAND_FIELDS
from tests.evidence.test_near_duplicates import encoded, photo, upload
from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db

HASH_FIELDS = ["phash", "phash_failure", *BAND_FIELDS]


def as_before_near_duplicates(*attachments):
    """Rows as an upload left them before pictures were hashed: no hash, no record of a failure."""
    Attachment.objects.filter(pk__in=[row.pk for row in attachments]).update(
        phash="", phash_failure="", **dict.fromkeys(BAND_FIELDS))


def backfill(*args):
    out, err = StringIO(), StringIO()
    call_command("backfill_perceptual_hashes", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def hashes():
    return {row["pk"]: row for row in Attachment.objects.values("pk", *HASH_FIELDS)}


@pytest.fixture
def older_photos(api_for, group, volunteer):
    """Two records of Alpha Watch with the same photo, one resized, uploaded before hashes existed."""
    first = EvidenceRecordFactory(group=group, created_by=volunteer, title="Cameras at the station")
    second = EvidenceRecordFactory(group=group, created_by=volunteer, title="Station cameras, again")
    api = api_for(volunteer)
    original = photo(seed=1)
    assert upload(api, first, "station.jpg", encoded(original, quality=90)).status_code == 201
    assert upload(api, second, "station-small.jpg", encoded(original.resize((360, 270)), quality=75)).status_code == 201
    as_before_near_duplicates(*Attachment.objects.all())
    return first, second


def test_older_pictures_get_their_hash_and_the_record_page_flags_the_copy(client_for, volunteer, older_photos):
    first, second = older_photos
    client = client_for(volunteer)
    assert "Looks like:" not in client.get(second.get_absolute_url()).content.decode()

    out, err = backfill("--batch-size", "1")  # one row a batch: the batches follow on from each other
    assert out.strip() == "2 pictures hashed, 0 could not be read." and err == ""

    page = client.get(second.get_absolute_url()).content.decode()
    assert "Looks like:" in page and f'href="{first.get_absolute_url()}"' in page
    assert f'href="{second.get_absolute_url()}"' in client.get(first.get_absolute_url()).content.decode()

    # A second run finds nothing to do and changes nothing.
    before = hashes()
    assert all(row["phash"] for row in before.values())
    out, _err = backfill()
    assert out.strip() == "0 pictures hashed, 0 could not be read." and hashes() == before


def test_a_picture_that_cannot_be_read_is_recorded_and_the_run_goes_on(api_for, group, volunteer, older_photos):
    record = EvidenceRecordFactory(group=group, created_by=volunteer, title="A damaged photo")
    assert upload(api_for(volunteer), record, "damaged.jpg", encoded(photo(seed=5))).status_code == 201
    damaged = Attachment.objects.get(record=record)
    as_before_near_duplicates(damaged)
    with damaged.file.storage.open(damaged.file.name, "wb") as handle:  # the stored file got damaged since
        handle.write(b"\xff\xd8\xff\xe0 not a whole JPEG")

    out, err = backfill()
    assert out.strip() == "2 pictures hashed, 1 could not be read."
    assert f"evidence.Attachment {damaged.pk}: not readable as a picture" in err
    damaged.refresh_from_db()
    assert damaged.phash == "" and damaged.phash_failure.startswith("not readable as a picture")

    # Later runs skip it, unless asked to read the failed ones again.
    before = hashes()
    assert backfill()[0].strip() == "0 pictures hashed, 0 could not be read." and hashes() == before
    assert backfill("--retry-failed")[0].strip() == "0 pictures hashed, 1 could not be read."


def test_a_picture_missing_from_storage_is_recorded(group, volunteer, older_photos):
    first, _second = older_photos
    missing = Attachment.objects.get(record=first)
    missing.file.storage.delete(missing.file.name)
    out, err = backfill()
    assert out.strip() == "1 picture hashed, 1 could not be read." and "missing from storage" in err


def test_one_groups_run_leaves_other_groups_pictures_alone(api_for, group, other_group, outsider, older_photos):
    theirs = EvidenceRecordFactory(group=other_group, created_by=outsider, title="Beta's photo")
    assert upload(api_for(outsider), theirs, "beta.jpg", encoded(photo(seed=3))).status_code == 201
    as_before_near_duplicates(*Attachment.objects.all())

    out, _err = backfill("--group", other_group.slug)
    assert out.strip() == "1 picture hashed, 0 could not be read."
    assert Attachment.objects.get(record=theirs).phash
    assert not Attachment.objects.filter(group=group).exclude(phash="").exists()

    with pytest.raises(CommandError, match="No group has the short name “nobody”"):
        backfill("--group", "nobody")


def test_files_that_are_not_pictures_are_not_read(api_for, group, volunteer):
    record = EvidenceRecordFactory(group=group, created_by=volunteer)
    response = api_for(volunteer).post(reverse("api:evidence-attachments", args=[record.pk]),
                                       {"file": _text_file()}, format="multipart")
    assert response.status_code == 201
    assert backfill()[0].strip() == "0 pictures hashed, 0 could not be read."
    assert Attachment.objects.get(record=record).phash_failure == ""


def _text_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("notes.txt", b"plain notes about the cameras\n")
