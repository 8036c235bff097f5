"""
Bulk changes on the evidence list: victor (volunteer) tags, untags and submits several of Alpha Watch's records at
once, alice (coordinator) shares them; a change never reaches a record the actor may not change, and bad input
loses nothing.
"""

import re

import pytest
from django.urls import reverse

from accounts.audit import history_of
from evidence.models import EvidenceRecord
from evidence.services import bulk
from tests.factories import CitationFactory, EvidenceRecordFactory, MembershipFactory

pytestmark = pytest.mark.django_db

BULK = reverse("evidence-bulk")


def tags_of(record):
    return sorted(EvidenceRecord.objects.get(pk=record.pk).tags.values_list("name", flat=True))


def status_of(record):
    return EvidenceRecord.objects.get(pk=record.pk).status


@pytest.fixture
def alpha_records(group):
    deployment = EvidenceRecordFactory(group=group, title="Cameras in Hangzhou classrooms", kind="deployment")
    procurement = EvidenceRecordFactory(group=group, title="Tender for interrogation chairs", kind="procurement")
    claim = EvidenceRecordFactory(group=group, title="Brochure promises to read moods", kind="product_claim")
    return deployment, procurement, claim


@pytest.fixture
def bob_shared(other_group, group):
    record = EvidenceRecordFactory(group=other_group, title="Beta's verified finding", status="verified")
    record.shared_with.add(group)
    return record


def test_it_tags_the_ticked_records_and_keeps_a_history_row_for_each(client_for, volunteer, alpha_records):
    deployment, procurement, claim = alpha_records
    response = client_for(volunteer).post(BULK, {"action": "tag", "tag": "schools", "scope": "selected",
                                              "records": [deployment.pk, claim.pk]}, follow=True)
    assert response.status_code == 200
    assert "2 records changed." in response.content.decode()
    assert tags_of(deployment) == tags_of(claim) == ["schools"]
    assert tags_of(procurement) == []
    entry = history_of(deployment).get(action="evidence.tagged")
    assert entry.actor == volunteer and entry.after == {"tags": ["schools"]}


def test_it_changes_every_record_matching_the_filters_when_asked(client_for, volunteer, alpha_records):
    deployment, procurement, claim = alpha_records
    response = client_for(volunteer).post(BULK, {"action": "tag", "tag": "police", "scope": "all",
                                              "filters": "kind=procurement"})
    assert response.status_code == 302 and response.url == f"{reverse('evidence-list')}?kind=procurement"
    assert tags_of(procurement) == ["police"]
    assert tags_of(deployment) == tags_of(claim) == []


def test_it_untags_and_counts_records_that_did_not_have_the_tag(client_for, volunteer, alpha_records):
    deployment, procurement, _ = alpha_records
    bulk.tag_record(deployment, actor=volunteer, name="schools")
    response = client_for(volunteer).post(BULK, {"action": "untag", "tag": "schools", "scope": "selected",
                                              "records": [deployment.pk, procurement.pk]}, follow=True)
    assert "1 record changed; 1 already so." in response.content.decode()
    assert tags_of(deployment) == []


def test_it_submits_what_can_be_submitted_and_says_why_the_rest_was_not(client_for, volunteer, alpha_records):
    deployment, procurement, _ = alpha_records
    CitationFactory(record=deployment)
    response = client_for(volunteer).post(BULK, {"action": "submit", "scope": "selected",
                                              "records": [deployment.pk, procurement.pk]}, follow=True)
    page = response.content.decode()
    assert "1 record changed; 1 not changed: Cite at least one source" in page
    assert status_of(deployment) == "submitted" and status_of(procurement) == "draft"


@pytest.mark.usefixtures("listed_other_group")
def test_it_shares_verified_records_and_refuses_drafts(client_for, coordinator, other_group, alpha_records, outsider):
    deployment, procurement, _ = alpha_records
    EvidenceRecord.objects.filter(pk=deployment.pk).update(status="verified")
    response = client_for(coordinator).post(BULK, {"action": "share", "groups": [other_group.pk], "scope": "selected",
                                             "records": [deployment.pk, procurement.pk]}, follow=True)
    assert "1 not changed: Only verified records that are not protected can be shared." in response.content.decode()
    assert EvidenceRecord.objects.visible_to(outsider).filter(pk=deployment.pk).exists()
    assert not EvidenceRecord.objects.visible_to(outsider).filter(pk=procurement.pk).exists()


