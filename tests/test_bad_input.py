"""Malformed filters, pages, searches and posts get an answer, never a server error."""

import pytest

from tests.factories import EvidenceRecordFactory

pytestmark = pytest.mark.django_db

MALFORMED = [
    ("get", "/evidence/?happened_after=xx&sector=nope&kind=zz&page=abc&status=q"),
    ("get", "/evidence/?q=" + "x" * 5000),
    ("get", "/evidence/?page=99999"),
    ("get", "/institutions/?kind=bad&sector=zz&country=Mars&investigated=maybe&page=-1"),
    ("get", "/api/evidence/?happened_after=xx&sector=nope"),
    ("get", "/api/evidence/?q=%27%22%5C%3A%2A%26%7C%21"),
    ("get", "/evidence/?q=%27%22%5C%3A%2A%26%7C%21"),
    ("get", "/api/institutions/?page=abc"),
    ("get", "/api/sources/duplicates/"),
    ("post", "/evidence/new/"),
    ("post", "/evidence/import/"),
    ("post", "/switch-group/"),
    ("get", "/invitations/accept/nonsense/"),
]

@pytest.mark.parametrize("method, url", MALFORMED)
def test_it_answers_malformed_input_without_a_server_error(client_for, coordinator, group, method, url):
    EvidenceRecordFactory(group=group)
    r = getattr(client_for(coordinator), method)(url)
    assert r.status_code < 500, (url, r.status_code)

def test_it_refuses_an_unknown_verification_step(client_for, coordinator, group):
    rec = EvidenceRecordFactory(group=group)
    r = client_for(coordinator).post(f"/evidence/{rec.pk}/dance/")
    assert r.status_code in (404, 400), r.status_code
    rec.refresh_from_db()
    assert rec.status == "draft"


#
# NUL characters: PostgreSQL can neither store nor compare them, so they are refused before any view runs
#


@pytest.mark.parametrize("send", [
    lambda client: client.get("/evidence/?q=a%00b"),
    lambda client: client.post("/evidence/new/", {"title": "A\x00B"}),
    lambda client: client.post("/api/evidence/bulk/", {"action": "tag", "tag": "x\x00", "records": [1]},
                               content_type="application/json"),
    lambda client: client.post("/api/institutions/", '{"name": "A\\u0000B", "kind": "company"}',
                               content_type="application/json"),
])
def test_it_refuses_nul_characters_with_a_clear_message(client_for, coordinator, send):
    response = send(client_for(coordinator))
    assert response.status_code == 400
    assert "Text cannot contain NUL characters" in response.content.decode()


def test_it_still_takes_files_full_of_nul_bytes(client_for, volunteer, group):
    from django.core.files.uploadedfile import SimpleUploadedFile

    record = EvidenceRecordFactory(group=group)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    response = client_for(volunteer).post(f"/evidence/{record.pk}/attachments/",
                                          {"file": SimpleUploadedFile("dot.png", png + b"\x00" * 64)})
    assert response.status_code == 302
    assert record.attachments.count() == 1
