"""Replies fetched from a real IMAP server (Dovecot, started by the test run) and filed on their targets."""

import socket
import threading

import pytest

from accounts.models import AuditEntry
from accounts.stored_text import in_english
from campaigns.mailbox import fetch as fetch_module
from campaigns.mailbox import secrets
from campaigns.mailbox.models import InboundMessage, Mailbox, MailFetch
from campaigns.models import Interaction, InteractionAttachment, Target
from campaigns.reply_tokens import reply_address
from tests.factories import InstitutionFactory, InteractionFactory, TargetFactory

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def message(*, to="replies@alpha.example", sender="Press Office <press@ministry.example>", subject="Re: Your letter",
            message_id="<reply-1@ministry.example>", body="We have received your letter.", headers=""):
    return (f"From: {sender}\nTo: {to}\nSubject: {subject}\nMessage-ID: {message_id}\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0000\n{headers}MIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n\n{body}\n")


def with_attachments(*parts, body="See attached.", message_id="<att-1@ministry.example>", to="replies@alpha.example"):
    lines = [f"From: press@ministry.example\nTo: {to}\nSubject: Re: files\nMessage-ID: {message_id}\n"
             "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n"
             f"--BOUNDARY\nContent-Type: text/plain\n\n{body}\n"]
    import base64
    for name, content_type, content in parts:
        encoded = base64.encodebytes(content).decode()
        lines.append(f"--BOUNDARY\nContent-Type: {content_type}\nContent-Disposition: attachment; filename=\"{name}\"\n"
                     f"Content-Transfer-Encoding: base64\n\n{encoded}")
    lines.append("--BOUNDARY--\n")
    return "".join(lines)


@pytest.fixture
def ministry(campaign):
    return TargetFactory(campaign=campaign, institution=InstitutionFactory(name="Ministry of Education"),
                         status=Target.Status.CONTACTED, contact_emails="press@ministry.example")


def test_it_files_a_reply_to_the_token_address_on_its_target(connected, imap_folder, ministry, target, fetch_cycle):
    imap_folder.deliver(message(to=reply_address(connected.address, target.pk), sender="someone@else.example"))

    [fetch] = fetch_cycle()

    assert fetch.status == MailFetch.Status.DONE and fetch.filed_count == 1
    [reply] = Interaction.objects.filter(target=target)
    assert reply.direction == Interaction.Direction.RECEIVED and reply.kind == Interaction.Kind.REPLY
    assert "We have received your letter." in reply.summary
    inbound = InboundMessage.objects.get()
    assert (inbound.status, inbound.matched_by, inbound.interaction) == ("filed", "token", reply)
    assert AuditEntry.objects.filter(action="interaction.filed_from_mailbox", group=target.campaign.group).exists()


def test_it_matches_the_thread_then_the_sender(connected, imap_folder, ministry, target, fetch_cycle):
    InteractionFactory(target=target, direction=Interaction.Direction.SENT, email_message_id="<letter-9@alpha.example>")
    imap_folder.deliver(message(message_id="<a@m>", headers="In-Reply-To: <letter-9@alpha.example>\n",
                                sender="press@ministry.example"))
    imap_folder.deliver(message(message_id="<b@m>", sender="Press <PRESS@ministry.example>", subject="Hello"))

    fetch_cycle()

    by_thread, by_sender = InboundMessage.objects.order_by("uid")
    assert (by_thread.matched_by, by_thread.interaction.target) == ("thread", target)
    assert (by_sender.matched_by, by_sender.interaction.target) == ("sender", ministry)
    assert by_sender.interaction.kind == Interaction.Kind.EMAIL


def test_filing_never_moves_the_status_itself(connected, imap_folder, ministry, fetch_cycle):
    imap_folder.deliver(message())

    fetch_cycle()

    ministry.refresh_from_db()
    assert ministry.status == Target.Status.CONTACTED
    assert not ministry.stance_changes.exists()


def test_unmatched_and_ambiguous_mail_waits_in_triage(connected, imap_folder, ministry, campaign, fetch_cycle):
    TargetFactory(campaign=campaign, contact_emails="shared@gov.example")
    TargetFactory(campaign=campaign, contact_emails="shared@gov.example\nother@gov.example")
    imap_folder.deliver(message(sender="nobody@nowhere.example", message_id="<u@x>"))
    imap_folder.deliver(message(sender="shared@gov.example", message_id="<s@x>"))

    [fetch] = fetch_cycle()

    assert fetch.triaged_count == 2 and fetch.filed_count == 0
    unmatched, ambiguous = InboundMessage.objects.order_by("uid")
    assert unmatched.status == ambiguous.status == InboundMessage.Status.TRIAGE
    assert unmatched.candidates.count() == 0 and ambiguous.candidates.count() == 2
    assert not Interaction.objects.exists()


