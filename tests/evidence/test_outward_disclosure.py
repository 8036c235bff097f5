"""
What leaves the site in something a group sends out (an outward briefing, a letter): the "outward" column of the
disclosure policy (evidence/disclosure.py). The outward briefing and the letters test their own outputs; these
pin the policy they ask.
"""

import pytest

from evidence import disclosure
from evidence.models import EvidenceRecord
from tests.factories import (
    AttachmentFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def _outward(group):
    return set(disclosure.outward_records(EvidenceRecord.objects.all(), group))


def test_only_the_groups_own_verified_unprotected_records_go_out(group, other_group, coordinator):
    going = EvidenceRecordFactory(group=group, status="verified")
    draft = EvidenceRecordFactory(group=group, status="draft")
    submitted = EvidenceRecordFactory(group=group, status="submitted")
    protected = EvidenceRecordFactory(group=group, status="verified", protected=True)
    shared_to_us = EvidenceRecordFactory(group=other_group, status="verified", shared_with_everyone=True)
    assert shared_to_us in EvidenceRecord.objects.visible_to(coordinator)

    outward = set(disclosure.outward_records(EvidenceRecord.objects.visible_to(coordinator), group))

    assert outward == {going}
    assert not {draft, submitted, protected, shared_to_us} & _outward(group)


def test_an_outward_reader_sees_no_people_files_tags_protected_sources_or_private_institutions(
        group, other_group, coordinator):
    record = EvidenceRecordFactory(group=group, status="verified", created_by=coordinator,
                                   submitted_by=coordinator, decided_by=coordinator)
    CitationFactory(record=record, source=SourceFactory(group=group, title="Open report"), translator="Mei")
    CitationFactory(record=record, source=SourceFactory(group=group, title="Whistleblower", protected=True))
    AttachmentFactory(record=record)
    record.tags.create(group=group, name="inside-joke")
    ours, theirs = InstitutionFactory(added_by_group=group), InstitutionFactory(added_by_group=other_group)
    directory = InstitutionFactory()
    for institution in (ours, theirs, directory):
        record.institution_links.create(institution=institution, role="vendor")

    viewer = disclosure.Viewer.outward_of(group.pk)
    shown = disclosure.disclose(viewer, record)

    assert viewer.kind == "outward"
    assert [row.source.title for row in shown.citations] == ["Open report"]
    assert [row.translator for row in shown.citations] == [""]
    assert len(shown.withheld_source_ids) == 1
    assert not shown.files and not shown.history and shown.tags == []
    assert shown.created_by is shown.submitted_by is shown.decided_by is None
    assert disclosure.member_name(viewer, record, coordinator) is None
    assert disclosure.shared_with_everyone(viewer, record) is None
    assert {link.institution for link in shown.institution_links} == {ours, directory}


def test_the_group_itself_still_sees_everything_of_the_same_record(group, coordinator):
    record = EvidenceRecordFactory(group=group, status="verified", created_by=coordinator)
    CitationFactory(record=record, source=SourceFactory(group=group, protected=True))

    shown = disclosure.disclose(disclosure.viewer_of(coordinator), record)

    assert shown.files and shown.history and not shown.shared_copy
    assert shown.created_by == coordinator.username
    assert len(shown.citations) == 1
