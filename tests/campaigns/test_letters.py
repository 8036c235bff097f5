"""
Letters from templates, through the pages, with the worker's task called in this process: templates refused on
save (unknown field, syntax, unsafe constructs) with their line, the sandbox, a batch written per target as PDF and
DOCX, Chinese letters, the job's idempotence and failure, marking letters sent (interactions logged with the file,
statuses moved), what a letter never carries (outward disclosure), roles and isolation.
"""

import html
import io
import zipfile

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from campaigns.letters import services
from campaigns.letters.models import Letter, LetterBatch, LetterTemplate
from campaigns.letters.tasks import build_letter_batch
from campaigns.models import Interaction, InteractionAttachment
from tests.factories import (
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    SourceFactory,
    TargetEvidenceFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db

BODY = """Dear {{ institution }},

{{ ask }}
{% for item in evidence %}{{ loop.index }}. {{ item.title }} ({{ item.source }}) {{ item.url }}
{% endfor %}
Signed, {{ sender }} for {{ group }} on {{ date }}"""


def pdf_text(data):
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data):
    from docx import Document

    document = Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs)


def docx_links(data):
    from docx import Document

    document = Document(io.BytesIO(data))
    return {rel.target_ref for rel in document.part.rels.values() if rel.reltype.endswith("/hyperlink")}


@pytest.fixture
def letter_campaign(group, other_group, campaigner):
    """
    Alpha Watch's campaign with three targets (identified, researched, in dialogue) and evidence with planted
    markers: what may leave (a verified record citing a public source) and what must not (a protected source's title,
    a translator's and a member's name, a draft's title, a protected record, another group's shared record).
    """
    from types import SimpleNamespace

    campaign = CampaignFactory(group=group, title="No emotion recognition in classrooms")
    hik = TargetFactory(campaign=campaign, ask="Withdraw the classroom cameras.", status="identified",
                        institution=InstitutionFactory(name="Hikvision Letters", slug="hik-letters",
                                                       name_zh="海康威视"))
    dah = TargetFactory(campaign=campaign, ask="Publish the contracts.", status="researched",
                        institution=InstitutionFactory(name="Dahua Letters", slug="dah-letters"))
    han = TargetFactory(campaign=campaign, ask="Stop the pilots.", status="in_dialogue",
                        institution=InstitutionFactory(name="Hanwang Letters", slug="han-letters"))
    public = EvidenceRecordFactory(group=group, title="Smart classroom in Hangzhou", status="verified",
                                   created_by=campaigner)
    CitationFactory(record=public, source=SourceFactory(group=group, title="Hangzhou Daily report",
                                                        url="https://news.example.org/hangzhou"),
                    translator="TRANSLATORNAMEMARK")
    CitationFactory(record=public, source=SourceFactory(group=group, title="PROTECTEDSOURCEMARK", protected=True,
                                                        url="https://secret.example.org/chat"))
    draft = EvidenceRecordFactory(group=group, title="DRAFTTITLEMARK", status="draft")
    secret = EvidenceRecordFactory(group=group, title="PROTECTEDRECORDMARK", status="verified", protected=True)
    shared = EvidenceRecordFactory(group=other_group, title="BETASHAREDMARK", status="verified",
                                   shared_with_everyone=True)
    for target in (hik, dah, han):
        for record in (public, draft, secret, shared):
            TargetEvidenceFactory(target=target, record=record)
    return SimpleNamespace(campaign=campaign, hik=hik, dah=dah, han=han, targets=[hik, dah, han])


@pytest.fixture
def template(letter_campaign, campaigner):
    return services.save_template(letter_campaign.campaign, actor=campaigner, name="First letter", language="en",
                                  subject="{{ campaign }}: our ask to {{ institution }}", body=BODY)


def generate(client, template, targets, capture, sender="Carol for Alpha Watch"):
    with capture():  # queued, not sent: the test runs the task itself
        response = client.post(reverse("letter-batch-create", args=[template.pk]),
                               {"targets": [t.pk for t in targets], "sender_name": sender})
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = LetterBatch.objects.latest("pk")
    assert response["Location"] == batch.get_absolute_url()
    return batch


def written(batch):
    build_letter_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "ready", batch.error
    return batch


@pytest.fixture
def batch(client_for, campaigner, template, letter_campaign, django_capture_on_commit_callbacks,
          own_private_storage):
    return written(generate(client_for(campaigner), template, letter_campaign.targets,
                            django_capture_on_commit_callbacks))