def test_it_never_matches_another_groups_target(connected, imap_folder, other_group, fetch_cycle):
    from tests.factories import CampaignFactory

    theirs = TargetFactory(campaign=CampaignFactory(group=other_group), contact_emails="press@ministry.example")
    imap_folder.deliver(message(to=reply_address(connected.address, theirs.pk)))

    fetch_cycle()

    assert InboundMessage.objects.get().status == InboundMessage.Status.TRIAGE
    assert not Interaction.objects.filter(target=theirs).exists()


def test_each_message_is_filed_once_across_fetches(connected, imap_folder, ministry, fetch_cycle):
    imap_folder.deliver(message(message_id="<one@m>"))
    fetch_cycle()
    imap_folder.deliver(message(message_id="<two@m>"))
    imap_folder.deliver(message(message_id="<one@m>", subject="the same message, copied"))

    fetch_cycle()
    # The folder read again from the start (as after a new UIDVALIDITY): nothing is filed twice.
    Mailbox.objects.filter(pk=connected.pk).update(last_uid=0)
    fetch_cycle()

    assert Interaction.objects.filter(target=ministry).count() == 2
    assert InboundMessage.objects.count() == 2


def test_a_crash_mid_fetch_loses_and_duplicates_nothing(connected, imap_folder, ministry, fetch_cycle, monkeypatch):
    for number in range(3):
        imap_folder.deliver(message(message_id=f"<crash-{number}@m>", body=f"Reply number {number}"))
    taken = fetch_module._take
    calls = []

    def crash_on_the_second(mailbox, connection, uid):
        calls.append(uid)
        if len(calls) == 2:
            raise SystemExit("the worker was killed")
        return taken(mailbox, connection, uid)

    monkeypatch.setattr(fetch_module, "_take", crash_on_the_second)
    with pytest.raises(SystemExit):
        fetch_cycle()
    assert Interaction.objects.count() == 1
    monkeypatch.setattr(fetch_module, "_take", taken)

    # The killed run's message comes back to a worker (late acknowledgement) and runs again.
    fetch = MailFetch.objects.get()
    assert fetch.status == MailFetch.Status.RUNNING
    fetch_module.run_fetch(fetch.pk)

    assert sorted(Interaction.objects.values_list("summary", flat=True)) == [
        f"Re: Your letter\n\nReply number {number}" for number in range(3)]
    assert MailFetch.objects.get().status == MailFetch.Status.DONE


def test_attachments_pass_the_upload_checks_and_a_refused_one_is_named(connected, imap_folder, ministry, settings,
                                                                       fetch_cycle):
    settings.ATTACHMENT_MAX_BYTES = 10_000
    imap_folder.deliver(with_attachments(
        ("answer.pdf", "application/pdf", PDF),
        ("page.html", "text/html", b"<script>alert(1)</script>"),
        ("huge.txt", "text/plain", b"x" * 20_000),
    ))

    fetch_cycle()

    [reply] = Interaction.objects.filter(target=ministry)
    assert [a.original_name for a in InteractionAttachment.objects.filter(interaction=reply)] == ["answer.pdf"]
    inbound = InboundMessage.objects.get()
    assert [item["name"] for item in inbound.refused_attachments] == ["page.html", "huge.txt"]
    assert "page.html" in reply.summary and "huge.txt" in reply.summary and "See attached." in reply.summary


def test_a_huge_message_is_filed_with_its_headers_and_a_note(connected, imap_folder, ministry, mail_settings,
                                                             fetch_cycle):
    mail_settings.MAILBOX_MESSAGE_MAX_BYTES = 5_000
    imap_folder.deliver(with_attachments(("big.txt", "text/plain", b"y" * 20_000), body="Too much."))

    [fetch] = fetch_cycle()

    assert fetch.status == MailFetch.Status.DONE, in_english(fetch.error)
    [reply] = Interaction.objects.filter(target=ministry)
    assert "Re: files" in reply.summary and "only its headers were fetched" in reply.summary
    assert not InteractionAttachment.objects.exists()


