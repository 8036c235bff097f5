"""The rules of campaigns/services.py and the querysets: justification, visibility of evidence, chasing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import history_of
from accounts.permissions import roles_by_group
from campaigns import services
from campaigns.models import StanceChange, Target, TargetEvidence
from campaigns.querysets import suggested_evidence
from evidence.models import RecordInstitution
from tests.factories import (
    AskBatchFactory,
    CampaignFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    InteractionFactory,
    RelationshipFactory,
    TargetFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


class TestJustification:
    @pytest.mark.parametrize("status", ["committed", "complied", "refused", "backslid"])
    def test_it_refuses_a_decisive_move_without_a_citation(self, campaigner, target, status):
        with pytest.raises(ValidationError) as error:
            services.advance_target(target, actor=campaigner, to_status=status, note="They said so on the phone")
        assert "must cite" in str(error.value)
        target.refresh_from_db()
        assert target.status == "identified" and not StanceChange.objects.exists()

    def test_the_database_refuses_one_too(self, target):
        with pytest.raises(IntegrityError), transaction.atomic():
            StanceChange.objects.create(target=target, from_status="contacted", to_status="committed")

    def test_it_moves_freely_to_the_other_statuses(self, campaigner, target):
        services.advance_target(target, actor=campaigner, to_status="researched")
        services.advance_target(target, actor=campaigner, to_status="no_response", note="Three weeks, nothing")
        target.refresh_from_db()
        assert target.status == "no_response"
        assert history_of(target).first().after == {"status": "no_response", "justification": None,
                                                    "note": "Three weeks, nothing"}

    def test_it_accepts_a_reply_of_this_target_only(self, campaigner, campaign, target):
        other_reply = InteractionFactory(target=TargetFactory(campaign=campaign), direction="received")
        with pytest.raises(ValidationError):
            services.advance_target(target, actor=campaigner, to_status="committed", interaction=other_reply)
        reply = InteractionFactory(target=target, kind="reply", direction="received")
        change = services.advance_target(target, actor=campaigner, to_status="committed", interaction=reply)
        assert change.interaction == reply and change.changed_by == campaigner

    def test_it_accepts_evidence_the_actor_can_see_only(self, campaigner, group, other_group, target):
        hidden = EvidenceRecordFactory(group=other_group, status="verified")
        with pytest.raises(ValidationError):
            services.advance_target(target, actor=campaigner, to_status="refused", evidence=hidden)
        shared = EvidenceRecordFactory(group=other_group, status="verified", shared_with_everyone=True)
        services.advance_target(target, actor=campaigner, to_status="refused", evidence=shared)

    def test_it_refuses_an_unknown_status_and_the_same_status(self, campaigner, target):
        for status in ["dancing", "identified"]:
            with pytest.raises(ValidationError):
                services.advance_target(target, actor=campaigner, to_status=status)

    def test_only_campaigners_and_coordinators_move_targets(self, volunteer, viewer, coordinator, target):
        for person in (volunteer, viewer):
            with pytest.raises(PermissionDenied):
                services.advance_target(target, actor=person, to_status="researched")
        services.advance_target(target, actor=coordinator, to_status="researched")

    def test_a_volunteer_logs_a_reply_but_cannot_move_the_target_with_it(self, volunteer, target):
        services.log_interaction(target, actor=volunteer, kind="reply", direction="received", occurred_on=TODAY,
                                 summary="They will answer next month.")
        with pytest.raises(PermissionDenied):
            services.log_interaction(target, actor=volunteer, kind="reply", direction="received",
                                     occurred_on=TODAY, summary="We stop.", move_to="committed")
        assert target.interactions.count() == 1

    def test_a_logged_reply_moves_the_status_citing_itself(self, campaigner, target):
        reply = services.log_interaction(target, actor=campaigner, kind="reply", direction="received",
                                         occurred_on=TODAY, summary="We stop.", move_to="committed",
                                         note="Signed by the CEO")
        target.refresh_from_db()
        assert target.status == "committed" and reply.stance_change.interaction == reply

    def test_it_refuses_an_interaction_in_the_future(self, campaigner, target):
        with pytest.raises(ValidationError):
            services.log_interaction(target, actor=campaigner, kind="call", direction="sent",
                                     occurred_on=TODAY + timedelta(days=3), summary="A call")


class TestEvidence:
    def test_it_adds_records_once_and_counts_the_new_ones(self, campaigner, group, target):
        records = [EvidenceRecordFactory(group=group) for _ in range(3)]
        assert services.add_evidence_to_target(actor=campaigner, target=target, records=records[:2]) == 2
        assert services.add_evidence_to_target(actor=campaigner, target=target, records=iter(records)) == 1
        assert TargetEvidence.objects.filter(target=target).count() == 3

    def test_it_never_links_a_record_the_actor_cannot_see(self, campaigner, group, other_group, target):
        mine, theirs = EvidenceRecordFactory(group=group), EvidenceRecordFactory(group=other_group)
        with pytest.raises(ValidationError):
            services.add_evidence_to_target(actor=campaigner, target=target, records=[mine, theirs])
        assert not TargetEvidence.objects.exists()

    def test_a_volunteer_cannot_link_evidence(self, volunteer, group, target):
        with pytest.raises(PermissionDenied):
            services.link_evidence(target, actor=volunteer, record=EvidenceRecordFactory(group=group))

    def test_it_unlinks(self, campaigner, group, target):
        record = EvidenceRecordFactory(group=group)
        services.link_evidence(target, actor=campaigner, record=record)
        assert services.unlink_evidence(target, actor=campaigner, record=record)
        assert not services.unlink_evidence(target, actor=campaigner, record=record)

    def test_it_suggests_evidence_on_the_institution_and_its_relations_in_one_query(
            self, campaigner, group, other_group, target, django_assert_num_queries):
        school = InstitutionFactory(name="Hangzhou No. 11 Middle School")
        RelationshipFactory(source_institution=target.institution, target_institution=school)
        parent_fund = InstitutionFactory(name="A fund")
        RelationshipFactory(source_institution=parent_fund, target_institution=target.institution, kind="funds")
        unrelated = InstitutionFactory()

        def record_on(institution, **kwargs):
            record = EvidenceRecordFactory(**kwargs)
            RecordInstitution.objects.create(record=record, institution=institution)
            return record

        own = record_on(target.institution, group=group, title="Own")
        via_school = record_on(school, group=group, title="School")
        via_funder = record_on(parent_fund, group=group, title="Funder")
        shared = record_on(target.institution, group=other_group, status="verified", shared_with_everyone=True)
        record_on(target.institution, group=other_group, status="verified")  # not shared: never suggested
        record_on(unrelated, group=group)
        linked = record_on(target.institution, group=group, title="Already linked")
        TargetEvidence.objects.create(target=target, record=linked)

        roles_by_group(campaigner)  # the user's groups, which every request reads once before anything else
        with django_assert_num_queries(1):
            suggested = set(suggested_evidence(target, campaigner))
        assert suggested == {own, via_school, via_funder, shared}


class TestTargetsAndBatches:
    def test_it_adds_a_batch_and_skips_institutions_already_targeted(self, campaigner, campaign, target):
        other = InstitutionFactory()
        batch, added = services.add_targets(campaign, actor=campaigner, institutions=[target.institution, other],
                                            ask="Stop", batch_title="Round two", reply_due=TODAY + timedelta(7))
        assert [t.institution for t in added] == [other]
        assert added[0].batch == batch and added[0].next_step_due == TODAY + timedelta(7)
        with pytest.raises(ValidationError):
            services.add_targets(campaign, actor=campaigner, institutions=[other], ask="Stop")

    def test_owners_must_belong_to_the_group(self, campaigner, outsider, campaign):
        with pytest.raises(ValidationError) as error:
            services.add_targets(campaign, actor=campaigner, institutions=[InstitutionFactory()], ask="Stop",
                                 owner=outsider)
        assert "owner" in error.value.error_dict

    def test_batch_statistics(self, campaign):
        batch = AskBatchFactory(campaign=campaign, sent_on=TODAY - timedelta(20), reply_due=TODAY - timedelta(10))
        on_time = TargetFactory(campaign=campaign, batch=batch, status="committed")
        InteractionFactory(target=on_time, direction="received", occurred_on=TODAY - timedelta(12))
        late = TargetFactory(campaign=campaign, batch=batch, status="refused")
        InteractionFactory(target=late, direction="received", occurred_on=TODAY - timedelta(2))
        InteractionFactory(target=late, direction="received", occurred_on=TODAY - timedelta(30))  # before sending
        silent = TargetFactory(campaign=campaign, batch=batch)
        InteractionFactory(target=silent, direction="sent", occurred_on=TODAY - timedelta(20))

        [batch] = type(batch).objects.filter(pk=batch.pk).with_stats()
        stats = batch.stats
        assert (stats.total, stats.answered, stats.answered_on_time, stats.committed) == (3, 2, 1, 1)
        assert stats.answered_share == 67


class TestChasing:
    def test_settled_targets_and_finished_campaigns_are_not_chased(self, group, campaign, campaigner):
        late = TODAY - timedelta(days=3)
        chased = TargetFactory(campaign=campaign, next_step_due=late, owner=campaigner)
        TargetFactory(campaign=campaign, next_step_due=late, owner=campaigner, status="committed")
        TargetFactory(campaign=campaign, next_step_due=late, owner=campaigner, status="complied")
        backslid = TargetFactory(campaign=campaign, next_step_due=late, owner=campaigner, status="backslid")
        won = CampaignFactory(group=group, status="won")
        TargetFactory(campaign=won, next_step_due=late, owner=campaigner)
        TargetFactory(campaign=campaign, next_step_due=TODAY + timedelta(days=30), owner=campaigner)

        assert set(Target.objects.overdue(TODAY)) == {chased, backslid}
        assert set(Target.objects.due_for(campaigner, TODAY)) == {chased, backslid}

    def test_tasks_due_for_a_person(self, campaign, campaigner, volunteer):
        mine = TaskFactory(campaign=campaign, assignee=campaigner, due_on=TODAY)
        TaskFactory(campaign=campaign, assignee=campaigner, due_on=TODAY, done_at=timezone.now())
        TaskFactory(campaign=campaign, assignee=volunteer, due_on=TODAY)
        from campaigns.models import Task

        assert list(Task.objects.due_for(campaigner, TODAY)) == [mine]

    def test_an_assignee_ticks_off_their_own_task_but_not_others(self, campaign, volunteer, viewer):
        mine = TaskFactory(campaign=campaign, assignee=volunteer)
        services.complete_task(mine, actor=volunteer)
        mine.refresh_from_db()
        assert mine.done and mine.done_by == volunteer
        with pytest.raises(PermissionDenied):
            services.complete_task(TaskFactory(campaign=campaign), actor=volunteer)
        with pytest.raises(PermissionDenied):
            services.complete_task(TaskFactory(campaign=campaign, assignee=viewer), actor=viewer)

    def test_a_task_is_about_a_target_of_its_own_campaign(self, group, campaign, campaigner):
        elsewhere = TargetFactory(campaign=CampaignFactory(group=group))
        with pytest.raises(ValidationError):
            services.create_task(campaign, actor=campaigner, title="Chase", target=elsewhere)


def test_every_change_is_audited(campaigner, group):
    campaign = services.create_campaign(group, actor=campaigner, title="Ban", goal="Ban it")
    services.update_campaign(campaign, actor=campaigner, status="active")
    assert [e.action for e in history_of(campaign)] == ["campaign.updated", "campaign.created"]
    assert history_of(campaign).first().after == {"status": "active"}


class TestSettling:
    def test_a_commitment_clears_the_old_next_step_and_its_date(self, campaigner, target):
        target.next_step, target.next_step_due = "Chase a reply to the letter", TODAY + timedelta(days=3)
        target.save()
        reply = InteractionFactory(target=target, kind="reply", direction="received")

        services.advance_target(target, actor=campaigner, to_status="committed", interaction=reply)

        target.refresh_from_db()
        assert (target.status, target.next_step, target.next_step_due) == ("committed", "", None)
        entry = history_of(target).first()
        assert entry.before["next_step"] == "Chase a reply to the letter" and entry.after["next_step"] == ""
        assert target not in Target.objects.filter(next_step_due__isnull=False)

    def test_a_move_that_settles_nothing_keeps_the_next_step(self, campaigner, target):
        target.next_step, target.next_step_due = "Send the letter", TODAY
        target.save()

        services.advance_target(target, actor=campaigner, to_status="contacted")

        target.refresh_from_db()
        assert (target.next_step, target.next_step_due) == ("Send the letter", TODAY)
