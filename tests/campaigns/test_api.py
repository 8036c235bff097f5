"""The campaign API: roles, isolation, bad input as 400 with field errors, query counts, the schema."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Interaction, StanceChange, Target, Task
from tests.factories import (
    AskBatchFactory,
    CampaignFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    InteractionAttachmentFactory,
    InteractionFactory,
    StanceChangeFactory,
    TargetEvidenceFactory,
    TargetFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def writes(campaign, target):
    """(method, url, body) of every API write, each valid for a campaigner."""
    institution = InstitutionFactory(slug="hanwang-education")
    task = TaskFactory(campaign=campaign)
    return [
        ("post", reverse("api:campaign-list"), {"group": campaign.group.slug, "title": "T", "goal": "G"}),
        ("patch", reverse("api:campaign-detail", args=[campaign.pk]), {"status": "paused"}),
        ("post", reverse("api:target-list"), {"campaign": campaign.pk, "institution": institution.slug,
                                              "ask": "Stop"}),
        ("patch", reverse("api:target-detail", args=[target.pk]), {"priority": 1}),
        ("post", reverse("api:target-advance", args=[target.pk]), {"to_status": "researched"}),
        ("post", reverse("api:target-evidence", args=[target.pk]),
         {"records": [EvidenceRecordFactory(group=campaign.group).pk]}),
        ("post", reverse("api:task-list"), {"campaign": campaign.pk, "title": "Write"}),
        ("patch", reverse("api:task-detail", args=[task.pk]), {"title": "Write again"}),
        ("post", reverse("api:task-complete", args=[task.pk]), {"done": True}),
        ("post", reverse("api:batch-list"), {"campaign": campaign.pk, "title": "Round", "ask": "Stop",
                                             "institutions": [InstitutionFactory().slug]}),
    ]


class TestRoles:
    def test_a_viewer_reads_and_every_write_is_refused(self, api_for, viewer, campaign, target):
        api = api_for(viewer)
        for route in ["campaign", "target", "interaction", "task", "batch"]:
            assert api.get(reverse(f"api:{route}-list")).status_code == 200
        for method, url, body in writes(campaign, target):
            response = getattr(api, method)(url, body, format="json")
            assert response.status_code == 403, (method, url, response.status_code, response.content)
        response = api.post(reverse("api:interaction-list"), {
            "target": target.pk, "kind": "call", "direction": "sent", "occurred_on": TODAY.isoformat(),
            "summary": "x"}, format="json")
        assert response.status_code == 403
        assert Campaign.objects.count() == 1 and not Interaction.objects.exists()
        assert not StanceChange.objects.exists() and not target.evidence.exists()

    def test_a_volunteer_logs_and_uploads_but_does_not_run_the_campaign(self, api_for, volunteer, campaign,
                                                                       target):
        api = api_for(volunteer)
        response = api.post(reverse("api:interaction-list"), {
            "target": target.pk, "kind": "call", "direction": "sent", "occurred_on": TODAY.isoformat(),
            "summary": "Called"}, format="json")
        assert response.status_code == 201
        upload = api.post(reverse("api:interaction-attachments", args=[response.json()["id"]]),
                          {"file": SimpleUploadedFile("notes.txt", b"Call notes")}, format="multipart")
        assert upload.status_code == 201
        refused = api.post(reverse("api:interaction-list"), {
            "target": target.pk, "kind": "reply", "direction": "received", "occurred_on": TODAY.isoformat(),
            "summary": "Yes", "move_to": "committed"}, format="json")
        assert refused.status_code == 403
        for method, url, body in writes(campaign, target):
            if url.endswith("/complete/"):
                continue  # an assignee may; this task has none, so refused below
            assert getattr(api, method)(url, body, format="json").status_code == 403, url

    def test_a_campaigner_can_make_every_write(self, api_for, campaigner, campaign, target):
        api = api_for(campaigner)
        for method, url, body in writes(campaign, target):
            response = getattr(api, method)(url, body, format="json")
            assert response.status_code in (200, 201), (url, response.json())

    def test_another_groups_member_gets_404_for_every_object(self, api_for, outsider, campaign, target):
        api = api_for(outsider)
        interaction = InteractionAttachmentFactory(interaction__target=target).interaction
        task, batch = TaskFactory(campaign=campaign), AskBatchFactory(campaign=campaign)
        urls = [reverse("api:campaign-detail", args=[campaign.pk]), reverse("api:target-detail", args=[target.pk]),
                reverse("api:interaction-detail", args=[interaction.pk]),
                reverse("api:interaction-attachments", args=[interaction.pk]),
                reverse("api:task-detail", args=[task.pk]), reverse("api:batch-detail", args=[batch.pk])]
        for url in urls:
            assert api.get(url).status_code == 404, url
        for url in [reverse("api:target-advance", args=[target.pk]), reverse("api:task-complete", args=[task.pk]),
                    reverse("api:target-evidence", args=[target.pk])]:
            assert api.post(url, {"to_status": "refused"}, format="json").status_code == 404, url
        for route in ["campaign", "target", "interaction", "task", "batch"]:
            assert api.get(reverse(f"api:{route}-list")).json()["count"] == 0, route

    def test_writes_cannot_reach_into_another_group(self, api_for, outsider, campaign, target, other_group):
        api = api_for(outsider)
        response = api.post(reverse("api:target-list"), {
            "campaign": campaign.pk, "institution": InstitutionFactory().slug, "ask": "Stop"}, format="json")
        assert response.status_code == 400 and "campaign" in response.json()
        response = api.post(reverse("api:interaction-list"), {
            "target": target.pk, "kind": "call", "direction": "sent", "occurred_on": TODAY.isoformat(),
            "summary": "x"}, format="json")
        assert response.status_code == 400 and "target" in response.json()
        response = api.post(reverse("api:campaign-list"), {"group": campaign.group.slug, "title": "T", "goal": "G"},
                            format="json")
        assert response.status_code == 400 and "group" in response.json()
        beta = CampaignFactory(group=other_group)
        response = api.post(reverse("api:task-list"), {"campaign": beta.pk, "title": "Chase", "target": target.pk},
                            format="json")
        assert response.status_code == 400 and "target" in response.json()
        assert Target.objects.count() == 1 and not Interaction.objects.exists() and not Task.objects.exists()


class TestBadInput:
    def test_a_campaign_with_bad_fields(self, api_for, campaigner, group):
        response = api_for(campaigner).post(reverse("api:campaign-list"), {
            "group": group.slug, "title": "", "goal": "g", "status": "dancing", "starts_on": "2025-02-30",
            "lead": "nobody"}, format="json")
        assert response.status_code == 400
        assert {"title", "status", "starts_on", "lead"} <= set(response.json())
        response = api_for(campaigner).post(reverse("api:campaign-list"), {
            "group": group.slug, "title": "t", "goal": "g", "starts_on": "2025-05-01", "ends_on": "2025-01-01"},
            format="json")
        assert response.status_code == 400 and "ends_on" in response.json()

    def test_advance_needs_a_known_status_and_a_justification(self, api_for, campaigner, target):
        api = api_for(campaigner)
        response = api.post(reverse("api:target-advance", args=[target.pk]), {"to_status": "won"}, format="json")
        assert response.status_code == 400 and "to_status" in response.json()
        response = api.post(reverse("api:target-advance", args=[target.pk]), {"to_status": "committed"},
                            format="json")
        assert response.status_code == 400 and "justification" in response.json()
        response = api.post(reverse("api:target-advance", args=[target.pk]), {"to_status": "identified"},
                            format="json")
        assert response.status_code == 400 and "to_status" in response.json()

    def test_a_target_twice_and_bad_interactions(self, api_for, campaigner, campaign, target):
        api = api_for(campaigner)
        response = api.post(reverse("api:target-list"), {"campaign": campaign.pk, "institution": "hikvision",
                                                         "ask": "Stop"}, format="json")
        assert response.status_code == 400 and "institution" in response.json()
        response = api.post(reverse("api:interaction-list"), {
            "target": target.pk, "kind": "fax", "direction": "sent", "occurred_on": "soon", "summary": "x"},
            format="json")
        assert response.status_code == 400 and {"kind", "occurred_on"} <= set(response.json())
        response = api.post(reverse("api:interaction-list"), {
            "target": target.pk, "kind": "call", "direction": "sent",
            "occurred_on": (TODAY + timedelta(days=2)).isoformat(), "summary": "x"}, format="json")
        assert response.status_code == 400 and "occurred_on" in response.json()

    def test_a_refused_file_says_why(self, api_for, campaigner, target):
        interaction = InteractionFactory(target=target)
        response = api_for(campaigner).post(reverse("api:interaction-attachments", args=[interaction.pk]),
                                            {"file": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>")},
                                            format="multipart")
        assert response.status_code == 400 and "file" in response.json()

    def test_a_batch_with_a_reply_date_before_sending(self, api_for, campaigner, campaign):
        response = api_for(campaigner).post(reverse("api:batch-list"), {
            "campaign": campaign.pk, "title": "Round", "ask": "Stop", "institutions": [InstitutionFactory().slug],
            "sent_on": "2025-05-01", "reply_due": "2025-04-01"}, format="json")
        assert response.status_code == 400 and "reply_due" in response.json()

    @pytest.mark.parametrize("query", ["status=zz", "overdue=maybe&priority=7", "campaign=abc", "page=abc"])
    def test_malformed_filters_never_fail(self, api_for, viewer, target, query):
        response = api_for(viewer).get(f"{reverse('api:target-list')}?{query}")
        assert response.status_code in (200, 400, 404)


def populate(campaign, n, people):
    for i in range(n):
        batch = AskBatchFactory(campaign=campaign)
        target = TargetFactory(campaign=campaign, batch=batch, owner=people[i % 2])
        interaction = InteractionFactory(target=target, direction="received")
        InteractionAttachmentFactory(interaction=interaction)
        TargetEvidenceFactory(target=target)
        StanceChangeFactory(target=target, changed_by=people[0], interaction=interaction)
        TaskFactory(campaign=campaign, target=target, assignee=people[i % 2], done_by=people[0])
        CampaignFactory(group=campaign.group, lead=people[0])


# Measured: session, user, the user's memberships (roles and the two-factor rule, once a request), then the page's
# count and rows; prefetches for nested lists.
API_QUERIES = {"campaign": 6, "target": 7, "interaction": 6, "task": 5, "batch": 7}


@pytest.mark.parametrize("route", sorted(API_QUERIES))
def test_api_lists_run_a_fixed_number_of_queries(api_for, campaigner, coordinator, campaign, count_queries,
                                                 route):
    api = api_for(campaigner)
    url = reverse(f"api:{route}-list")
    populate(campaign, 2, [campaigner, coordinator])
    api.get(url)
    few = count_queries(lambda: api.get(url))
    populate(campaign, 30, [campaigner, coordinator])
    many = count_queries(lambda: api.get(url))
    assert few == many, (route, few, many)
    assert many <= API_QUERIES[route], (route, many)


def test_the_openapi_schema_describes_the_campaign_endpoints(api_for, viewer):
    schema = api_for(viewer).get(reverse("api:schema"), {"format": "json"}).json()
    for path in ["/api/campaigns/", "/api/targets/", "/api/targets/{id}/advance/", "/api/interactions/",
                 "/api/interactions/{id}/attachments/", "/api/tasks/", "/api/tasks/{id}/complete/", "/api/batches/"]:
        assert path in schema["paths"], path


def test_a_write_that_lands_outside_the_callers_groups_is_rolled_back(api_for, campaigner, campaign, other_group,
                                                                       monkeypatch):
    # Should a service ever put a row in the wrong group, the viewset's final check refuses and undoes it.
    beta = CampaignFactory(group=other_group)
    monkeypatch.setattr("campaigns.services.create_task",
                        lambda campaign, *, actor, **fields: Task.objects.create(campaign=beta, **fields))
    response = api_for(campaigner).post(reverse("api:task-list"), {"campaign": campaign.pk, "title": "Leak"},
                                        format="json")
    assert response.status_code == 403
    assert not Task.objects.exists()
