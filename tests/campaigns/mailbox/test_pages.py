"""The mailbox's pages: connecting it (coordinators), the inbox and triage (campaigners), and who sees what."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from campaigns.mailbox import secrets
from campaigns.mailbox.models import InboundMessage, Mailbox
from campaigns.models import Interaction, InteractionAttachment, Target
from tests.campaigns.mailbox.test_fetch import PDF, message, with_attachments
from tests.factories import InstitutionFactory, TargetFactory


def connect(client, group, **fields):
    return client.post(reverse("mailbox-settings", args=[group.slug]), fields)


def test_it_connects_a_mailbox_after_testing_it_and_never_shows_the_password(client_for, coordinator, group,
                                                                             imap_folder):
    client = client_for(coordinator)
    fields = imap_folder.fields()

    response = connect(client, group, **fields)

    assert response.status_code == 302
    mailbox = Mailbox.objects.get(group=group)
    assert fields["password"] not in mailbox.password_encrypted
    assert secrets.decrypt(mailbox.password_encrypted) == fields["password"]
    page = client.get(reverse("mailbox-settings", args=[group.slug])).content.decode()
    assert fields["password"] not in page and mailbox.password_encrypted not in page
    assert "A password is set" in page
    entry = AuditEntry.objects.get(action="mailbox.connected")
    assert "password" not in str(entry.after)

    # Saved again with the password left empty: the stored one is kept (and tested again).
    assert connect(client, group, **{**fields, "password": "", "address": "letters@alpha.example"}).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.address == "letters@alpha.example" and secrets.decrypt(mailbox.password_encrypted) == fields[
        "password"]


@pytest.mark.parametrize(("change", "says"), [
    ({"password": "wrong"}, "refused the login of replies"),
    ({"folder": "Nowhere"}, "The folder “Nowhere” could not be opened"),
    ({"port": "1"}, "Could not connect to 127.0.0.1:1"),
])
def test_a_connection_that_fails_is_not_saved_and_says_why(client_for, coordinator, group, imap_folder, mail_settings,
                                                           change, says):
    mail_settings.MAILBOX_TIMEOUT_SECONDS = 20  # Dovecot delays the next login after a refused one

    response = connect(client_for(coordinator), group, **imap_folder.fields(**change))

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Mailbox.objects.exists()


def test_an_untrusted_certificate_is_refused_on_save(client_for, coordinator, group, imap_folder, mail_settings):
    mail_settings.MAILBOX_TLS_CA_FILE = ""

    response = connect(client_for(coordinator), group, **imap_folder.fields())

    assert response.status_code == 400
    assert "TLS certificate of 127.0.0.1 could not be verified" in response.content.decode()


def test_a_private_address_is_refused_outside_tests(client_for, coordinator, group, imap_folder, mail_settings):
    mail_settings.MAILBOX_ALLOW_PRIVATE_HOSTS = False

    response = connect(client_for(coordinator), group, **imap_folder.fields())

    assert response.status_code == 400 and "private network address" in response.content.decode()


def test_without_the_key_the_page_says_mailboxes_are_unavailable(client_for, coordinator, group, settings):
    settings.MAILBOX_ENCRYPTION_KEY = ""
    client = client_for(coordinator)

    page = client.get(reverse("mailbox-settings", args=[group.slug])).content.decode()

    assert "Mailboxes are unavailable on this site" in page and "MAILBOX_ENCRYPTION_KEY" in page
    response = connect(client, group, host="imap.example.org", port="993", username="u", password="p",
                       folder="INBOX", address="a@example.org")
    assert response.status_code == 400 and not Mailbox.objects.exists()


def test_bad_input_re_renders_with_errors(client_for, coordinator, group, mail_settings):
    response = connect(client_for(coordinator), group, host="", port="99999999999", username="u", password="",
                       folder="INBOX", address="not an address")

    assert response.status_code == 400
    form = response.context["form"]
    assert {"host", "port", "password", "address"} <= set(form.errors)


def test_the_campaign_list_links_the_inbox_for_those_who_run_campaigns(client_for, group, campaigner, volunteer):
    inbox = reverse("mailbox-inbox", args=[group.slug])
    assert inbox in client_for(campaigner).get(reverse("campaign-list")).content.decode()
    assert inbox not in client_for(volunteer).get(reverse("campaign-list")).content.decode()


def test_only_coordinators_connect_and_only_campaigners_triage(client_for, group, campaigner, volunteer, viewer):
    for person in (campaigner, volunteer, viewer):
        assert client_for(person).get(reverse("mailbox-settings", args=[group.slug])).status_code == 403
    assert client_for(campaigner).get(reverse("mailbox-inbox", args=[group.slug])).status_code == 200
    for person in (volunteer, viewer):
        assert client_for(person).get(reverse("mailbox-inbox", args=[group.slug])).status_code == 403


@pytest.fixture
def waiting(connected, imap_folder, campaign, fetch_cycle):
    """A message in triage: it matched no target."""
    imap_folder.deliver(with_attachments(("answer.pdf", "application/pdf", PDF), message_id="<triage@m>",
                                         body="Which of your campaigns is this about?"))
    fetch_cycle()
    return InboundMessage.objects.get()


def test_a_campaigner_files_a_message_from_triage_with_its_attachments(client_for, campaigner, group, waiting,
                                                                       campaign):
    target = TargetFactory(campaign=campaign, institution=InstitutionFactory(name="Ministry of Education"))
    client = client_for(campaigner)
    inbox = client.get(reverse("mailbox-inbox", args=[group.slug])).content.decode()
    assert "Re: files" in inbox
    detail = client.get(waiting.get_absolute_url()).content.decode()
    assert "Which of your campaigns is this about?" in detail

    response = client.post(reverse("inbound-message-file", args=[waiting.pk]), {"target": target.pk})

    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()
    [reply] = Interaction.objects.filter(target=target)
    assert reply.created_by == campaigner and "Which of your campaigns" in reply.summary
    assert InteractionAttachment.objects.get(interaction=reply).original_name == "answer.pdf"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.matched_by) == ("filed", "person")
    # Filed once: a second try is refused and files nothing.
    again = client.post(reverse("inbound-message-file", args=[waiting.pk]), {"target": target.pk})
    assert again.status_code == 400 and Interaction.objects.count() == 1


def test_a_message_cannot_be_filed_on_another_groups_target(client_for, campaigner, waiting, other_group):
    from tests.factories import CampaignFactory

    theirs = TargetFactory(campaign=CampaignFactory(group=other_group))

    response = client_for(campaigner).post(reverse("inbound-message-file", args=[waiting.pk]), {"target": theirs.pk})

    assert response.status_code == 400 and not Interaction.objects.exists()


def test_a_campaigner_discards_a_message(client_for, campaigner, group, waiting):
    client = client_for(campaigner)

    response = client.post(reverse("inbound-message-discard", args=[waiting.pk]))

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == "discarded" and waiting.body == "" and not waiting.raw
    assert "Re: files" not in client.get(reverse("mailbox-inbox", args=[group.slug])).content.decode()


def test_a_filed_reply_proposes_the_move_and_the_campaigner_confirms_it(client_for, campaigner, group, connected,
                                                                         imap_folder, campaign, fetch_cycle):
    ministry = TargetFactory(campaign=campaign, status=Target.Status.CONTACTED,
                             contact_emails="press@ministry.example")
    imap_folder.deliver(message())
    fetch_cycle()
    reply = Interaction.objects.get()
    client = client_for(campaigner)

    inbox = client.get(reverse("mailbox-inbox", args=[group.slug])).content.decode()
    assert "Contacted → In dialogue?" in inbox

    response = client.post(reverse("target-advance", args=[ministry.pk]),
                           {"to_status": Target.Status.IN_DIALOGUE, "interaction": reply.pk})

    assert response.status_code == 302
    ministry.refresh_from_db()
    assert ministry.status == Target.Status.IN_DIALOGUE
    assert ministry.stance_changes.get().interaction == reply


def test_the_target_form_edits_contact_addresses(client_for, campaigner, campaign):
    target = TargetFactory(campaign=campaign)
    client = client_for(campaigner)
    data = {"ask": target.ask, "priority": target.priority, "owner": "", "next_step": "", "next_step_due": ""}

    bad = client.post(reverse("target-edit", args=[target.pk]), {**data, "contact_emails": "press@x.example, nope"})
    assert bad.status_code == 400 and "“nope” is not an e-mail address." in bad.content.decode()

    ok = client.post(reverse("target-edit", args=[target.pk]),
                     {**data, "contact_emails": "press@x.example, Info@X.example"})
    assert ok.status_code == 302
    target.refresh_from_db()
    assert target.contact_addresses == {"press@x.example", "info@x.example"}


def test_other_groups_and_viewers_never_see_triaged_text(client_for, outsider, viewer, group, other_group, waiting):
    assert client_for(outsider).get(waiting.get_absolute_url()).status_code == 404
    assert client_for(outsider).get(reverse("mailbox-inbox", args=[group.slug])).status_code == 404
    own_inbox = client_for(outsider).get(reverse("mailbox-inbox", args=[other_group.slug])).content.decode()
    assert "Re: files" not in own_inbox
    assert client_for(viewer).get(waiting.get_absolute_url()).status_code == 403
