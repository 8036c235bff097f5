"""
The bulk import (evidence.imports.saving) leaves the same data as the per-row verbs it replaced (create_source,
create_record for each row): the same records, sources, citations, institution links, tags, history rows, captures
asked for and search hits, on SQLite and on PostgreSQL (where triggers write the search documents).
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.audit import history_of
from accounts.models import AuditEntry
from bench.imports import per_row_import
from evidence.imports.parsing import read_table
from evidence.imports.preview import check_table
from evidence.imports.saving import import_rows
from evidence.models import EvidenceRecord, Source, SourceCapture, Tag
from tests.evidence.test_import import csv_file
from tests.factories import InstitutionFactory, SectorFactory, SourceFactory

pytestmark = pytest.mark.django_db

HEADER = ("title,summary,kind,sector,institutions,tags,protected,source_title,source_url,source_publisher,"
          "excerpt,translation,event_start,event_end")
ROWS = [
    'Classroom cameras,Cameras score pupils.,deployment,education,"hikvision:vendor; hangzhou-no-11:deployer",'
    'schools; 杭州,no,Smart classrooms,https://news.example.org/classroom,Daily,"情绪识别",emotion,2018-05,2018',
    'Tender,A bureau buys cameras.,procurement,,hikvision,"tender; existing tag",no,Smart classrooms,'
    'https://www.news.example.org/classroom/,,,,2019,',
    "Witness account,A witness names the operator.,statement,,,witness,yes,Witness notes,,,Names of people,,,",
    "Known source,Cites what the group has.,policy,,,,no,Old report,https://old.example.org/report,,Old words,,,",
    "No source,Nothing cited.,research,,,schools,no,,,,,,2020-02,2020-03",
]


def snapshot(group, reader):
    """Everything an import leaves, with ids replaced by what they name, in the order the site shows it."""
    group.refresh_from_db()
    names = {}
    for source in Source.objects.filter(group=group).order_by("created_at", "pk"):
        names[source.pk] = f"source:{source.title}"
    for record in EvidenceRecord.objects.filter(group=group):
        names[record.pk] = f"record:{record.title}"
    found = {}
    for word in ["cameras", "情绪", "emotion", "Daily", "Witness", "Names", "Hikvision", "杭州", "report"]:
        found[word] = sorted(EvidenceRecord.objects.visible_to(reader).search(word, user=reader)
                             .values_list("title", flat=True))
    return {
        "records": [
            (record.title, record.summary, record.kind, record.sector_id, record.event_start, record.event_end,
             record.protected, record.status, record.created_by_id, record.search_document,
             record.private_search_document,
             sorted((link.institution.slug, link.role) for link in record.institution_links.all()),
             sorted(tag.name for tag in record.tags.all()),
             [(names[c.source_id], c.excerpt, c.translation, c.locator, c.captured_by_id)
              for c in record.citations.all()])
            for record in EvidenceRecord.objects.filter(group=group).order_by("-created_at", "-pk")
        ],
        "sources": [(s.title, s.url, s.url_key, s.publisher, s.published_on, s.protected, s.created_by_id)
                    for s in Source.objects.filter(group=group).order_by("created_at", "pk")],
        "tags": sorted(Tag.objects.filter(group=group).values_list("name", flat=True)),
        "history": [(names.get(int(entry.object_id), entry.object_type), entry.action, entry.actor_id,
                     entry.group_id, entry.object_type, entry.object_repr, entry.before, entry.after)
                    for entry in AuditEntry.objects.filter(group=group).order_by("created_at", "pk")],
        "captures": sorted((names[c.source_id], c.url, c.status, c.requested_by_id)
                           for c in SourceCapture.objects.filter(group=group)),
        "search": found,
    }


@pytest.fixture
def file_rows(group):
    InstitutionFactory(slug="hikvision", name="Hikvision")
    InstitutionFactory(slug="hangzhou-no-11", name="Hangzhou No. 11 Middle School")
    SectorFactory(slug="education", name="Education")
    SourceFactory(group=group, title="Old report", url="https://old.example.org/report")
    Tag.objects.create(group=group, name="existing tag")
    group.captures_sources = True
    group.save()
    return read_table(csv_file(*ROWS, header=HEADER).read())


def test_the_bulk_import_leaves_what_the_per_row_import_left(coordinator, group, file_rows,
                                                              django_capture_on_commit_callbacks):
    preview = check_table(file_rows, group)
    assert all(row.valid for row in preview.rows), [row.errors for row in preview.rows]
    with transaction.atomic():
        per_row_import(group, coordinator, preview.rows)
        expected = snapshot(group, coordinator)
        transaction.set_rollback(True)
    assert not EvidenceRecord.objects.exists()

    preview = check_table(file_rows, group)
    with django_capture_on_commit_callbacks() as callbacks:
        created = import_rows(group, coordinator, preview.rows)

    assert snapshot(group, coordinator) == expected
    assert len(created) == len(ROWS)
    assert len(expected["captures"]) == 1 and len(callbacks) == 1  # the new unprotected page, sent to the worker
    assert expected["search"]["情绪"] == ["Classroom cameras"] and expected["search"]["Hikvision"] == [
        "Classroom cameras", "Tender"]


def test_each_record_and_new_source_has_one_history_row(coordinator, group, file_rows):
    import_rows(group, coordinator, check_table(file_rows, group).rows)

    for record in EvidenceRecord.objects.all():
        assert [entry.action for entry in history_of(record)] == ["evidence.created"]
    witness = Source.objects.get(title="Witness notes")
    assert witness.protected  # cited by a protected record
    assert [entry.action for entry in history_of(witness)] == ["source.created"]  # protected: never captured


def test_the_bulk_import_refuses_another_groups_source(coordinator, group, other_group, file_rows):
    preview = check_table(file_rows, group)
    preview.rows[3].source = SourceFactory(group=other_group, title="Beta's dossier")

    with pytest.raises(ValidationError, match="Row 5: A record can only cite its own group's sources"):
        import_rows(group, coordinator, preview.rows)
    assert not EvidenceRecord.objects.filter(group=group).exists()


def test_the_bulk_import_refuses_another_groups_institution(coordinator, group, other_group, file_rows):
    preview = check_table(file_rows, group)
    theirs = InstitutionFactory(slug="beta-only", name="Beta only", added_by_group=other_group)
    preview.rows[0].values["institutions"] = [(theirs, "vendor")]

    with pytest.raises(ValidationError, match="Row 2: A record can only name the shared directory's"):
        import_rows(group, coordinator, preview.rows)
    assert not EvidenceRecord.objects.filter(group=group).exists() and not Source.objects.filter(
        title="Smart classrooms").exists()


def test_the_bulk_import_refuses_an_end_before_the_start(coordinator, group, file_rows):
    preview = check_table(file_rows, group)
    row = preview.rows[4]
    row.values["event_start"], row.values["event_end"] = row.values["event_end"], row.values["event_start"]

    with pytest.raises(ValidationError, match="Row 6: The end comes before the start"):
        import_rows(group, coordinator, preview.rows)
    assert not EvidenceRecord.objects.exists()


def test_the_bulk_import_refuses_a_role_that_may_not_log_evidence(group, file_rows):
    from accounts.models import Role
    from tests.conftest import member

    viewer = member(group, "vera", Role.VIEWER)
    with pytest.raises(PermissionDenied):
        import_rows(group, viewer, check_table(file_rows, group).rows)
    assert not EvidenceRecord.objects.exists()