def test_it_never_changes_a_record_shared_by_another_group(client_for, coordinator, bob_shared, alpha_records):
    response = client_for(coordinator).post(BULK, {"action": "tag", "tag": "ours", "scope": "all"}, follow=True)
    assert "3 records changed; 1 not changed: another group&#x27;s shared record is read-only." in (
        response.content.decode())
    assert tags_of(bob_shared) == []


def test_it_does_not_reach_another_groups_records_by_their_ids(client_for, outsider, alpha_records):
    deployment, _, _ = alpha_records
    response = client_for(outsider).post(BULK, {"action": "tag", "tag": "found you", "scope": "selected",
                                           "records": [deployment.pk]}, follow=True)
    assert "0 records changed." in response.content.decode()
    assert tags_of(deployment) == []


def test_it_refuses_a_viewer(client_for, viewer, alpha_records):
    deployment, _, _ = alpha_records
    page = client_for(viewer).get(reverse("evidence-list")).content.decode()
    assert 'id="bulk-form"' not in page
    response = client_for(viewer).post(BULK, {"action": "tag", "tag": "x", "scope": "selected",
                                              "records": [deployment.pk]})
    assert response.status_code == 403
    assert tags_of(deployment) == []


def test_it_refuses_record_by_record_through_the_api(api_for, viewer, alpha_records):
    deployment, _, _ = alpha_records
    response = api_for(viewer).post(reverse("api:evidence-bulk"), {
        "action": "tag", "tag": "x", "records": [deployment.pk]}, format="json")
    assert response.json()["refused"] == {"Your role in this group does not allow that.": 1}
    assert tags_of(deployment) == []


@pytest.mark.parametrize("body, error", [
    ({"scope": "selected"}, "This field is required."),
    ({"action": "tag", "scope": "selected"}, "Give the tag to add or remove."),
    ({"action": "share", "scope": "selected"}, "Choose the groups to share with, or every group."),
    ({"action": "tag", "tag": "x", "scope": "selected", "records": []}, "Tick the records to change"),
    ({"action": "tag", "tag": "x", "scope": "selected", "records": ["1; drop"]}, "Tick records from the list."),
    ({"action": "tag", "tag": "x", "scope": "selected", "records": [str(2**64)]}, "Tick records from the list."),
    ({"action": "tag", "tag": "x", "scope": "all", "filters": "happened_after=not-a-date"},
     "Correct the filters before changing every record they match."),
])
def test_it_shows_bad_input_on_the_list_and_changes_nothing(client_for, volunteer, alpha_records, body, error):
    deployment, _, claim = alpha_records
    ticked = {"records": [deployment.pk, claim.pk]} if "records" not in body else {}
    response = client_for(volunteer).post(BULK, {**ticked, **body})
    page = response.content.decode()
    assert response.status_code == 400
    assert error in page
    assert all(tags_of(record) == [] for record in alpha_records)
    if ticked:  # what was ticked stays ticked
        assert f'value="{deployment.pk}" form="bulk-form" id="select-{deployment.pk}" checked' in page


def test_it_refuses_more_records_than_the_limit_at_once(client_for, volunteer, alpha_records, monkeypatch):
    monkeypatch.setattr(bulk, "BULK_LIMIT", 2)
    response = client_for(volunteer).post(BULK, {"action": "tag", "tag": "x", "scope": "all"})
    assert response.status_code == 400
    assert "At most 2 records change at once; narrow the filters." in response.content.decode()
    assert all(tags_of(record) == [] for record in alpha_records)


#
# The API
#


def test_it_changes_records_through_the_api_and_counts_what_it_did(api_for, volunteer, alpha_records, bob_shared):
    deployment, procurement, _ = alpha_records
    response = api_for(volunteer).post(reverse("api:evidence-bulk"), {
        "action": "tag", "tag": "schools", "records": [deployment.pk, procurement.pk, bob_shared.pk, 999999],
    }, format="json")
    assert response.status_code == 200
    assert response.json() == {"changed": 2, "unchanged": 0, "refused": {
        "another group's shared record is read-only": 1, "not found": 1}}
    assert tags_of(deployment) == tags_of(procurement) == ["schools"]


