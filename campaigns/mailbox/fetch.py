"""
One fetch of a group's mailbox, run by the worker from a MailFetch row's id (campaigns.mailbox.tasks).

Each message is taken in its own transaction, which also moves the mailbox's `last_uid` past it: a run that dies
halfway has filed the messages before and none after, and the next run starts where it stopped. The unique keys of
InboundMessage (the UID within the mailbox's UIDVALIDITY, and the Message-ID) make a message taken twice (a
UIDVALIDITY that changed, a copy in the folder) a no-op. Nothing on the server is changed (BODY.PEEK).

A message whose structure is broken fails the fetch with the reason, and the next fetch tries it again (a
passing fault of the server reads the same); after MALFORMED_ATTEMPTS fetches it is kept in triage as unreadable,
with its raw text, so that one bad message does not stop the mailbox for good.
"""

import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_noop

from accounts.jobs import ClaimLost, Progress
from accounts.stored_text import stored
from campaigns.mailbox import client, secrets
from campaigns.mailbox.filing import file_on_target
from campaigns.mailbox.matching import match
from campaigns.mailbox.models import InboundMessage, Mailbox, MailFetch
from campaigns.mailbox.parsing import MalformedMessage, ParsedMessage, parse

MALFORMED_ATTEMPTS = 3


class _Malformed(Exception):
    def __init__(self, uid, reason):
        self.uid, self.reason = uid, reason
        super().__init__(f"UID {uid}: {reason}")


def run_fetch(fetch_id, *, on_message=None):
    """Run the fetch `fetch_id` (safe to run twice: a finished or failed fetch is left alone)."""
    token = MailFetch.claim_for_run(fetch_id, gave_up=stored(gettext_noop(
        "The fetch was stopped several times before it finished (its worker died).")))
    if token is None:
        return None
    fetch = MailFetch.objects.select_related("mailbox__group").get(pk=fetch_id)
    mailbox = fetch.mailbox
    counts = {InboundMessage.Status.FILED: 0, InboundMessage.Status.TRIAGE: 0}
    try:
        password = secrets.decrypt(mailbox.password_encrypted)
        with client.connect(host=mailbox.host, port=mailbox.port, username=mailbox.username, password=password,
                            folder=mailbox.folder) as connection:
            if mailbox.uid_validity != connection.uid_validity:
                # A new UIDVALIDITY numbers the folder afresh: read it all again; Message-IDs keep what was filed.
                Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=connection.uid_validity, last_uid=0)
                mailbox.uid_validity, mailbox.last_uid = connection.uid_validity, 0
            uids = connection.uids_after(mailbox.last_uid)[:settings.MAILBOX_FETCH_BATCH]
            progress = Progress(MailFetch, fetch_id, token, len(uids), on_step=on_message)
            for uid in uids:
                status = _take(mailbox, connection, uid)
                if status in counts:
                    counts[status] += 1
                progress.step(uid)
    except ClaimLost:
        return None
    except client.MailboxError as exc:
        MailFetch.fail(fetch_id, exc.stored, token=token)
        return None
    except secrets.KeyMissing as exc:
        MailFetch.fail(fetch_id, stored(gettext_noop("The mailbox password cannot be read: %(error)s"), error=exc),
                       token=token)
        return None
    except _Malformed as exc:
        MailFetch.fail(fetch_id, stored(gettext_noop("Message %(uid)s in the mailbox could not be read (%(error)s); "
                                                     "the next fetch tries it again."),
                                        uid=exc.uid, error=exc.reason), token=token)
        return None
    MailFetch.finish(fetch_id, token, filed_count=counts[InboundMessage.Status.FILED],
                     triaged_count=counts[InboundMessage.Status.TRIAGE])
    return counts


def _take(mailbox, connection, uid):
    """Fetch, file or triage message `uid`, and move the mailbox past it; returns the message's status."""
    size = connection.size(uid)
    too_large = size is not None and size > settings.MAILBOX_MESSAGE_MAX_BYTES
    raw = connection.fetch(uid, headers_only=too_large)
    if raw is None:  # deleted between the search and the fetch: nothing to file
        _advance(mailbox, uid)
        return None
    unreadable = None
    try:
        parsed = parse(raw, headers_only=too_large)
    except MalformedMessage as exc:
        if _note_malformed(mailbox, uid) < MALFORMED_ATTEMPTS:
            raise _Malformed(uid, str(exc)) from exc
        unreadable = str(exc)
        parsed = ParsedMessage(body=raw[:20_000].decode("utf-8", "replace"))
    refused = []
    if too_large:
        refused.append({"name": "(message)", "reason": f"The message is {size} bytes, above the limit of "
                                                       f"{settings.MAILBOX_MESSAGE_MAX_BYTES}; only its headers "
                                                       f"were fetched."})
    if unreadable:
        refused.append({"name": "(message)", "reason": f"The message could not be read ({unreadable})."})
    name = f"{uuid.uuid4().hex}.eml"
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if locked.uid_validity != mailbox.uid_validity or locked.last_uid >= uid:
            return None  # another run took it
        known = InboundMessage.objects.filter(mailbox=mailbox, uid_validity=mailbox.uid_validity, uid=uid)
        if parsed.message_id:
            known = known | InboundMessage.objects.filter(mailbox=mailbox, message_id=parsed.message_id)
        if known.exists():
            _advance(locked, uid)
            return None
        inbound = InboundMessage(
            group_id=mailbox.group_id, mailbox=mailbox, uid_validity=mailbox.uid_validity, uid=uid,
            message_id=parsed.message_id, sender=parsed.sender, subject=parsed.subject, sent_at=parsed.sent_at,
            body=parsed.body[:200_000], refused_attachments=refused, status=InboundMessage.Status.TRIAGE)
        inbound.raw.save(name, ContentFile(raw), save=False)
        try:
            inbound.save()
            found = match(mailbox, parsed) if not unreadable else None
            if found is not None and found.target is not None:
                file_on_target(inbound, found.target, parsed, actor=None, matched_by=found.matched_by)
            elif found is not None:
                inbound.candidates.set(found.targets)
            _advance(locked, uid)
        except BaseException:
            inbound.raw.delete(save=False)
            raise
    return inbound.status


def _advance(mailbox, uid):
    Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid, stuck_uid=None, stuck_attempts=0)
    mailbox.last_uid = max(mailbox.last_uid, uid)


def _note_malformed(mailbox, uid):
    """Count one more fetch that could not read message `uid`; returns how many have."""
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        locked.stuck_attempts = locked.stuck_attempts + 1 if locked.stuck_uid == uid else 1
        locked.stuck_uid = uid
        locked.save(update_fields=["stuck_uid", "stuck_attempts"])
    return locked.stuck_attempts
