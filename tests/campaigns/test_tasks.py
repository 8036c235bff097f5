"""The daily digest: one e-mail per person with due work, only their own groups' items, once a day."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.models import Role
from campaigns.models import DigestDelivery
from campaigns.tasks import send_digests, send_due_digests
from tests.factories import CampaignFactory, InstitutionFactory, MembershipFactory, TargetFactory, TaskFactory

TODAY = timezone.localdate()


@pytest.mark.django_db
class TestDigest:
    def test_it_sends_each_person_one_email_with_their_due_and_overdue_work(self, campaign, campaigner, volunteer,
                                                                           viewer):
        TargetFactory(campaign=campaign, owner=campaigner, next_step="Chase Hikvision", next_step_due=TODAY,
                      institution=InstitutionFactory(name="Hikvision"))
        TaskFactory(campaign=campaign, assignee=campaigner, title="Draft the second letter",
                    due_on=TODAY - timedelta(days=4))
        TaskFactory(campaign=campaign, assignee=volunteer, title="Call the school", due_on=TODAY + timedelta(1))
        TaskFactory(campaign=campaign, assignee=viewer, title="Far away", due_on=TODAY + timedelta(days=30))

        assert send_digests(TODAY) == 2

        by_person = {message.to[0]: message for message in mail.outbox}
        assert set(by_person) == {campaigner.email, volunteer.email}
        carol = by_person[campaigner.email]
        assert carol.subject == "Disentangle: 2 items due"
        assert "Chase Hikvision" in carol.body and "Draft the second letter (OVERDUE)" not in carol.body
        assert "(OVERDUE): Draft the second letter" in carol.body
        assert f"{settings.SITE_URL}/my-work/" in carol.body
        assert "Call the school" in by_person[volunteer.email].body

    def test_running_it_again_the_same_day_sends_nothing(self, campaign, campaigner):
        TaskFactory(campaign=campaign, assignee=campaigner, due_on=TODAY)
        assert send_digests(TODAY) == 1
        assert send_digests(TODAY) == 0
        assert len(mail.outbox) == 1
        assert DigestDelivery.objects.get().item_count == 1
        assert send_digests(TODAY + timedelta(days=1)) == 1  # still due (overdue) the next day

    def test_it_never_lists_another_groups_items(self, campaign, campaigner, other_group):
        # carol is still the owner and assignee of Beta Rights' items, but not a member of Beta Rights.
        beta = CampaignFactory(group=other_group, title="Beta's secret campaign")
        TargetFactory(campaign=beta, owner=campaigner, next_step="Beta's secret step", next_step_due=TODAY)
        TaskFactory(campaign=beta, assignee=campaigner, title="Beta's secret task", due_on=TODAY)
        TaskFactory(campaign=campaign, assignee=campaigner, title="Alpha's task", due_on=TODAY)

        assert send_digests(TODAY) == 1
        [message] = mail.outbox
        assert "Alpha's task" in message.body
        assert "Beta" not in message.body and "secret" not in message.body

    def test_it_lists_every_group_a_person_belongs_to(self, campaign, campaigner, other_group):
        MembershipFactory(user=campaigner, group=other_group, role=Role.CAMPAIGNER)
        TaskFactory(campaign=CampaignFactory(group=other_group), assignee=campaigner, title="Beta task",
                    due_on=TODAY)
        TaskFactory(campaign=campaign, assignee=campaigner, title="Alpha task", due_on=TODAY)
        send_digests(TODAY)
        [message] = mail.outbox
        assert "Alpha task" in message.body and "Beta task" in message.body

    def test_it_does_not_chase_settled_targets_finished_campaigns_or_done_tasks(self, group, campaign,
                                                                                 campaigner):
        TargetFactory(campaign=campaign, owner=campaigner, next_step_due=TODAY, status="committed")
        TargetFactory(campaign=campaign, owner=campaigner, next_step_due=TODAY, status="complied")
        TargetFactory(campaign=CampaignFactory(group=group, status="closed"), owner=campaigner,
                      next_step_due=TODAY)
        TaskFactory(campaign=campaign, assignee=campaigner, due_on=TODAY, done_at=timezone.now())
        assert send_digests(TODAY) == 0
        assert not mail.outbox

    def test_a_failed_send_is_tried_again_next_run(self, campaign, campaigner, monkeypatch):
        import smtplib

        TaskFactory(campaign=campaign, assignee=campaigner, due_on=TODAY)

        def down(*args, **kwargs):
            raise smtplib.SMTPServerDisconnected("down")

        monkeypatch.setattr("campaigns.tasks.send_mail", down)
        assert send_digests(TODAY) == 0
        assert not DigestDelivery.objects.exists()
        monkeypatch.undo()
        assert send_digests(TODAY) == 1

    def test_it_is_scheduled_daily_by_beat(self):
        entry = settings.CELERY_BEAT_SCHEDULE["send-campaign-digests"]
        assert entry["task"] == send_due_digests.name == "campaigns.tasks.send_due_digests"
        assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_worker_sends_the_digest_once_a_day(celery_worker_process, group, campaigner):
    TaskFactory(campaign=CampaignFactory(group=group), assignee=campaigner, due_on=TODAY)

    assert send_due_digests.delay().get(timeout=30) == 1
    assert send_due_digests.delay().get(timeout=30) == 0
    assert DigestDelivery.objects.get().user == campaigner