def test_the_periodic_job_queues_one_fetch_per_mailbox_and_none_while_one_is_under_way(connected, fetch_cycle):
    from campaigns.mailbox.tasks import queue_fetches

    assert queue_fetches() == 1
    assert queue_fetches() == 0
    assert MailFetch.objects.filter(status=MailFetch.Status.QUEUED).count() == 1


def test_html_mail_is_filed_as_text(connected, imap_folder, ministry, fetch_cycle):
    imap_folder.deliver("From: press@ministry.example\nTo: replies@alpha.example\nSubject: html\n"
                        "Message-ID: <h@m>\nMIME-Version: 1.0\nContent-Type: text/html\n\n"
                        "<html><head><script>steal()</script></head><body><p>We <b>decline</b>.</p>"
                        "<img src=\"https://tracker.example/pixel\"></body></html>\n")

    fetch_cycle()

    summary = Interaction.objects.get().summary
    assert "We decline." in summary
    assert "<" not in summary and "steal" not in summary and "tracker" not in summary


def test_a_refused_login_fails_the_fetch_with_the_reason_and_the_next_one_files(connected, imap_folder, ministry,
                                                                              fetch_cycle, mail_settings):
    # Dovecot makes the next login from this address wait a few seconds after a refused one (its auth penalty).
    mail_settings.MAILBOX_TIMEOUT_SECONDS = 20
    imap_folder.deliver(message())
    Mailbox.objects.filter(pk=connected.pk).update(password_encrypted=secrets.encrypt("wrong"))

    [failed] = fetch_cycle()

    assert failed.status == MailFetch.Status.FAILED
    assert "refused the login of replies" in in_english(failed.error)
    assert not Interaction.objects.exists()

    Mailbox.objects.filter(pk=connected.pk).update(password_encrypted=secrets.encrypt(imap_folder.server.password))
    [retried] = fetch_cycle()
    assert retried.status == MailFetch.Status.DONE, in_english(retried.error)
    assert retried.status == MailFetch.Status.DONE and Interaction.objects.count() == 1


@pytest.fixture
def silent_server():
    """A server that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    for connection, _ in accepted:
        connection.close()
    listener.close()


def test_a_mailbox_that_times_out_fails_the_fetch(connected, silent_server, mail_settings, fetch_cycle):
    mail_settings.MAILBOX_TIMEOUT_SECONDS = 1
    Mailbox.objects.filter(pk=connected.pk).update(port=silent_server)

    [failed] = fetch_cycle()

    assert failed.status == MailFetch.Status.FAILED
    assert "did not answer within 1 seconds" in in_english(failed.error)


def test_an_untrusted_certificate_fails_the_fetch(connected, mail_settings, fetch_cycle):
    mail_settings.MAILBOX_TLS_CA_FILE = ""

    [failed] = fetch_cycle()

    assert failed.status == MailFetch.Status.FAILED
    assert "TLS certificate of 127.0.0.1 could not be verified" in in_english(failed.error)


def test_malformed_mime_fails_the_fetch_then_is_kept_in_triage(connected, imap_folder, ministry, fetch_cycle):
    imap_folder.deliver(message(message_id="<good-1@m>"))
    imap_folder.deliver("From: press@ministry.example\nTo: replies@alpha.example\nSubject: broken\n"
                        "Message-ID: <broken@m>\nMIME-Version: 1.0\n"
                        "Content-Type: multipart/mixed; boundary=\"NEVER\"\n\nno parts here at all\n")
    imap_folder.deliver(message(message_id="<good-2@m>"))

    [first] = fetch_cycle()

    assert first.status == MailFetch.Status.FAILED
    assert "could not be read (StartBoundaryNotFoundDefect)" in in_english(first.error)
    assert Interaction.objects.count() == 1  # the message before it is filed, none after

    second, third = fetch_cycle()[0], fetch_cycle()[0]
    assert second.status == MailFetch.Status.FAILED and third.status == MailFetch.Status.DONE
    # Kept, readable by a person, and the mailbox moved on: each message filed once.
    broken = InboundMessage.objects.get(subject="")
    assert broken.status == InboundMessage.Status.TRIAGE and "no parts here at all" in broken.body
    assert Interaction.objects.count() == 2
    fetch_cycle()
    assert Interaction.objects.count() == 2 and InboundMessage.objects.count() == 3
