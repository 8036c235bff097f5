"""
Near-duplicate pictures (evidence/similar.py): victor attaches a photo to one record; a slightly resized and
recompressed copy attached to another record is flagged, in the upload's answer and on the record page, with a link
to where the group already has it; an unrelated photo is not, and another group's copy is never looked at.
"""

import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.models import Attachment
from evidence.similar import NEAR_DUPLICATE_MAX_DISTANCE, distance
from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db


def photo(seed, size=(400, 300), fmt="JPEG"):
    """A photo-like picture: random soft shapes on a gradient, the same for the same seed."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        radius = rng.randrange(10, 90)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius],
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    return image.filter(ImageFilter.GaussianBlur(3))


def encoded(image, fmt="JPEG", **options):
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def upload(api, record, name, content):
    return api.post(reverse("api:evidence-attachments", args=[record.pk]),
                    {"file": SimpleUploadedFile(name, content)}, format="multipart")


@pytest.fixture
def first_record(group, volunteer):
    return EvidenceRecordFactory(group=group, created_by=volunteer, title="Cameras at the station")


@pytest.fixture
def second_record(group, volunteer):
    return EvidenceRecordFactory(group=group, created_by=volunteer, title="Station cameras, again")


def test_it_flags_a_slightly_resized_copy_of_a_photo_with_a_link(api_for, client_for, volunteer, first_record,
                                                                 second_record):
    api = api_for(volunteer)
    original = photo(seed=1)
    assert upload(api, first_record, "station.jpg", encoded(original, quality=90)).status_code == 201

    resized = original.resize((360, 270))
    response = upload(api, second_record, "station-small.jpg", encoded(resized, quality=75))
    assert response.status_code == 201
    body = response.json()
    assert body["duplicates"] == []  # not the same file
    [match] = body["near_duplicates"]
    assert match["title"] == "Cameras at the station" and match["url"] == first_record.get_absolute_url()
    assert match["file"] == "station.jpg" and match["distance"] <= NEAR_DUPLICATE_MAX_DISTANCE

    page = client_for(volunteer).get(second_record.get_absolute_url()).content.decode()
    assert "Looks like:" in page and f'href="{first_record.get_absolute_url()}"' in page


def test_it_does_not_flag_an_unrelated_photo(api_for, client_for, volunteer, first_record, second_record):
    api = api_for(volunteer)
    assert upload(api, first_record, "station.jpg", encoded(photo(seed=1))).status_code == 201
    response = upload(api, second_record, "market.png", encoded(photo(seed=2), "PNG"))
    assert response.status_code == 201 and response.json()["near_duplicates"] == []
    first, second = Attachment.objects.order_by("pk")
    assert first.phash and second.phash and distance(first.phash, second.phash) > NEAR_DUPLICATE_MAX_DISTANCE
    assert "Looks like:" not in client_for(volunteer).get(second_record.get_absolute_url()).content.decode()


def test_another_groups_copy_is_never_flagged(api_for, volunteer, outsider, other_group, second_record):
    theirs = EvidenceRecordFactory(group=other_group, created_by=outsider, title="Beta's secret lead")
    original = photo(seed=3)
    assert upload(api_for(outsider), theirs, "beta.jpg", encoded(original)).status_code == 201
    response = upload(api_for(volunteer), second_record, "copy.jpg", encoded(original.resize((300, 225))))
    assert response.status_code == 201
    assert response.json()["near_duplicates"] == [] and b"Beta" not in response.content


def test_files_that_are_not_pictures_get_no_hash(api_for, volunteer, first_record):
    response = upload(api_for(volunteer), first_record, "notes.txt", b"plain notes about the cameras\n")
    assert response.status_code == 201 and response.json()["phash"] == ""
