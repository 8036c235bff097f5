from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Group, Role, User
from campaigns import services
from campaigns.models import Campaign
from evidence.models import EvidenceRecord, Institution, Recommendation

TITLE = "Ban emotion recognition in schools"


class Command(BaseCommand):
    help = ("Give the demo group one realistic campaign: Hikvision and Hanwang Education as targets, a letter, a "
            "reply and a move citing it (development only; run seed_demo first). Safe to run again.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is never created in production.")
        group = Group.objects.filter(slug="demo-coalition").first()
        if group is None:
            raise CommandError("Run seed_demo first: there is no demo group.")
        if Campaign.objects.filter(group=group, title=TITLE).exists():
            self.stdout.write(f"The demo campaign “{TITLE}” already exists.")
            return
        if Institution.objects.filter(slug__in=["hikvision", "hanwang-education"]).count() != 2:
            self.stdout.write("Run load_report first to get the demo campaign: its targets are in the report.")
            return
        # The report's facts as the group's evidence, so the targets have a case to link (skips what is there).
        call_command("load_report_evidence", group.slug, stdout=self.stdout)
        with transaction.atomic():
            self._seed(group)
        self.stdout.write(f"Demo campaign “{TITLE}” created in {group}.")

    def _seed(self, group):
        today = timezone.localdate()
        carol = User.objects.get(username=Role.CAMPAIGNER.value)
        victor = User.objects.get(username=Role.VOLUNTEER.value)
        hikvision = Institution.objects.get(slug="hikvision")
        hanwang = Institution.objects.get(slug="hanwang-education")
        campaign = services.create_campaign(
            group, actor=carol, title=TITLE, status=Campaign.Status.ACTIVE, lead=carol,
            starts_on=today - timedelta(days=45), recommendations=Recommendation.objects.filter(
                code__in=["comp-1", "civ-1"]),
            goal="No school uses emotion recognition on its students: the suppliers stop selling it and withdraw "
                 "what is installed.",
            public_summary="We are asking the companies that sell “smart classroom” emotion recognition to schools "
                           "to stop, as ARTICLE 19's Emotional Entanglement report recommends.")
        _, (hik, han) = services.add_targets(
            campaign, actor=carol, institutions=[hikvision, hanwang], owner=carol, priority=1,
            ask="Stop selling classroom emotion recognition to schools and withdraw the systems already installed.",
            batch_title="First letters to classroom suppliers", sent_on=today - timedelta(days=30),
            reply_due=today - timedelta(days=9))
        for target in (hik, han):
            services.log_interaction(
                target, actor=carol, kind="letter", direction="sent", occurred_on=today - timedelta(days=30),
                summary="Our letter setting out the report's findings and asking them to stop.", move_to="contacted")
        services.log_interaction(
            hik, actor=carol, kind="reply", direction="received", occurred_on=today - timedelta(days=12),
            summary="Hikvision replied that it is reviewing its Smart Classroom product line and offered a meeting.",
            outcome="A meeting to be arranged.", move_to="in_dialogue",
            note="Their reply offers a meeting: talks have started.")
        services.update_target(hik, actor=carol, next_step="Agree a date for the meeting",
                               next_step_due=today + timedelta(days=5))
        services.update_target(han, actor=carol, next_step="Chase the unanswered letter",
                               next_step_due=today - timedelta(days=2))
        for target in (hik, han):
            records = EvidenceRecord.objects.filter(group=group, institution_links__institution=target.institution)
            services.add_evidence_to_target(actor=carol, target=target, records=records.distinct()[:5])
        services.create_task(campaign, actor=carol, title="Prepare a one-page brief for the meeting", target=hik,
                             assignee=victor, due_on=today + timedelta(days=3))
