"""
The disclosure policy itself (evidence/disclosure.py), one viewer kind at a time, on one record of Alpha Watch
that has everything the policy treats differently: a protected source, a translator's name, a tag, an institution
only Alpha sees, people's names. Pages, API, search and packs ask this policy; tests/test_disclosure_findings.py
checks them through the public surface.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from campaigns.models import BriefingPack, StanceChange
from evidence import disclosure
from evidence.models import EvidenceRecord, RecordInstitution, Tag
from tests.factories import (
    CitationFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    SourceFactory,
    StanceChangeFactory,
    TargetFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(group, other_group, coordinator, volunteer):
    record = EvidenceRecordFactory(group=group, status="verified", created_by=volunteer, submitted_by=volunteer,
                                   decided_by=coordinator, shared_with_everyone=True)
    CitationFactory(record=record, source=SourceFactory(group=group, title="Open news"), translator="Li Wei")
    CitationFactory(record=record, source=SourceFactory(group=group, title="Whistleblower memo", protected=True))
    RecordInstitution.objects.create(record=record, institution=InstitutionFactory(name="Hikvision"))
    RecordInstitution.objects.create(record=record, institution=InstitutionFactory(name="Alpha's own lead",
                                                                                   added_by_group=group))
    record.tags.add(Tag.objects.create(group=group, name="informant-lead"))
    return (EvidenceRecord.objects.for_list().select_related("created_by", "submitted_by", "decided_by")
            .prefetch_related("citations__source").get(pk=record.pk))


def shown_to(user, record):
    return disclosure.disclose(disclosure.viewer_of(user), record)


def source_titles(shown):
    return [row.source.title for row in shown.citations]


def institution_names(shown):
    return [link.institution.name for link in shown.institution_links]


def test_a_member_of_the_owning_group_sees_everything(record, viewer):
    shown = shown_to(viewer, record)  # vera only reads, and still sees all of her group's record
    assert disclosure.viewer_of(viewer).kind == "member"
    assert not shown.shared_copy and shown.files and shown.history
    assert source_titles(shown) == ["Open news", "Whistleblower memo"]
    assert shown.citations[0].translator == "Li Wei"
    assert sorted(institution_names(shown)) == ["Alpha's own lead", "Hikvision"]
    assert [tag.name for tag in shown.tags] == ["informant-lead"]
    assert (shown.created_by, shown.submitted_by, shown.decided_by) == ("victor", "victor", "alice")
    assert shown.withheld_source_ids == set() and shown.withheld_fields == 0


def test_another_group_sees_a_shared_copy_without_what_stays_in_the_group(record, outsider):
    shown = shown_to(outsider, record)
    assert shown.shared_copy and not shown.files and not shown.history
    assert source_titles(shown) == ["Open news"]
    assert shown.citations[0].translator == ""
    assert institution_names(shown) == ["Hikvision"]
    assert shown.tags == []
    assert (shown.created_by, shown.submitted_by, shown.decided_by) == (None, None, None)
    assert len(shown.withheld_source_ids) == 1 and shown.withheld_fields == 2  # a translator, an institution


def test_staff_are_not_members(record, client_for, api_for):
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    viewer = disclosure.viewer_of(staff)
    assert viewer.kind == "account" and not viewer.owns(record)
    # A record shared with every group is shared with the groups, not with accounts that act in none: staff see
    # it no more than a missing one.
    assert not EvidenceRecord.objects.visible_to(staff).filter(pk=record.pk).exists()
    assert client_for(staff).get(record.get_absolute_url()).status_code == 404
    assert api_for(staff).get(reverse("api:evidence-detail", args=[record.pk])).status_code == 404
    assert api_for(staff).get(reverse("api:evidence-list"), {"q": record.title}).json()["count"] == 0
    shown = disclosure.disclose(viewer, record)
    assert shown.shared_copy and source_titles(shown) == ["Open news"] and institution_names(shown) == ["Hikvision"]
    assert shown.tags == [] and shown.decided_by is None and not shown.files


def test_the_public_sees_no_record(record):
    viewer = disclosure.viewer_of(AnonymousUser())
    assert viewer.kind == "public" and not viewer.owns(record)
    assert not EvidenceRecord.objects.visible_to(AnonymousUser()).exists()
    assert disclosure.visible_record_ids(AnonymousUser(), [record.pk]) == set()


def test_a_pack_sees_as_its_group_and_redacts_its_own_protected_material_when_asked(record, group, coordinator):
    redacted = disclosure.disclose(disclosure.Viewer.for_pack(
        BriefingPack(group=group, redact_protected=True)), record)
    assert not redacted.shared_copy and redacted.files
    assert source_titles(redacted) == ["Open news"] and redacted.citations[0].translator == ""
    assert sorted(institution_names(redacted)) == ["Alpha's own lead", "Hikvision"]
    full = disclosure.disclose(disclosure.Viewer.for_pack(BriefingPack(group=group, redact_protected=False)), record)
    assert source_titles(full) == ["Open news", "Whistleblower memo"] and full.citations[0].translator == "Li Wei"


def test_a_pointer_shows_its_record_only_while_the_viewer_may_see_it(record, group, outsider, coordinator,
                                                                      count_queries):
    target = TargetFactory(campaign__group=outsider.memberships.get().group)
    StanceChangeFactory(target=target, to_status="committed", evidence=record)
    StanceChangeFactory(target=target, to_status="contacted")

    def read():
        # By status, not by id: ids are random ("committed" sorts first).
        changes = StanceChange.objects.select_related("evidence").order_by("to_status")
        return [disclosure.cited_record(change) for change in disclosure.annotate_cited(changes, outsider)]

    assert read() == [record, None]
    assert count_queries(read) <= 2  # the user's groups once, then one query, however many changes
    EvidenceRecord.objects.filter(pk=record.pk).update(status="draft")  # reopened: the share no longer applies
    assert read() == [None, None]
    assert disclosure.visible_record_ids(outsider, [record.pk]) == set()
    assert disclosure.visible_record_ids(coordinator, [record.pk, None]) == {record.pk}
