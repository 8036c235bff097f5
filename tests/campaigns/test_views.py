"""Campaign pages: who may do what, bad input shown again with its errors, and query counts that do not grow."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Interaction, StanceChange, Target, Task
from evidence.models import RecordInstitution
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


def write_requests(campaign, target):
    """(url, body) of every write page, each with a valid body."""
    return [
        (reverse("campaign-edit", args=[campaign.pk]), {"title": "Renamed", "goal": "g", "status": "active"}),
        (reverse("target-add", args=[campaign.pk]), {"institutions": [InstitutionFactory().pk], "ask": "Stop",
                                                     "priority": 2}),
        (reverse("task-create", args=[campaign.pk]), {"title": "Write to them"}),
        (reverse("target-edit", args=[target.pk]), {"ask": "Stop now", "priority": 1}),
        (reverse("target-advance", args=[target.pk]), {"to_status": "researched"}),
        (reverse("target-evidence-link", args=[target.pk]),
         {"record": EvidenceRecordFactory(group=campaign.group).pk}),
    ]


class TestRoles:
    def test_a_viewer_reads_everything_and_writes_nothing(self, client_for, viewer, campaign, target):
        client = client_for(viewer)
        for url in [reverse("campaign-list"), campaign.get_absolute_url(), target.get_absolute_url(),
                    reverse("campaign-overdue", args=[campaign.pk]), reverse("my-work")]:
            assert client.get(url).status_code == 200, url
        for url, body in write_requests(campaign, target):
            assert client.post(url, body).status_code == 403, url
        assert client.post(reverse("interaction-create", args=[target.pk]), {
            "kind": "call", "direction": "sent", "occurred_on": TODAY.isoformat(), "summary": "x"}).status_code == 403
        assert client.get(reverse("campaign-create")).status_code == 403
        task = TaskFactory(campaign=campaign, assignee=viewer)
        assert client.post(reverse("task-complete", args=[task.pk])).status_code == 403
        page = client.get(target.get_absolute_url()).content.decode()
        assert "Move the status" not in page and "Log an interaction" not in page
        campaign.refresh_from_db()
        assert campaign.title == "Ban emotion recognition in schools" and not Interaction.objects.exists()

    def test_a_volunteer_logs_interactions_but_does_not_run_the_campaign(self, client_for, volunteer, campaign,
                                                                        target):
        client = client_for(volunteer)
        form = client.get(reverse("interaction-create", args=[target.pk])).content.decode()
        assert 'name="move_to"' not in form
        response = client.post(reverse("interaction-create", args=[target.pk]), {
            "kind": "call", "direction": "sent", "occurred_on": TODAY.isoformat(), "summary": "Called the office"})
        assert response.status_code == 302
        for url, body in write_requests(campaign, target):
            assert client.post(url, body).status_code == 403, url

    def test_a_campaigner_and_a_coordinator_run_it(self, client_for, campaigner, coordinator, campaign, target):
        for person in (campaigner, coordinator):
            client = client_for(person)
            for url, body in write_requests(campaign, target):
                response = client.post(url, body)
                assert response.status_code in (302, 400), (url, response.status_code)
        assert Task.objects.count() == 2 and StanceChange.objects.count() == 1

    def test_another_groups_member_gets_404_on_every_page(self, client_for, outsider, campaign, target):
        client = client_for(outsider)
        link = TargetEvidenceFactory(target=target)
        attachment = InteractionAttachmentFactory(interaction__target=target)
        task = TaskFactory(campaign=campaign)
        batch = AskBatchFactory(campaign=campaign)
        urls = [campaign.get_absolute_url(), target.get_absolute_url(), batch.get_absolute_url(),
                reverse("campaign-overdue", args=[campaign.pk]), reverse("interaction-create", args=[target.pk]),
                reverse("interaction-attachment-download", args=[attachment.pk])]
        for url in urls:
            assert client.get(url).status_code == 404, url
        for url, body in write_requests(campaign, target):
            assert client.post(url, body).status_code == 404, url
        assert client.post(reverse("task-complete", args=[task.pk])).status_code == 404
        assert client.post(reverse("target-evidence-unlink", args=[target.pk, link.record_id])).status_code == 404
        assert client.get(reverse("my-work")).status_code == 200

    def test_the_attachment_download_is_private_and_sandboxed(self, client_for, viewer, target):
        attachment = InteractionAttachmentFactory(interaction__target=target)
        response = client_for(viewer).get(attachment.get_absolute_url())
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response["Cache-Control"] == "private, no-store"


class TestBadInput:
    def test_a_campaign_with_bad_dates_and_status_is_shown_again(self, client_for, campaigner, group):
        response = client_for(campaigner).post(reverse("campaign-create"), {
            "group": group.pk, "title": "Ban", "goal": "Ban it", "status": "dancing", "starts_on": "2025-13-45",
        })
        assert response.status_code == 400
        form = response.context["form"]
        assert {"status", "starts_on"} <= set(form.errors)
        response = client_for(campaigner).post(reverse("campaign-create"), {
            "group": group.pk, "title": "Ban", "goal": "Ban it", "status": "active", "starts_on": "2025-05-01",
            "ends_on": "2025-01-01"})
        assert response.status_code == 400 and "ends_on" in response.context["form"].errors
        assert not Campaign.objects.exists()

    def test_a_campaign_cannot_go_to_another_group(self, client_for, campaigner, other_group):
        response = client_for(campaigner).post(reverse("campaign-create"), {
            "group": other_group.pk, "title": "Ban", "goal": "Ban it", "status": "active"})
        assert response.status_code == 400 and "group" in response.context["form"].errors
        assert not Campaign.objects.exists()

    def test_a_decisive_move_without_justification_is_shown_again(self, client_for, campaigner, target):
        response = client_for(campaigner).post(reverse("target-advance", args=[target.pk]),
                                               {"to_status": "committed", "note": "They said yes"})
        assert response.status_code == 400
        assert "must cite the interaction or evidence record" in response.content.decode()
        target.refresh_from_db()
        assert target.status == "identified"

    def test_an_unknown_status_is_refused(self, client_for, campaigner, target):
        response = client_for(campaigner).post(reverse("target-advance", args=[target.pk]), {"to_status": "won"})
        assert response.status_code == 400 and "to_status" in response.context["advance_form"].errors

    def test_an_interaction_with_a_bad_date_or_file_is_shown_again(self, client_for, campaigner, target):
        from django.core.files.uploadedfile import SimpleUploadedFile

        client = client_for(campaigner)
        response = client.post(reverse("interaction-create", args=[target.pk]), {
            "kind": "letter", "direction": "sideways", "occurred_on": "yesterday", "summary": ""})
        assert response.status_code == 400
        assert {"direction", "occurred_on", "summary"} <= set(response.context["form"].errors)
        script = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", "text/plain")
        response = client.post(reverse("interaction-create", args=[target.pk]), {
            "kind": "letter", "direction": "sent", "occurred_on": TODAY.isoformat(), "summary": "Letter",
            "files": [script]})
        assert response.status_code == 400 and "not accepted" in response.content.decode()
        assert not Interaction.objects.exists()

    def test_bad_target_and_batch_input_is_shown_again(self, client_for, campaigner, campaign):
        response = client_for(campaigner).post(reverse("target-add", args=[campaign.pk]), {
            "institutions": ["nope"], "ask": "", "priority": 9, "reply_due": "2020-01-01", "sent_on": "2021-01-01"})
        assert response.status_code == 400
        assert {"institutions", "ask", "priority", "batch_title"} <= set(response.context["form"].errors)

    @pytest.mark.parametrize("query", ["status=zz&group=nope&page=abc", "q=" + "x" * 3000, "page=9999"])
    def test_malformed_filters_get_an_answer(self, client_for, viewer, campaign, query):
        assert client_for(viewer).get(f"{reverse('campaign-list')}?{query}").status_code == 200


class TestPages:
    def test_the_dashboard_shows_the_chart_the_due_work_and_the_timeline(self, client_for, viewer, campaign,
                                                                         target, campaigner):
        TargetFactory(campaign=campaign, status="committed")
        target.next_step, target.next_step_due, target.owner = "Chase the reply", TODAY - timedelta(1), campaigner
        target.save()
        StanceChangeFactory(target=target, changed_by=campaigner, note="Letter sent")
        html = client_for(viewer).get(campaign.get_absolute_url()).content.decode()
        assert "<svg" in html and "Committed: 1" in html and "Identified: 1" in html
        assert "<th scope=\"row\">Committed</th><td>1</td>" in html  # the table fallback
        assert "Chase the reply" in html and "overdue" in html
        assert "Hikvision</a> moved from identified to <strong>contacted</strong> by carol" in html
        assert "<script" not in html.split("</head>")[1] and " onclick=" not in html

    def test_the_dashboard_lists_as_due_only_what_is_still_chased_within_two_weeks(self, client_for, viewer,
                                                                                    campaign):
        TargetFactory(campaign=campaign, next_step="Chase soon", next_step_due=TODAY + timedelta(3))
        TargetFactory(campaign=campaign, next_step="Settled chase", next_step_due=TODAY, status="complied")
        TargetFactory(campaign=campaign, next_step="Far chase", next_step_due=TODAY + timedelta(30))
        TaskFactory(campaign=campaign, title="Soon task", due_on=TODAY + timedelta(2))
        TaskFactory(campaign=campaign, title="Far task", due_on=TODAY + timedelta(30))
        TaskFactory(campaign=campaign, title="Done task", due_on=TODAY, done_at=timezone.now())

        def due_soon():
            html = client_for(viewer).get(campaign.get_absolute_url()).content.decode()
            return html[html.index('id="due-heading"'):].split("</section>")[0]

        due = due_soon()
        assert "Chase soon" in due and "Soon task" in due
        assert [text for text in ("Settled chase", "Far chase", "Far task", "Done task") if text in due] == []
        campaign.status = Campaign.Status.WON  # a finished campaign chases nothing
        campaign.save()
        assert "Nothing is due in the next two weeks." in due_soon()

    def test_the_target_page_suggests_evidence_and_links_it(self, client_for, campaigner, group, target):
        record = EvidenceRecordFactory(group=group, title="Smart classroom cameras")
        RecordInstitution.objects.create(record=record, institution=target.institution)
        client = client_for(campaigner)
        assert "Smart classroom cameras" in client.get(target.get_absolute_url()).content.decode()
        response = client.post(reverse("target-evidence-link", args=[target.pk]), {"record": record.pk})
        assert response.status_code == 302 and list(target.evidence.all()) == [record]

    def test_linked_evidence_no_longer_shared_disappears(self, client_for, campaigner, other_group, target):
        shared = EvidenceRecordFactory(group=other_group, status="verified", shared_with_everyone=True,
                                       title="Beta's shared record")
        TargetEvidenceFactory(target=target, record=shared)
        client = client_for(campaigner)
        assert "Beta&#x27;s shared record" in client.get(target.get_absolute_url()).content.decode()
        shared.shared_with_everyone = False
        shared.save()
        assert "Beta&#x27;s shared record" not in client.get(target.get_absolute_url()).content.decode()
        assert "Beta&#x27;s shared record" not in client.get(target.campaign.get_absolute_url()).content.decode()

    def test_my_work_lists_my_due_items_of_my_groups_only(self, client_for, campaigner, campaign, outsider,
                                                          other_group):
        mine = TargetFactory(campaign=campaign, owner=campaigner, next_step="Call Hikvision", next_step_due=TODAY)
        TargetFactory(campaign=campaign, owner=campaigner, next_step="Settled", next_step_due=TODAY,
                      status="complied")
        TaskFactory(campaign=campaign, assignee=campaigner, title="Draft the second letter", due_on=TODAY)
        html = client_for(campaigner).get(reverse("my-work")).content.decode()
        assert "Call Hikvision" in html and "Draft the second letter" in html and "Settled" not in html
        assert mine.institution.name in html
        assert "Call Hikvision" not in client_for(outsider).get(reverse("my-work")).content.decode()

    def test_the_overdue_board(self, client_for, viewer, campaign):
        TargetFactory(campaign=campaign, next_step="Late chase", next_step_due=TODAY - timedelta(5))
        TargetFactory(campaign=campaign, next_step="Committed chase", next_step_due=TODAY - timedelta(5),
                      status="committed")
        TaskFactory(campaign=campaign, title="Late task", due_on=TODAY - timedelta(2))
        html = client_for(viewer).get(reverse("campaign-overdue", args=[campaign.pk])).content.decode()
        assert "Late chase" in html and "Late task" in html and "Committed chase" not in html

    def test_an_assignee_ticks_off_a_task_from_my_work(self, client_for, volunteer, campaign):
        task = TaskFactory(campaign=campaign, assignee=volunteer, due_on=TODAY)
        response = client_for(volunteer).post(reverse("task-complete", args=[task.pk]), {"next": "my-work"})
        assert response.status_code == 302 and response["Location"] == reverse("my-work")
        task.refresh_from_db()
        assert task.done

    def test_the_navigation_offers_campaigns_and_my_work(self, client_for, viewer, group):
        html = client_for(viewer).get(reverse("group-dashboard", args=[group.slug])).content.decode()
        assert f'href="{reverse("campaign-list")}">Campaigns' in html and f'href="{reverse("my-work")}">My work' in html


def populate(campaign, n, people):
    """n targets with interactions, files, evidence, stance changes and tasks; n batches and campaigns."""
    for i in range(n):
        batch = AskBatchFactory(campaign=campaign)
        target = TargetFactory(campaign=campaign, batch=batch, owner=people[i % len(people)],
                               next_step="Chase", next_step_due=TODAY - timedelta(days=i % 3))
        interaction = InteractionFactory(target=target, direction="received")
        InteractionAttachmentFactory(interaction=interaction)
        TargetEvidenceFactory(target=target, added_by=people[0])
        StanceChangeFactory(target=target, changed_by=people[0], interaction=interaction, to_status="committed"
                            if i % 2 else "contacted")
        TaskFactory(campaign=campaign, target=target, assignee=people[i % len(people)],
                    due_on=TODAY - timedelta(days=i % 2))
        CampaignFactory(group=campaign.group)


# Measured: session, user, memberships (roles, navigation) and the page's own reads.
PAGE_QUERIES = {"campaign-list": 7, "my-work": 7, "campaign-detail": 13, "campaign-overdue": 7, "target-detail": 14,
                "batch-detail": 9}


@pytest.mark.parametrize("page", ["campaign-list", "my-work", "campaign-detail", "campaign-overdue",
                                  "target-detail", "batch-detail"])
def test_pages_run_a_fixed_number_of_queries(client_for, campaigner, coordinator, campaign, count_queries, page):
    client = client_for(campaigner)

    def url():
        first = Target.objects.filter(campaign=campaign).order_by("created_at", "pk").first()
        return {
            "campaign-list": lambda: reverse("campaign-list"),
            "my-work": lambda: reverse("my-work"),
            "campaign-detail": lambda: campaign.get_absolute_url(),
            "campaign-overdue": lambda: reverse("campaign-overdue", args=[campaign.pk]),
            "target-detail": lambda: first.get_absolute_url(),
            "batch-detail": lambda: first.batch.get_absolute_url(),
        }[page]()

    populate(campaign, 2, [campaigner, coordinator])
    address = url()
    client.get(address)
    few = count_queries(lambda: client.get(address))
    populate(campaign, 30, [campaigner, coordinator])
    if page == "batch-detail":  # one batch with many targets
        Target.objects.filter(campaign=campaign).update(batch=Target.objects.get(pk=Target.objects.filter(
            campaign=campaign).order_by("created_at", "pk").first().pk).batch)
    if page == "target-detail":  # one target with many interactions, files, links and moves
        first = Target.objects.filter(campaign=campaign).order_by("created_at", "pk").first()
        for _ in range(20):
            interaction = InteractionFactory(target=first)
            InteractionAttachmentFactory(interaction=interaction)
            TargetEvidenceFactory(target=first)
            StanceChangeFactory(target=first, changed_by=campaigner, interaction=interaction)
            record = EvidenceRecordFactory(group=campaign.group)
            RecordInstitution.objects.create(record=record, institution=first.institution)
            # A move citing a record: the page asks the disclosure policy whether it is still visible.
            StanceChangeFactory(target=first, changed_by=campaigner, evidence=record)
    many = count_queries(lambda: client.get(address))
    assert few == many, (page, few, many)
    assert many <= PAGE_QUERIES[page], (page, many)


class TestTargetPicker:
    """Institutions are ticked, not Ctrl-clicked; a plain GET search narrows them, in English or Chinese."""

    def test_it_offers_boxes_to_tick_and_a_search(self, client_for, campaigner, campaign):
        InstitutionFactory(name="Hikvision", name_zh="海康威视")
        response = client_for(campaigner).get(reverse("target-add", args=[campaign.pk]))

        html = response.content.decode()
        assert 'type="checkbox" name="institutions"' in html and "<select name=\"institutions\"" not in html
        assert '<form method="get" role="search"' in html and 'name="q"' in html
        assert "Hikvision (海康威视)" in html

    @pytest.mark.parametrize("query", ["hikv", "海康"])
    def test_the_search_narrows_the_boxes(self, client_for, campaigner, campaign, query):
        hikvision = InstitutionFactory(name="Hikvision", name_zh="海康威视")
        dahua = InstitutionFactory(name="Dahua Technology")

        response = client_for(campaigner).get(reverse("target-add", args=[campaign.pk]), {"q": query})

        offered = list(response.context["form"].fields["institutions"].queryset)
        assert hikvision in offered and dahua not in offered
        assert f'value="{dahua.pk}"' not in response.content.decode()

    def test_a_search_that_finds_nothing_says_so(self, client_for, campaigner, campaign):
        response = client_for(campaigner).get(reverse("target-add", args=[campaign.pk]), {"q": "nothing like it"})

        assert "No institution matches “nothing like it”." in response.content.decode()

    def test_ticked_boxes_add_targets_whatever_the_search(self, client_for, campaigner, campaign):
        hikvision, dahua = InstitutionFactory(name="Hikvision"), InstitutionFactory(name="Dahua Technology")

        response = client_for(campaigner).post(f"{reverse('target-add', args=[campaign.pk])}?q=hik", {
            "institutions": [hikvision.pk, dahua.pk], "ask": "Stop", "priority": 2})

        assert response.status_code == 302
        assert set(campaign.targets.values_list("institution", flat=True)) == {hikvision.pk, dahua.pk}


class TestPackDefaults:
    def test_a_new_pack_is_of_verified_evidence_unless_unticked(self, client_for, coordinator, campaign):
        response = client_for(coordinator).get(reverse("pack-create-campaign", args=[campaign.pk]))

        box = response.content.decode().split('name="only_verified"', 1)[1].split(">", 1)[0]
        assert "checked" in box

    def test_the_api_builds_packs_of_verified_evidence_unless_asked(self, api_for, coordinator, campaign,
                                                                    django_capture_on_commit_callbacks):
        from campaigns.models import BriefingPack

        with django_capture_on_commit_callbacks():
            response = api_for(coordinator).post(reverse("api:pack-list"), {"scope": "campaign",
                                                                           "campaign": campaign.pk}, format="json")

        assert response.status_code == 201, response.content
        assert BriefingPack.objects.get().only_verified is True
