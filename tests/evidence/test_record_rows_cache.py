"""
The evidence list's rows are cached (evidence/views/record_rows.py, accounts/fragments.py): one group's row must
never be served to another, and any change to what a row shows must show at once.
"""

import pytest
from django.template import Context
from django.urls import reverse

from accounts import fragments
from accounts.fragments import fragment_key
from evidence import disclosure
from evidence.models import EvidenceRecord, RecordInstitution
from evidence.views.record_rows import ROW_TEMPLATE, row_values
from tests.factories import EvidenceRecordFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache(fresh_cache):
    """Each test starts with no cached row (the cache outlives a test's database)."""


@pytest.fixture
def record(group, other_group):
    """Alpha Watch's verified record, shared with every group, naming a directory entry and Alpha's own lead."""
    record = EvidenceRecordFactory(group=group, status="verified", shared_with_everyone=True,
                                   title="Cameras in Kashgar classrooms")
    RecordInstitution.objects.create(record=record, institution=InstitutionFactory(name="Hikvision"))
    RecordInstitution.objects.create(record=record, role="deployer",
                                     institution=InstitutionFactory(name="Alpha lead Zhongshan", added_by_group=group))
    return record


def evidence_list(client, user, **headers):
    """The list's rows, as `user` sees them."""
    client.force_login(user)
    response = client.get(reverse("evidence-list"), **headers)
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index("<tbody>"):page.index("</tbody>")]


def test_it_never_serves_a_groups_cached_row_to_another_group(record, coordinator, outsider, client):
    alices = evidence_list(client, coordinator)
    assert "Alpha lead Zhongshan" in alices and f'id="select-{record.pk}"' in alices
    assert "Shared with you" not in alices

    # bob (Beta Rights) reads the same record as a shared copy, right after alice's row was cached.
    bobs = evidence_list(client, outsider)
    assert "Cameras in Kashgar classrooms" in bobs and "Hikvision" in bobs
    assert "Alpha lead Zhongshan" not in bobs
    assert "Shared with you" in bobs
    assert f'id="select-{record.pk}"' not in bobs  # another group's record is never changed in bulk

    # And back: alice is not served bob's copy either.
    assert evidence_list(client, coordinator) == alices


def test_its_key_names_the_viewers_groups_and_what_disclosure_let_them_see(record, coordinator, outsider):
    record = EvidenceRecord.objects.for_list().get(pk=record.pk)
    alice, bob = disclosure.viewer_of(coordinator), disclosure.viewer_of(outsider)
    alices, bobs = row_values(alice, record, ticked=False), row_values(bob, record, ticked=False)
    assert alices != bobs  # bob's values leave Alpha's own institution out and say the row is a shared copy
    # Even rows whose values were the same are keyed apart by whose groups look at them.
    assert (fragment_key(ROW_TEMPLATE, {"group_ids": tuple(alice.group_ids)}, alices)
            != fragment_key(ROW_TEMPLATE, {"group_ids": tuple(bob.group_ids)}, alices))


def test_a_row_is_read_from_the_cache_the_second_time(record, coordinator, client, monkeypatch):
    first = evidence_list(client, coordinator)
    rendered = []
    monkeypatch.setattr(fragments, "Context", lambda *args: rendered.append(args) or Context(*args))
    assert evidence_list(client, coordinator) == first
    assert rendered == []


def test_a_change_to_what_a_row_shows_shows_at_once(record, group, coordinator, client):
    evidence_list(client, coordinator)  # cached
    # Written around the services, as an import or the admin might: no version to bump, the values are the key.
    EvidenceRecord.objects.filter(pk=record.pk).update(title="Cameras in Urumqi classrooms", status="rejected")
    RecordInstitution.objects.filter(record=record, institution__name="Hikvision").update(role="vendor")
    record.institutions.filter(name="Hikvision").update(name="Hikvision Digital")
    group.name = "Alpha Watch Network"
    group.save()

    page = evidence_list(client, coordinator)
    assert "Cameras in Urumqi classrooms" in page and "Cameras in Kashgar classrooms" not in page
    assert 'data-status="rejected"' in page
    assert "Hikvision Digital</a>" in page and "(vendor)" in page
    assert "Alpha Watch Network" in page


def test_each_language_has_its_own_rows(record, coordinator, client):
    assert "Verified" in evidence_list(client, coordinator)
    chinese = evidence_list(client, coordinator, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "已核实" in chinese and ">Verified<" not in chinese
