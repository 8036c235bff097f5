"""
The personal home (`/`): what waits for me in my groups, each list counted and bounded, with a link to all of it;
the number waiting for my verification in the header of every page; verifying there and coming back.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from evidence.models import EvidenceRecord
from evidence.services import records
from tests.factories import (
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InteractionFactory,
    MembershipFactory,
    TargetFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HOME = reverse("home")


def submitted(group, by, **fields):
    return EvidenceRecordFactory(group=group, status="submitted", submitted_by=by, created_by=by,
                                 submitted_at=timezone.now(), **fields)


def section(html, name):
    start = html.index(f'data-home-section="{name}"')
    return html[start:html.index("</section>", start)]


def count_in(html, name):
    return int(re.search(r'class="home-count">(\d+)<', section(html, name)).group(1))


def badge(html):
    found = re.search(r'data-waiting-count="(\d+)"', html)
    return int(found.group(1)) if found else 0


class TestWaitingForMe:
    def test_it_lists_my_groups_submitted_records_never_my_own_nor_another_groups(
            self, client_for, coordinator, volunteer, group, other_group, outsider):
        theirs = submitted(group, volunteer, title="Cameras in a Kashgar school")
        submitted(group, coordinator, title="My own submission")
        EvidenceRecordFactory(group=group, status="submitted", created_by=coordinator, submitted_by=volunteer,
                              title="Logged by me, submitted by another")
        submitted(other_group, outsider, title="Beta's submission")
        EvidenceRecordFactory(group=group, status="draft", created_by=volunteer, title="Still a draft")
        html = client_for(coordinator).get(HOME).content.decode()
        waiting = section(html, "waiting")
        assert theirs.title in waiting and count_in(html, "waiting") == 1 and badge(html) == 1
        for title in ("My own submission", "Logged by me", "Beta&#x27;s submission", "Still a draft"):
            assert title not in waiting
        assert "Beta" not in html

    def test_a_viewer_has_nothing_to_verify(self, client_for, viewer, volunteer, group):
        submitted(group, volunteer)
        html = client_for(viewer).get(HOME).content.decode()
        assert count_in(html, "waiting") == 0 and badge(html) == 0
        assert "Nothing waits for your verification." in html

    def test_the_list_is_bounded_and_links_to_all(self, client_for, coordinator, volunteer, group):
        for n in range(12):
            submitted(group, volunteer, title=f"Waiting {n}")
        html = client_for(coordinator).get(HOME).content.decode()
        waiting = section(html, "waiting")
        assert waiting.count("data-record=") == 10 and count_in(html, "waiting") == 12
        assert 'href="/evidence/?for_me=verify"' in waiting
        listed = client_for(coordinator).get(reverse("evidence-list"), {"for_me": "verify"})
        assert listed.context["page_obj"].paginator.count == 12

    def test_it_verifies_there_and_comes_back(self, client_for, coordinator, volunteer, group):
        record = submitted(group, volunteer, title="Cameras at the gate")
        client = client_for(coordinator)
        assert badge(client.get(HOME).content.decode()) == 1
        response = client.post(reverse("evidence-step", args=[record.pk, "verify"]), {"next": HOME})
        assert response.status_code == 302 and response["Location"] == HOME
        record.refresh_from_db()
        assert (record.status, record.decided_by) == ("verified", coordinator)
        html = client.get(HOME).content.decode()
        assert "The record was verified." in html and badge(html) == 0 and count_in(html, "waiting") == 0

    def test_a_step_never_returns_to_another_site(self, client_for, coordinator, volunteer, group):
        record = submitted(group, volunteer)
        for elsewhere in ("https://evil.example/", "//evil.example/"):
            response = client_for(coordinator).post(reverse("evidence-step", args=[record.pk, "reject"]),
                                                    {"next": elsewhere, "reason": "Which school?"})
            assert response["Location"] == record.get_absolute_url()


class TestTheNumberInTheHeader:
    def test_every_page_shows_it_and_it_follows_changes(self, client_for, coordinator, volunteer, group):
        record = submitted(group, volunteer)
        client = client_for(coordinator)
        assert badge(client.get(reverse("evidence-list")).content.decode()) == 1
        records.verify_record(record, actor=coordinator)
        assert badge(client.get(reverse("evidence-list")).content.decode()) == 0
        other = EvidenceRecordFactory(group=group, created_by=volunteer)
        CitationFactory(record=other)
        records.submit_record(other, actor=volunteer)
        assert badge(client.get(reverse("evidence-list")).content.decode()) == 1

    def test_it_costs_no_query_once_counted(self, client_for, coordinator, volunteer, group, count_queries):
        submitted(group, volunteer)
        client = client_for(coordinator)
        client.get(reverse("report-list"))  # warm the session and the count
        counted = []
        with pytest.MonkeyPatch.context() as patch:
            original = EvidenceRecord.objects.waiting_for

            def waiting_for(user):
                counted.append(user)
                return original(user)

            patch.setattr(EvidenceRecord.objects, "waiting_for", waiting_for)
            html = client.get(reverse("report-list")).content.decode()
        assert badge(html) == 1 and counted == []

    def test_a_new_role_counts_afresh(self, client_for, viewer, volunteer, group):
        submitted(group, volunteer)
        client = client_for(viewer)
        assert badge(client.get(reverse("report-list")).content.decode()) == 0
        viewer.memberships.filter(group=group).update(role=Role.COORDINATOR)
        assert badge(client.get(reverse("report-list")).content.decode()) == 1


class TestMyOwnWork:
    def test_my_drafts_and_rejected_records_with_the_reason(self, client_for, volunteer, coordinator, group,
                                                          other_group, outsider):
        EvidenceRecordFactory(group=group, created_by=volunteer, title="My draft")
        EvidenceRecordFactory(group=group, created_by=coordinator, title="Someone else's draft")
        EvidenceRecordFactory(group=group, created_by=volunteer, submitted_by=volunteer, status="rejected",
                              decision_reason="Which school was it?", title="My rejected record")
        EvidenceRecordFactory(group=other_group, created_by=outsider, status="rejected", title="Beta rejected")
        html = client_for(volunteer).get(HOME).content.decode()
        assert "My draft" in section(html, "drafts") and "Someone else" not in html
        assert count_in(html, "drafts") == 1
        rejected = section(html, "rejected")
        assert "My rejected record" in rejected and "Which school was it?" in rejected
        assert "Beta rejected" not in html and count_in(html, "rejected") == 1
        assert 'href="/evidence/?for_me=logged&amp;status=draft"' not in html  # one draft: no "see all"
        listed = client_for(volunteer).get(reverse("evidence-list"), {"for_me": "logged", "status": "rejected"})
        assert [r.title for r in listed.context["page_obj"]] == ["My rejected record"]

    def test_my_tasks_and_next_steps_due_or_late(self, client_for, campaigner, coordinator, group, other_group):
        campaign = CampaignFactory(group=group, title="Schools campaign")
        TaskFactory(campaign=campaign, assignee=campaigner, title="Write to the bureau", due_on=TODAY)
        TaskFactory(campaign=campaign, assignee=coordinator, title="Someone else's task", due_on=TODAY)
        TaskFactory(campaign=campaign, assignee=campaigner, title="Far off", due_on=TODAY + timedelta(days=90))
        TargetFactory(campaign=campaign, owner=campaigner, next_step="Chase the reply",
                      next_step_due=TODAY - timedelta(days=3))
        beta = CampaignFactory(group=other_group)
        TaskFactory(campaign=beta, assignee=campaigner, title="Beta task", due_on=TODAY)  # not a member there
        html = client_for(campaigner).get(HOME).content.decode()
        tasks = section(html, "tasks")
        assert "Write to the bureau" in tasks and count_in(html, "tasks") == 1
        assert "Someone else" not in tasks and "Far off" not in tasks and "Beta task" not in html
        targets = section(html, "targets")
        assert "Chase the reply" in targets and "overdue" in targets and count_in(html, "targets") == 1

    def test_recent_activity_only_in_my_groups_campaigns(self, client_for, viewer, group, other_group):
        InteractionFactory(target=TargetFactory(campaign=CampaignFactory(group=group, title="Alpha schools")))
        InteractionFactory(target=TargetFactory(campaign=CampaignFactory(group=other_group, title="Beta secret")))
        activity = section(client_for(viewer).get(HOME).content.decode(), "activity")
        assert "Alpha schools" in activity and "Beta secret" not in activity


class TestWhoSeesTheHome:
    def test_signed_out_visitors_are_sent_to_sign_in(self, client):
        response = client.get(HOME)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))

    def test_an_account_in_no_group_is_told_what_it_can_do(self, client_for):
        response = client_for(UserFactory()).get(HOME)
        assert response.status_code == 200 and b"not in a group yet" in response.content

    def test_the_query_count_does_not_grow_with_the_lists(self, client_for, campaigner, volunteer, group,
                                                          count_queries):
        campaign = CampaignFactory(group=group)
        client = client_for(campaigner)
        client.get(HOME)  # warm the session
        counts = []
        for size in (1, 15):
            while EvidenceRecord.objects.filter(status="submitted").count() < size:
                submitted(group, volunteer)
                EvidenceRecordFactory(group=group, created_by=campaigner)
                EvidenceRecordFactory(group=group, created_by=campaigner, status="rejected", decision_reason="Why")
                target = TargetFactory(campaign=campaign, owner=campaigner, next_step="Call",
                                       next_step_due=TODAY)
                TaskFactory(campaign=campaign, target=target, assignee=campaigner, due_on=TODAY)
                InteractionFactory(target=target)
            counts.append(count_queries(lambda: client.get(HOME)))
        assert counts[0] == counts[1] <= 20, counts

    def test_a_member_of_two_groups_sees_both_and_each_named(self, client_for, volunteer, group, other_group,
                                                             outsider):
        MembershipFactory(user=volunteer, group=other_group, role=Role.VOLUNTEER)
        submitted(other_group, outsider, title="Beta's own, now mine to check")
        html = client_for(volunteer).get(HOME).content.decode()
        assert "Beta&#x27;s own, now mine to check" in section(html, "waiting")
        assert "Beta Rights" in section(html, "waiting")
