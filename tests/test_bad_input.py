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