def download(client, letter, kind):
    response = client.get(reverse("letter-download", args=[letter.pk, kind]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


#
# Templates refused on save
#


def save_page(client, campaign, **fields):
    data = {"name": "Letter", "language": "en", "subject": "About {{ institution }}", "body": "Dear {{ institution }}"}
    return client.post(reverse("letter-template-create", args=[campaign.pk]), {**data, **fields})


def test_it_refuses_an_unknown_field_with_its_name_and_line(client_for, campaigner, letter_campaign):
    response = save_page(client_for(campaigner), letter_campaign.campaign,
                         body="Dear {{ institution }},\n\nWe ask:\n{{ signature }}")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 4: “signature” is not a merge field." in page
    assert not LetterTemplate.objects.exists()


def test_it_refuses_a_syntax_error_with_its_line(client_for, campaigner, letter_campaign):
    response = save_page(client_for(campaigner), letter_campaign.campaign,
                         body="Dear {{ institution }},\n{% for item in evidence %}\n{{ item.title }}")
    assert response.status_code == 400
    assert "the template cannot be read" in response.content.decode()
    assert not LetterTemplate.objects.exists()


@pytest.mark.parametrize("body, message", [
    ("{{ ''.__class__ }}", "“.__class__” can only follow a loop's item"),
    ("{{ ask.__class__.__mro__ }}", "“.__mro__” can only follow a loop's item"),
    ("{% for e in evidence %}{{ e.__class__ }}{% endfor %}", "“e.__class__” is not a merge field"),
    ("{{ ask.upper() }}", "calling a function is not allowed"),
    ("{{ cycler.__init__.__globals__ }}", "“.__globals__” can only follow a loop's item"),
    ("{% import 'base.html' as base %}", "importing another template is not allowed"),
    ("{% include 'base.html' %}", "including another template is not allowed"),
    ("{{ evidence[0] }}", "reading an item with [ ] is not allowed"),
    ("{{ ask|attr('__class__') }}", "the filter “attr” is not allowed"),
    ("{% set x = 1 %}", "setting variables is not allowed"),
])
def test_it_refuses_unsafe_constructs_on_save(client_for, campaigner, letter_campaign, body, message):
    response = save_page(client_for(campaigner), letter_campaign.campaign, body=f"Hello\n{body}")
    assert response.status_code == 400
    assert f"Line 2: {message}" in html.unescape(response.content.decode())
    assert not LetterTemplate.objects.exists()


def test_it_refuses_an_unknown_field_in_the_subject_too(client_for, campaigner, letter_campaign):
    response = save_page(client_for(campaigner), letter_campaign.campaign, subject="To {{ minister }}")
    assert response.status_code == 400
    assert "Line 1: “minister” is not a merge field." in response.content.decode()


def test_it_saves_and_edits_a_template_with_an_audit_row(client_for, campaigner, letter_campaign):
    client = client_for(campaigner)
    assert save_page(client, letter_campaign.campaign, body=BODY).status_code == 302
    template = LetterTemplate.objects.get()
    response = client.post(reverse("letter-template-edit", args=[template.pk]),
                           {"name": "Renamed", "language": "zh-hans", "subject": "致{{ institution }}", "body": BODY})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.language) == ("Renamed", "zh-hans")
    actions = list(AuditEntry.objects.filter(object_type="campaigns.LetterTemplate").values_list("action", flat=True))
    assert sorted(actions) == ["letter_template.created", "letter_template.updated"]


def test_the_sandbox_stops_a_template_that_reached_the_database_unchecked(
        campaigner, letter_campaign, own_private_storage):
    """A template written around the service (the admin, an import) still cannot reach Python objects."""
    batch = LetterBatch.objects.create(group=letter_campaign.campaign.group, campaign=letter_campaign.campaign,
                                       language="en", subject="Hi", sender_name="Carol", requested_by=campaigner,
                                       body="{{ ask.__class__.__mro__[1].__subclasses__() }}")
    Letter.objects.create(batch=batch, target=letter_campaign.hik)
    build_letter_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "access to attribute '__class__' of 'str' object is unsafe" in batch.error
    assert not Letter.objects.get(batch=batch).pdf_file


#
# Writing the letters
#


def test_it_writes_one_letter_per_target_as_pdf_and_docx_and_a_zip(client_for, campaigner, batch, letter_campaign):
    client = client_for(campaigner)
    letters = list(batch.letters.select_related("target__institution"))
    assert {letter.target for letter in letters} == set(letter_campaign.targets)
    assert batch.progress_done == batch.progress_total == 4
    page = client.get(batch.get_absolute_url()).content.decode()
    for letter in letters:
        assert letter.target.institution.name in page
        pdf, docx = download(client, letter, "pdf"), download(client, letter, "docx")
        assert pdf.startswith(b"%PDF") and docx.startswith(b"PK")
        text, word = pdf_text(pdf), docx_text(docx)
        name = letter.target.institution.name
        for body in (text, word):
            assert f"Dear {name}" in body and letter.target.ask in body
            assert "Smart classroom in Hangzhou" in body and "Hangzhou Daily report" in body
            assert "Carol for Alpha Watch" in body and "Alpha Watch" in body
        assert letter.subject == f"No emotion recognition in classrooms: our ask to {name}"
        assert "https://news.example.org/hangzhou" in docx_links(docx)
    response = client.get(reverse("letter-batch-download", args=[batch.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == sorted(
        f"letter-{batch.pk}-{letter.target.institution.slug}.{kind}" for letter in letters for kind in ("pdf", "docx"))


def test_a_letter_carries_nothing_the_outward_policy_withholds(client_for, campaigner, batch):
    client = client_for(campaigner)
    for letter in batch.letters.all():
        for text in (pdf_text(download(client, letter, "pdf")), docx_text(download(client, letter, "docx"))):
            for marker in ("PROTECTEDSOURCEMARK", "TRANSLATORNAMEMARK", "DRAFTTITLEMARK", "PROTECTEDRECORDMARK",
                           "BETASHAREDMARK", "secret.example.org", campaigner.username, "/evidence/"):
                assert marker not in text, marker


def test_it_writes_chinese_letters(client_for, campaigner, letter_campaign, django_capture_on_commit_callbacks,
                                   own_private_storage):
    client = client_for(campaigner)
    template = services.save_template(
        letter_campaign.campaign, actor=campaigner, name="中文信", language="zh-hans",
        subject="致{{ institution_zh }}的信",
        body="尊敬的{{ institution_zh }}：\n\n我们请求贵方停止使用情绪识别。\n\n{{ sender }}，{{ date }}")
    batch = written(generate(client, template, [letter_campaign.hik], django_capture_on_commit_callbacks,
                             sender="卡罗尔"))
    letter = batch.letters.get()
    text = pdf_text(download(client, letter, "pdf")).replace(" ", "").replace("\n", "")
    assert "尊敬的海康威视" in text and "我们请求贵方停止使用情绪识别" in text and "卡罗尔" in text
    assert "年" in text and "月" in text  # the date in Chinese
    assert "尊敬的海康威视" in docx_text(download(client, letter, "docx"))
    assert letter.subject == "致海康威视的信"


def test_running_the_task_again_changes_nothing(client_for, campaigner, batch):
    files = {letter.pk: (letter.pdf_file, letter.docx_file) for letter in batch.letters.all()}
    assert build_letter_batch(batch.pk) is None
    batch.refresh_from_db()
    assert batch.status == "ready"
    assert files == {letter.pk: (letter.pdf_file, letter.docx_file) for letter in batch.letters.all()}


def test_a_run_after_a_crash_starts_again_and_leaves_no_old_files(batch, own_private_storage):
    from tests.conftest import stored_names

    before = set(stored_names(own_private_storage))
    # The worker died mid-run: the message comes back and a new run claims the row again.
    LetterBatch.objects.filter(pk=batch.pk).update(status="running", claim="dead-run")
    written(batch)
    after = set(stored_names(own_private_storage))
    # Three PDFs, three DOCX, one ZIP: the old ones were replaced, not kept beside the new ones.
    assert len(after) == len(before) == 7
    assert not after & before  # each run writes under its own claim's folder


def test_a_failed_batch_says_why_and_can_be_retried(client_for, campaigner, template, letter_campaign,
                                                    django_capture_on_commit_callbacks, own_private_storage,
                                                    monkeypatch):
    from campaigns.letters import build

    client = client_for(campaigner)
    batch = generate(client, template, [letter_campaign.hik], django_capture_on_commit_callbacks)

    def broken(*args, **kwargs):
        raise RuntimeError("typst exploded")

    monkeypatch.setattr(build, "render_pdfs", broken)
    build_letter_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed" and "typst exploded" in batch.error
    assert "typst exploded" in client.get(batch.get_absolute_url()).content.decode()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks():
        assert client.post(reverse("letter-batch-retry", args=[batch.pk])).status_code == 302
    written(batch)


#
# Marking them sent
#


def test_marking_the_batch_sent_logs_a_letter_on_each_target_and_moves_the_early_ones(
        client_for, campaigner, batch, letter_campaign):
    client = client_for(campaigner)
    response = client.post(reverse("letter-batch-mark-sent", args=[batch.pk]))
    assert response.status_code == 302
    interactions = Interaction.objects.filter(target__in=letter_campaign.targets)
    assert interactions.count() == 3
    for interaction in interactions:
        assert (interaction.kind, interaction.direction) == ("letter", "sent")
        attachment = InteractionAttachment.objects.get(interaction=interaction)
        assert attachment.content_type == "application/pdf"
    statuses = {t.pk: t.status for t in (letter_campaign.hik, letter_campaign.dah, letter_campaign.han)}
    for target in letter_campaign.targets:
        target.refresh_from_db()
    assert letter_campaign.hik.status == letter_campaign.dah.status == "contacted"
    assert letter_campaign.han.status == statuses[letter_campaign.han.pk] == "in_dialogue"
    assert AuditEntry.objects.filter(action="target.advanced").count() == 2
    assert AuditEntry.objects.filter(action="letters.sent").count() == 3
    assert all(letter.sent_at and letter.interaction_id for letter in batch.letters.all())
    # Marking again logs nothing twice.
    client.post(reverse("letter-batch-mark-sent", args=[batch.pk]))
    assert interactions.count() == 3


def test_single_letters_can_be_marked_sent(client_for, campaigner, batch, letter_campaign):
    letter = batch.letters.get(target=letter_campaign.dah)
    client_for(campaigner).post(reverse("letter-batch-mark-sent", args=[batch.pk]), {"letter": [letter.pk]})
    assert list(Interaction.objects.values_list("target_id", flat=True)) == [letter_campaign.dah.pk]


#
# Roles and isolation
#


def test_another_group_gets_404_for_every_letter_page(client_for, outsider, batch, template):
    client = client_for(outsider)
    letter = batch.letters.first()
    for url in (reverse("letters-home", args=[template.campaign_id]),
                reverse("letter-template-create", args=[template.campaign_id]),
                reverse("letter-template-edit", args=[template.pk]),
                reverse("letter-batch-create", args=[template.pk]),
                batch.get_absolute_url(),
                reverse("letter-batch-download", args=[batch.pk]),
                reverse("letter-download", args=[letter.pk, "pdf"]),
                reverse("letter-download", args=[letter.pk, "docx"])):
        assert client.get(url).status_code == 404, url
    for url in (reverse("letter-batch-retry", args=[batch.pk]), reverse("letter-batch-mark-sent", args=[batch.pk])):
        assert client.post(url).status_code == 404, url
    assert not Interaction.objects.exists()


def test_a_viewer_and_a_volunteer_may_not_write_letters(client_for, viewer, volunteer, batch, template):
    for user in (viewer, volunteer):
        client = client_for(user)
        assert client.get(reverse("letter-template-edit", args=[template.pk])).status_code == 403
        assert client.get(batch.get_absolute_url()).status_code == 403
        assert client.post(reverse("letter-batch-mark-sent", args=[batch.pk])).status_code == 403


def test_a_target_of_another_group_can_never_be_put_in_a_batch(client_for, campaigner, template, other_group,
                                                               django_capture_on_commit_callbacks):
    foreign = TargetFactory(campaign=CampaignFactory(group=other_group))
    other_campaign_same_group = TargetFactory(campaign=CampaignFactory(group=template.campaign.group))
    for target in (foreign, other_campaign_same_group):
        with django_capture_on_commit_callbacks():
            response = client_for(campaigner).post(reverse("letter-batch-create", args=[template.pk]),
                                                   {"targets": [target.pk], "sender_name": "Carol"})
        assert response.status_code == 400
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            services.request_letters(template, actor=campaigner, targets=[target], sender_name="Carol")
    assert not LetterBatch.objects.exists()


def test_the_sender_is_asked_for(client_for, campaigner, template, letter_campaign):
    response = client_for(campaigner).post(reverse("letter-batch-create", args=[template.pk]),
                                           {"targets": [letter_campaign.hik.pk], "sender_name": "   "})
    assert response.status_code == 400
    assert not LetterBatch.objects.exists()


#
# Sending by e-mail
#


@pytest.fixture
def addresses(monkeypatch, letter_campaign):
    """Hikvision and Dahua have a contact address (the mailbox part adds them to targets); Hanwang has none."""
    from campaigns.letters import email

    known = {letter_campaign.hik.pk: "press@hikvision.example", letter_campaign.dah.pk: "office@dahua.example"}
    monkeypatch.setattr(email, "contact_address_for", lambda target: known.get(target.pk))
    return known


def test_it_emails_each_letter_to_its_own_target_alone_and_lists_those_without_an_address(
        client_for, campaigner, batch, letter_campaign, addresses, mailoutbox):
    response = client_for(campaigner).post(reverse("letter-batch-email", args=[batch.pk]), follow=True)
    page = html.unescape(response.content.decode())
    assert "2 letters e-mailed" in page and "Not e-mailed, for want of a contact address: Hanwang Letters." in page
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        letter = batch.letters.get(emailed_to=message.to[0])
        assert message.to == [addresses[letter.target_id]] and not message.cc and not message.bcc
        assert message.extra_headers["Message-ID"] == letter.email_message_id
        assert letter.email_message_id.startswith("<") and letter.email_message_id.endswith(">")
        assert message.reply_to == []  # reply_to_for answers None until the group's mailbox is wired in
        (name, content, kind), = message.attachments
        assert kind == "application/pdf" and content.startswith(b"%PDF")
        assert letter.target.institution.name in pdf_text(content)
        other = [a for pk, a in addresses.items() if pk != letter.target_id]
        assert not any(address in str(message.message()) for address in other)
    assert Interaction.objects.filter(kind="letter", direction="sent").count() == 2
    # Again: nothing is sent twice.
    client_for(campaigner).post(reverse("letter-batch-email", args=[batch.pk]))
    assert len(mailoutbox) == 2


def test_a_message_that_cannot_be_sent_leaves_the_letter_unsent(client_for, campaigner, batch, addresses,
                                                                monkeypatch, mailoutbox):
    from django.core.mail import EmailMessage

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    from campaigns.letters.email import email_letters

    with pytest.raises(ConnectionRefusedError):
        email_letters(batch, actor=campaigner)
    response = client_for(campaigner).post(reverse("letter-batch-email", args=[batch.pk]), follow=True)
    assert "The mail server could not be reached" in response.content.decode()
    assert not batch.letters.filter(emailed_at__isnull=False).exists()
    assert not Interaction.objects.exists()


def test_a_letter_lists_the_evidence_marked_key_against_its_target_first(group, campaigner, letter_campaign):
    from django.utils import timezone

    from campaigns.letters.context import letter_context
    from campaigns.models import TargetEvidence

    later = EvidenceRecordFactory(group=group, title="Tender for emotion cameras, linked last", status="verified")
    TargetEvidenceFactory(target=letter_campaign.hik, record=later)
    TargetEvidence.objects.filter(target=letter_campaign.hik, record__title="Smart classroom in Hangzhou").update(
        key=True)

    def titles():
        context = letter_context(letter_campaign.hik, user=campaigner, group=group, sender="Carol", language="en",
                                 today=timezone.localdate())
        return [item["title"] for item in context["evidence"]]

    assert titles() == ["Smart classroom in Hangzhou", "Tender for emotion cameras, linked last"]
    TargetEvidence.objects.filter(target=letter_campaign.hik).update(key=False)
    assert titles() == ["Tender for emotion cameras, linked last", "Smart classroom in Hangzhou"]


def test_an_emailed_letter_goes_to_the_targets_contact_and_asks_replies_into_the_groups_mailbox(
        client_for, campaigner, group, batch, letter_campaign, mailoutbox):
    from campaigns.mailbox.models import Mailbox
    from campaigns.reply_tokens import reply_address

    Mailbox.objects.create(group=group, host="imap.alpha.example", username="alpha",
                           password_encrypted="unused here", address="replies@alpha.example")
    hik = letter_campaign.hik
    hik.contact_emails = "press@hikvision.example\nceo@hikvision.example"
    hik.save(update_fields=["contact_emails"])

    client_for(campaigner).post(reverse("letter-batch-email", args=[batch.pk]))

    [message] = mailoutbox  # the other two targets have no contact address
    assert message.to == ["press@hikvision.example"]
    assert message.reply_to == [reply_address("replies@alpha.example", hik.pk)]
    letter = batch.letters.get(target=hik)
    # The interaction it logged carries the Message-ID, so a reply quoting it is filed on Hikvision.
    assert letter.interaction.email_message_id == letter.email_message_id == message.extra_headers["Message-ID"]
