"""
Bounded inputs (issue 13, findings 11, 12 and 15's oversized body): whatever the size or shape of a request, the
answer is a clear refusal, never a server error.
"""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.urls import reverse

from accounts.models import Membership
from campaigns.packs.manifest import MANIFEST_FORMAT
from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db


def nested(depth):
    return "[" * depth + "]" * depth


#
# JSON nested too deeply
#


def test_it_refuses_deeply_nested_json_from_a_member(api_for, coordinator):
    response = api_for(coordinator).post(reverse("api:campaign-list"), nested(10_000),
                                         content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nested too deeply."}


def test_it_refuses_deeply_nested_json_from_anyone_asking_for_a_token(client):
    response = client.post("/api/auth/token/", json.dumps({"username": json.loads(nested(100))}),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "JSON nested too deeply."}

    response = client.post("/api/auth/token/", nested(10_000), content_type="application/json")
    assert response.status_code == 400


def test_it_still_takes_json_nested_as_deep_as_the_api_needs(api_for, coordinator, group):
    response = api_for(coordinator).post(reverse("api:campaign-list"), {
        "group": group.slug, "title": "Schools", "goal": "No cameras in classrooms.",
    }, format="json")
    assert response.status_code == 201, response.json()


#
# Answers that were server errors
#


def test_it_answers_options_on_the_api_docs(client_for, coordinator):
    response = client_for(coordinator).options("/api/docs/")
    assert response.status_code == 200
    assert "GET" in response["Allow"]


def test_it_leaves_a_membership_unchanged_on_an_empty_patch(api_for, coordinator, viewer, group):
    membership = Membership.objects.get(user=viewer, group=group)
    response = api_for(coordinator).patch(reverse("api:membership-detail", args=[membership.pk]), {},
                                          format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "viewer"
    membership.refresh_from_db()
    assert membership.role == "viewer"


#
# A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE
#


def test_it_says_why_an_oversized_api_body_is_refused(api_for, coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_for(coordinator).post(reverse("api:campaign-list"),
                                         json.dumps({"title": "x" * 2000}), content_type="application/json")
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]


def test_it_says_why_an_oversized_form_is_refused_in_the_sites_layout(client_for, volunteer, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(volunteer).post("/evidence/new/", {"title": "x" * 2000})
    assert response.status_code == 413
    page = response.content.decode()
    assert "larger than" in page
    assert "site-header" in page  # the site's layout, not a bare "Bad Request"


#
# The public verify page: a size cap read from Content-Length, and a zip bomb costs little
#


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def verify(client, content, **extra):
    return client.post(reverse("pack-verify"), {"file": SimpleUploadedFile("pack.zip", content)}, **extra)


def test_the_verify_page_refuses_an_upload_past_its_size_before_reading_it(client, settings, monkeypatch):
    settings.PACK_VERIFY_MAX_BYTES = 10_000

    def must_not_read(*args, **kwargs):
        raise AssertionError("the upload was read")

    monkeypatch.setattr(MultiPartParser, "parse", must_not_read)
    response = verify(client, b"x" * 20_000)
    assert response.status_code == 413
    assert "The file is larger than 9.8\xa0KB" in response.content.decode()


def test_the_verify_page_stops_unpacking_a_zip_bomb_early(client):
    bomb = b"\0" * (20 * 1024 * 1024)  # 20 MB of zeros: about 20 KB deflated
    manifest = {"format": MANIFEST_FORMAT, "files": [{"name": "bomb.bin", "sha256": "0" * 64, "size": len(bomb)}]}
    upload = zip_of({"manifest.json": json.dumps(manifest).encode(), "bomb.bin": bomb})
    assert len(upload) < 100_000

    page = verify(client, upload).content.decode()
    assert "The ZIP unpacks to more than the verify page reads." in page


#
# Throttling: generous rates from settings (raised for the test suite), lowered here to see them work
#


@pytest.fixture
def low_rates(settings, fresh_cache):
    settings.THROTTLE_RATES = {"api_member": "3/minute", "api_anonymous": "2/minute", "upload": "1/hour",
                               "verify": "2/hour"}
    return settings


def test_it_throttles_the_api_per_user(api_for, coordinator, viewer, low_rates):
    alice, vera = api_for(coordinator), api_for(viewer)
    for _ in range(3):
        assert alice.get(reverse("api:me")).status_code == 200
    response = alice.get(reverse("api:me"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert vera.get(reverse("api:me")).status_code == 200  # each user has their own count


def test_it_throttles_anonymous_api_requests_per_address(client, low_rates):
    low_rates.TRUSTED_PROXY_COUNT = 1
    ask = {"username": "nobody", "password": "wrong"}
    for _ in range(2):
        assert client.post("/api/auth/token/", ask, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 401
    response = client.post("/api/auth/token/", ask, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert client.post("/api/auth/token/", ask, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 401


def test_it_throttles_the_verify_page_per_address(client, low_rates):
    low_rates.TRUSTED_PROXY_COUNT = 1
    for _ in range(2):
        assert verify(client, b"not a pack", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 400
    response = verify(client, b"not a pack", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many uploads from here for now." in response.content.decode()
    assert client.get(reverse("pack-verify"), HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 200
    assert verify(client, b"not a pack", HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 400


def test_it_throttles_uploads_per_user(client_for, api_for, volunteer, group, low_rates):
    record = EvidenceRecordFactory(group=group)
    page = client_for(volunteer)
    url = reverse("attachment-upload", args=[record.pk])
    assert page.post(url, {"file": SimpleUploadedFile("memo.txt", b"A memo.")}).status_code == 302
    response = page.post(url, {"file": SimpleUploadedFile("memo2.txt", b"Another memo.")})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0

    api = api_for(volunteer)
    response = api.post(reverse("api:evidence-attachments", args=[record.pk]),
                        {"file": SimpleUploadedFile("memo3.txt", b"A third memo.")}, format="multipart")
    assert response.status_code == 429
    assert api.get(reverse("api:evidence-attachments", args=[record.pk])).status_code == 200


#
# Text length: every long text members type is at most LONG_TEXT_MAX_LENGTH characters
#

TOO_LONG = "x" * 20_001
LENGTH_ERROR = "Ensure this field has no more than 20000 characters."


def test_it_refuses_a_too_long_summary_in_the_record_form(client_for, volunteer, group):
    response = client_for(volunteer).post(reverse("evidence-create"), {
        "group": group.pk, "title": "Cameras", "summary": TOO_LONG, "kind": "deployment"})
    assert response.status_code in (200, 400)
    assert "Ensure this value has at most 20000 characters (it has 20001)." in response.content.decode()


def test_it_refuses_too_long_texts_in_the_api_with_field_errors(api_for, volunteer, coordinator, group):
    from tests.factories import SourceFactory

    source = SourceFactory(group=group)
    response = api_for(volunteer).post(reverse("api:evidence-list"), {
        "group": group.slug, "title": "Cameras", "summary": TOO_LONG, "kind": "deployment",
        "citations": [{"source": source.pk, "excerpt": "ok", "translation": TOO_LONG}]}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert errors["summary"] == [LENGTH_ERROR]
    assert errors["citations"]["0"]["translation"] == [LENGTH_ERROR]

    response = api_for(coordinator).post(reverse("api:campaign-list"), {
        "group": group.slug, "title": "Schools", "goal": TOO_LONG}, format="json")
    assert response.status_code == 400
    assert response.json()["goal"] == [LENGTH_ERROR]


def test_it_names_a_too_long_excerpt_as_a_row_error_when_importing(client_for, volunteer, group):
    from tests.evidence.test_import import HEADER, csv_file

    row = f"Cameras,Cameras were installed.,deployment,,,A source,https://example.org/a,{TOO_LONG},,"
    response = client_for(volunteer).post(reverse("evidence-import"), {"file": csv_file(row, header=HEADER),
                                                                        "group": group.pk})
    preview = response.context["preview"]
    assert preview.valid_rows == []
    assert preview.invalid_rows[0].errors == ["excerpt: too long (20001 characters; at most 20000)."]
