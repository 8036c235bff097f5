import factory
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
    group = factory.SelfAttribute("record.group")
    file = factory.django.FileField(filename="notice.txt", data=b"A procurement notice.")
    original_name = "notice.txt"
    content_type = "text/plain"
    size = 21
    sha256 = "0" * 64
