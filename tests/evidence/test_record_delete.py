"""
Deleting a record, as the named actors do it: alice coordinates Alpha Watch, victor volunteers there, vera reads;
bob coordinates Beta Rights, which Alpha shared a record with. A group deletes a record when keeping it endangers
someone, so nothing of its content may stay readable anywhere: not on its pages, in another group's campaign, in
search or in its own history.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from evidence.models import Attachment, EvidenceRecord
from evidence.services import records
from tests.factories import (
    AttachmentFactory,
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    StanceChangeFactory,
    TargetEvidenceFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Informant at the Hangzhou school bureau"


@pytest.fixture
def shared_record(group, coordinator, volunteer, campaigner, listed_other_group):
    """A verified record of Alpha's with a file, shared with Beta, which cites it in a campaign."""
    record = records.create_record(group, actor=volunteer, title=SECRET_TITLE, summary="Names a source.",
                                   kind="statement")
    CitationFactory(record=record)
    AttachmentFactory(record=record, content=b"the informant's memo")
    records.submit_record(record, actor=volunteer)
    records.verify_record(record, actor=campaigner)
    records.share_record(record, actor=coordinator, groups=[listed_other_group])
    return EvidenceRecord.objects.get(pk=record.pk)


@pytest.fixture
def beta_target(listed_other_group, shared_record):
    target = TargetFactory(campaign=CampaignFactory(group=listed_other_group), status="committed")
    TargetEvidenceFactory(target=target, record=shared_record)
    StanceChangeFactory(target=target, from_status="contacted", to_status="committed", evidence=shared_record)
    return target


def test_a_coordinator_is_asked_first_then_the_record_is_gone_for_everyone(
        client_for, shared_record, beta_target, coordinator, outsider, django_capture_on_commit_callbacks):
    [stored] = [a.file.name for a in shared_record.attachments.all()]
    page = client_for(coordinator).get(reverse("evidence-delete", args=[shared_record.pk]))
    assert page.status_code == 200
    assert "cannot be undone" in page.content.decode()
    assert EvidenceRecord.objects.filter(pk=shared_record.pk).exists()  # asking deletes nothing

    storage = Attachment._meta.get_field("file").storage
    assert storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(coordinator).post(reverse("evidence-delete", args=[shared_record.pk]))

    assert response.status_code == 302
    assert not EvidenceRecord.objects.filter(pk=shared_record.pk).exists()
    assert not storage.exists(stored)
    assert client_for(coordinator).get(reverse("evidence-detail", args=[shared_record.pk])).status_code == 404
    beta = client_for(outsider)
    assert beta.get(reverse("evidence-detail", args=[shared_record.pk])).status_code == 404
    target_page = beta.get(beta_target.get_absolute_url()).content.decode()
    assert SECRET_TITLE not in target_page
    assert "since deleted by the group that logged it" in target_page
    assert SECRET_TITLE not in beta.get(beta_target.campaign.get_absolute_url()).content.decode()
    assert beta_target.stance_changes.get().cited_record_deleted  # the move keeps its place in the history


def test_the_history_keeps_who_did_what_but_none_of_the_content(client_for, shared_record, coordinator, group):
    client_for(coordinator).post(reverse("evidence-delete", args=[shared_record.pk]))

    rows = AuditEntry.objects.filter(object_type="evidence.EvidenceRecord", object_id=str(shared_record.pk))
    assert {"evidence.created", "evidence.verify", "evidence.deleted"} <= set(rows.values_list("action", flat=True))
    assert all(row.before is None and row.after is None for row in rows)
    audit_page = client_for(coordinator).get(reverse("audit-log", args=[group.slug])).content.decode()
    assert "a deleted record" in audit_page
    assert SECRET_TITLE not in audit_page
    assert "Names a source." not in audit_page


def test_a_volunteer_deletes_their_own_draft_until_they_submit_it(api_for, group, volunteer):
    draft = EvidenceRecordFactory(group=group, created_by=volunteer)
    submitted = EvidenceRecordFactory(group=group, created_by=volunteer)
    CitationFactory(record=submitted)
    records.submit_record(submitted, actor=volunteer)

    api = api_for(volunteer)
    assert api.delete(reverse("api:evidence-detail", args=[submitted.pk])).status_code == 403
    assert api.delete(reverse("api:evidence-detail", args=[draft.pk])).status_code == 204
    assert not EvidenceRecord.objects.filter(pk=draft.pk).exists()
    assert EvidenceRecord.objects.filter(pk=submitted.pk).exists()


def test_nobody_else_deletes(client_for, api_for, group, volunteer, campaigner, viewer, outsider, shared_record):
    draft = EvidenceRecordFactory(group=group, created_by=volunteer)
    for person in (campaigner, viewer):
        assert client_for(person).post(reverse("evidence-delete", args=[draft.pk])).status_code == 403
        assert api_for(person).delete(reverse("api:evidence-detail", args=[draft.pk])).status_code == 403
    # Another group: its own record is a 404 like a missing one; a copy shared with it is not its to delete.
    assert client_for(outsider).post(reverse("evidence-delete", args=[draft.pk])).status_code == 404
    assert api_for(outsider).delete(reverse("api:evidence-detail", args=[draft.pk])).status_code == 404
    assert api_for(outsider).delete(reverse("api:evidence-detail", args=[shared_record.pk])).status_code in (403, 404)
    assert client_for(outsider).post(reverse("evidence-delete", args=[shared_record.pk])).status_code in (403, 404)
    assert EvidenceRecord.objects.filter(pk__in=[draft.pk, shared_record.pk]).count() == 2


def test_the_record_page_offers_deletion_only_to_who_may(client_for, group, coordinator, volunteer, campaigner):
    draft = EvidenceRecordFactory(group=group, created_by=volunteer)
    delete_url = reverse("evidence-delete", args=[draft.pk])
    for person, offered in ((coordinator, True), (volunteer, True), (campaigner, False)):
        page = client_for(person).get(draft.get_absolute_url()).content.decode()
        assert (delete_url in page) is offered, person
