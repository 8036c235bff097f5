import hashlib

import factory
from django.core.files.base import ContentFile
from factory.django import DjangoModelFactory

from accounts.models import Group, Invitation, Membership, Role, User, WorkerCheck

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password(PASSWORD)


class GroupFactory(DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")
    slug = factory.Sequence(lambda n: f"group-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    group = factory.SubFactory(GroupFactory)
    role = Role.VIEWER


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    group = factory.SubFactory(GroupFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    role = Role.VOLUNTEER


class WorkerCheckFactory(DjangoModelFactory):
    class Meta:
        model = WorkerCheck

    group = factory.SubFactory(GroupFactory)


class SourceFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Source"

    group = factory.SubFactory(GroupFactory)
    title = factory.Sequence(lambda n: f"Source {n}")
    url = factory.Sequence(lambda n: f"https://news.example.org/story-{n}")
    publisher = "Example News"


class EvidenceRecordFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.EvidenceRecord"

    group = factory.SubFactory(GroupFactory)
    title = factory.Sequence(lambda n: f"Record {n}")
    summary = "Cameras that claim to read emotions were installed."
    kind = "deployment"


class CitationFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Citation"

    record = factory.SubFactory(EvidenceRecordFactory)
    source = factory.LazyAttribute(lambda citation: SourceFactory(group=citation.record.group))
    excerpt = "An excerpt."


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Attachment"

    record = factory.SubFactory(EvidenceRecordFactory)
    group = factory.LazyAttribute(lambda attachment: attachment.record.group)
    file = factory.LazyAttribute(lambda attachment: ContentFile(attachment.content, name="memo.txt"))
    original_name = "memo.txt"
    content_type = "text/plain"
    size = factory.LazyAttribute(lambda attachment: len(attachment.content))
    sha256 = factory.LazyAttribute(lambda attachment: hashlib.sha256(attachment.content).hexdigest())

    class Params:
        content = b"Minutes of the procurement meeting."


#
# The shared directory
#


class ReportFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Report"

    slug = factory.Sequence(lambda n: f"report-{n}")
    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = "ARTICLE 19"
    published = "2021-01"
    credit = "Data derived from a test report."


class RecommendationFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Recommendation"

    report = factory.SubFactory(ReportFactory)
    code = factory.Sequence(lambda n: f"rec-{n}")
    addressee = "Private Companies"
    summary = "Companies should stop."
    ask = factory.Sequence(lambda n: f"Ask number {n}")
    order = factory.Sequence(int)


class SectorFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Sector"
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"sector-{n}")
    name = factory.Sequence(lambda n: f"Sector {n}")


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Institution"
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"institution-{n}")
    name = factory.Sequence(lambda n: f"Institution {n}")
    kind = "company"
    country = "China"

    @factory.post_generation
    def sectors(self, create, extracted, **kwargs):
        if create and extracted:
            self.sectors.set(extracted)


class RelationshipFactory(DjangoModelFactory):
    class Meta:
        model = "evidence.Relationship"

    slug = factory.Sequence(lambda n: f"relationship-{n}")
    source_institution = factory.SubFactory(InstitutionFactory)
    target_institution = factory.SubFactory(InstitutionFactory)
    kind = "supplies"


#
# Sign-in security
#


class AuditEntryFactory(DjangoModelFactory):
    class Meta:
        model = "accounts.AuditEntry"

    group = factory.SubFactory(GroupFactory)
    actor = factory.SubFactory(UserFactory)
    action = "membership.role_changed"
    object_type = "accounts.Membership"
    object_id = factory.Sequence(str)
    object_repr = factory.Sequence(lambda n: f"member{n} in the group")


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def add_second_factor(user, secret=TOTP_SECRET):
    """An authenticator app and recovery codes for `user`, as after setting them up; returns the recovery codes."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(user, secret)
    return RecoveryCodes.activate(user).get_unused_codes()


def totp_code(secret=TOTP_SECRET, offset=0):
    """The code an authenticator app shows now (offset: that many 30-second periods later)."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


#
# Campaigns
#


def _today():
    from django.utils import timezone

    return timezone.localdate()


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.Campaign"

    group = factory.SubFactory(GroupFactory)
    title = factory.Sequence(lambda n: f"Campaign {n}")
    goal = "Ban emotion recognition in schools."
    status = "active"


class AskBatchFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.AskBatch"

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"Letter round {n}")
    ask = "Stop selling emotion recognition to schools."
    sent_on = factory.LazyFunction(_today)


class TargetFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.Target"

    campaign = factory.SubFactory(CampaignFactory)
    institution = factory.SubFactory(InstitutionFactory)
    ask = "Stop selling emotion recognition to schools."


class InteractionFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.Interaction"

    target = factory.SubFactory(TargetFactory)
    kind = "letter"
    direction = "sent"
    occurred_on = factory.LazyFunction(_today)
    summary = "We asked them to stop."


class InteractionAttachmentFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.InteractionAttachment"

    interaction = factory.SubFactory(InteractionFactory)
    group = factory.LazyAttribute(lambda attachment: attachment.interaction.target.campaign.group)
    file = factory.LazyAttribute(lambda attachment: ContentFile(attachment.content, name="letter.txt"))
    original_name = "letter.txt"
    content_type = "text/plain"
    size = factory.LazyAttribute(lambda attachment: len(attachment.content))
    sha256 = factory.LazyAttribute(lambda attachment: hashlib.sha256(attachment.content).hexdigest())

    class Params:
        content = b"Dear Sir or Madam, we ask you to stop."


class StanceChangeFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.StanceChange"

    target = factory.SubFactory(TargetFactory)
    from_status = "identified"
    to_status = "contacted"


class TargetEvidenceFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.TargetEvidence"

    target = factory.SubFactory(TargetFactory)
    record = factory.LazyAttribute(lambda link: EvidenceRecordFactory(group=link.target.campaign.group))


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.Task"

    campaign = factory.SubFactory(CampaignFactory)
    title = factory.Sequence(lambda n: f"Task {n}")


class BriefingPackFactory(DjangoModelFactory):
    class Meta:
        model = "campaigns.BriefingPack"

    campaign = factory.SubFactory(CampaignFactory)
    group = factory.LazyAttribute(lambda pack: pack.campaign.group)
    scope = "campaign"
    scope_label = factory.LazyAttribute(lambda pack: f"Campaign: {pack.campaign.title}")
