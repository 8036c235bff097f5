"""After submitting, a record says who in its group can verify it now, or that no one else can yet."""

import pytest
from django.urls import reverse

from accounts.models import Group, Role
from evidence import disclosure
from evidence.services import records
from tests.factories import CitationFactory, EvidenceRecordFactory, MembershipFactory, UserFactory, add_second_factor

pytestmark = pytest.mark.django_db


def submit(record, actor):
    CitationFactory(record=record)
    return records.submit_record(record, actor=actor)


def who_line(html):
    start = html.index("data-who-verifies")
    return html[start:html.index("</p>", start)]


def test_it_names_the_members_who_may_verify_never_the_submitter(client_for, volunteer, coordinator, campaigner,
                                                               viewer, group):
    record = submit(EvidenceRecordFactory(group=group, created_by=volunteer), volunteer)
    line = who_line(client_for(volunteer).get(record.get_absolute_url()).content.decode())
    assert "Who can verify it now: alice, carol." in line
    assert "victor" not in line and "vera" not in line  # the submitter, and a viewer, who may not verify


def test_it_says_when_no_one_else_can(client_for, group):
    lone = UserFactory(username="lone")
    MembershipFactory(user=lone, group=group, role=Role.COORDINATOR)
    MembershipFactory(user=UserFactory(username="reader"), group=group, role=Role.VIEWER)
    record = submit(EvidenceRecordFactory(group=group, created_by=lone), lone)
    line = who_line(client_for(lone).get(record.get_absolute_url()).content.decode())
    assert "No one else in your group can verify it yet — ask a coordinator." in line


def test_it_leaves_out_members_who_owe_the_groups_second_factor(client_for, volunteer, coordinator, campaigner,
                                                               group):
    Group.objects.filter(pk=group.pk).update(requires_two_factor=True)
    for person in (volunteer, coordinator):
        add_second_factor(person)
    record = submit(EvidenceRecordFactory(group=group, created_by=volunteer), volunteer)
    line = who_line(client_for(volunteer).get(record.get_absolute_url()).content.decode())
    assert "alice" in line and "carol" not in line  # carol cannot read the record until she sets one up


def test_only_a_submitted_record_says_it(client_for, volunteer, coordinator, group):
    record = submit(EvidenceRecordFactory(group=group, created_by=volunteer), volunteer)
    records.verify_record(record, actor=coordinator)
    assert "data-who-verifies" not in client_for(volunteer).get(record.get_absolute_url()).content.decode()


def test_the_policy_names_no_member_to_another_group(volunteer, coordinator, campaigner, outsider, group):
    record = submit(EvidenceRecordFactory(group=group, created_by=volunteer), volunteer)
    assert disclosure.disclose(disclosure.viewer_of(outsider), record).verifiers == []
    assert disclosure.disclose(disclosure.viewer_of(volunteer), record).verifiers == ["alice", "carol"]


def test_the_submit_step_leads_to_it(client_for, volunteer, coordinator, group):
    record = EvidenceRecordFactory(group=group, created_by=volunteer)
    CitationFactory(record=record)
    response = client_for(volunteer).post(reverse("evidence-step", args=[record.pk, "submit"]), follow=True)
    html = response.content.decode()
    assert "The record was submitted for verification." in html and "Who can verify it now:" in html