def test_it_counts_another_groups_records_as_not_found_through_the_api(api_for, outsider, alpha_records):
    deployment, _, _ = alpha_records
    response = api_for(outsider).post(reverse("api:evidence-bulk"), {
        "action": "submit", "records": [deployment.pk]}, format="json")
    assert response.json() == {"changed": 0, "unchanged": 0, "refused": {"not found": 1}}
    assert status_of(deployment) == "draft"


@pytest.mark.parametrize("body, field", [
    ({"action": "burn", "records": [1]}, "action"),
    ({"action": "tag", "records": []}, "records"),
    ({"action": "tag", "records": [1]}, "tag"),
    ({"action": "share", "records": [1], "groups": ["no-such-group"]}, "groups"),
])
def test_it_answers_bad_api_input_with_field_errors(api_for, volunteer, alpha_records, body, field):
    response = api_for(volunteer).post(reverse("api:evidence-bulk"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()


#
# Adding evidence to a campaign target
#


@pytest.fixture
def target(group):
    from tests.factories import TargetFactory

    return TargetFactory(campaign__group=group)


def test_a_campaigner_adds_records_to_a_campaign_target_shared_copies_included(client_for, campaigner, target,
                                                                               alpha_records, bob_shared):
    deployment, _, claim = alpha_records
    page = client_for(campaigner).get(reverse("evidence-list")).content.decode()
    assert f"{target.campaign.title}: {target.institution}" in page
    response = client_for(campaigner).post(BULK, {"action": "add_to_target", "target": target.pk, "scope": "selected",
                                                  "records": [deployment.pk, claim.pk, bob_shared.pk]}, follow=True)
    assert "3 records changed." in response.content.decode()
    assert set(target.evidence_links.values_list("record_id", flat=True)) == {deployment.pk, claim.pk, bob_shared.pk}
    again = client_for(campaigner).post(BULK, {"action": "add_to_target", "target": target.pk, "scope": "selected",
                                               "records": [deployment.pk]}, follow=True)
    assert "0 records changed; 1 already so." in again.content.decode()


def test_a_volunteer_cannot_add_to_a_target_and_nothing_is_linked(client_for, volunteer, target, alpha_records):
    deployment, _, _ = alpha_records
    response = client_for(volunteer).post(BULK, {"action": "add_to_target", "target": target.pk, "scope": "selected",
                                                 "records": [deployment.pk]})
    assert response.status_code == 400  # the target is not among the choices of someone who cannot run campaigns
    assert not target.evidence_links.exists()


def test_another_groups_target_is_not_a_choice(client_for, api_for, outsider, other_group, target, alpha_records):
    from tests.factories import EvidenceRecordFactory

    betas = EvidenceRecordFactory(group=other_group)
    response = client_for(outsider).post(BULK, {"action": "add_to_target", "target": target.pk, "scope": "selected",
                                                "records": [betas.pk]})
    assert response.status_code == 400 and not target.evidence_links.exists()
    response = api_for(outsider).post(reverse("api:evidence-bulk"), {
        "action": "add_to_target", "target": target.pk, "records": [betas.pk]}, format="json")
    assert response.status_code == 400 and "does not exist" in str(response.json()["target"])


def test_the_api_adds_records_to_a_target(api_for, campaigner, target, alpha_records):
    deployment, procurement, _ = alpha_records
    response = api_for(campaigner).post(reverse("api:evidence-bulk"), {
        "action": "add_to_target", "target": target.pk, "records": [deployment.pk, procurement.pk]}, format="json")
    assert response.json() == {"changed": 2, "unchanged": 0, "refused": {}}


@pytest.mark.usefixtures("listed_other_group")
def test_the_share_box_never_offers_a_member_their_own_group(client_for, coordinator, group, other_group):
    EvidenceRecordFactory(group=group, status="verified")  # the bulk form shows under a list with records
    response = client_for(coordinator).get(reverse("evidence-list"))

    offered = re.findall(r'name="groups" value="(\d+)"', response.content.decode())
    assert offered == [str(other_group.pk)]


def test_a_member_of_two_groups_is_offered_their_other_group(client_for, coordinator, group, other_group):
    MembershipFactory(group=other_group, user=coordinator, role="coordinator")

    response = client_for(coordinator).get(reverse("evidence-list"))

    assert set(response.context["bulk_form"].fields["groups"].queryset) == {group, other_group}
