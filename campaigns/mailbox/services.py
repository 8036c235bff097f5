"""
The mailbox's verbs: connect (or change) and disconnect a group's mailbox, which coordinators do; fetch it now;
and file or discard a message waiting in triage, which campaigners do. Each checks the actor's role and writes the
group's audit row in its transaction.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import record_change, record_diff
from accounts.permissions import Action, ensure_can
from campaigns.mailbox import client, secrets
from campaigns.mailbox.filing import file_on_target
from campaigns.mailbox.models import InboundMessage, Mailbox, MailFetch
from campaigns.mailbox.parsing import MalformedMessage, ParsedMessage, parse
from campaigns.mailbox.tasks import fetch_mailbox
from campaigns.models import Target

MAILBOX_FIELDS = ("host", "port", "username", "folder", "address")


def connect_mailbox(group, *, actor, password="", **fields):
    """
    Connect `group`'s mailbox, or change it; an empty `password` keeps the stored one. The connection is tried
    first (login and folder): a refusal, a timeout or a TLS failure is a ValidationError saying which.
    """
    ensure_can(actor, Action.MANAGE_MEMBERS, group)
    problem = secrets.key_problem()
    if problem:
        raise ValidationError(_("Mailboxes are unavailable on this site: %(problem)s") % {"problem": problem})
    current = Mailbox.objects.filter(group=group).first()
    if not password:
        if current is None:
            raise ValidationError({"password": _("Enter the mailbox's password.")})
        try:
            password = secrets.decrypt(current.password_encrypted)
        except secrets.KeyMissing as exc:
            raise ValidationError({"password": str(exc)}) from exc
    try:
        client.check(password=password, **{name: fields[name] for name in ("host", "port", "username", "folder")})
    except client.MailboxError as exc:
        raise ValidationError(_("The mailbox could not be opened: %(error)s") % {"error": exc}) from exc
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().filter(group=group).first() or Mailbox(group=group)
        before = mailbox.to_dict() if mailbox.pk else None
        moved = mailbox.pk and any(getattr(mailbox, name) != fields[name] for name in ("host", "username", "folder"))
        for name in MAILBOX_FIELDS:
            setattr(mailbox, name, fields[name])
        if moved:  # another folder numbers its messages afresh; Message-IDs keep what was filed from being filed again
            mailbox.uid_validity, mailbox.last_uid = None, 0
        mailbox.password_encrypted = secrets.encrypt(password)
        mailbox.connected_by = actor
        mailbox.full_clean(exclude=["group", "connected_by", "password_encrypted"])
        mailbox.save()
        record_diff(actor=actor, obj=mailbox, action="mailbox.connected", before=before)
    return mailbox


@transaction.atomic
def disconnect_mailbox(mailbox, *, actor):
    """Forget the mailbox's connection and password; the messages already filed stay on their targets."""
    ensure_can(actor, Action.MANAGE_MEMBERS, mailbox.group)
    record_change(actor=actor, obj=mailbox, action="mailbox.disconnected", before=mailbox.to_dict())
    mailbox.delete()


@transaction.atomic
def request_fetch(mailbox, *, actor):
    """Fetch the mailbox now (coordinators); the same as the periodic fetch. Returns the MailFetch."""
    ensure_can(actor, Action.MANAGE_MEMBERS, mailbox.group)
    mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if MailFetch.objects.filter(mailbox=mailbox, status__in=MailFetch.active_statuses()).exists():
        raise ValidationError(_("A fetch of this mailbox is already under way."))
    fetch = MailFetch.objects.create(mailbox=mailbox, requested_by=actor)
    fetch.enqueue(fetch_mailbox)
    return fetch


def _parsed_again(inbound):
    """The message read again from its raw copy; its stored text only, if it cannot be read (or was too large)."""
    if inbound.raw and not inbound.refused_attachments:
        try:
            with inbound.raw.open("rb") as handle:
                return parse(handle.read())
        except (MalformedMessage, FileNotFoundError):
            pass
    return ParsedMessage(message_id=inbound.message_id, sender=inbound.sender, subject=inbound.subject,
                         sent_at=inbound.sent_at, body=inbound.body)


def _in_triage(inbound):
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.status != InboundMessage.Status.TRIAGE:
        raise ValidationError(_("This message was already filed or discarded."))
    return locked


@transaction.atomic
def file_message(inbound, *, actor, target):
    """File a message from triage on `target`, one of the group's targets (campaigners)."""
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, inbound.group)
    inbound = _in_triage(inbound)
    target = Target.objects.select_related("campaign").filter(
        pk=target.pk, campaign__group=inbound.group_id).first()
    if target is None:
        raise ValidationError({"target": _("Choose one of this group's targets.")})
    return file_on_target(inbound, target, _parsed_again(inbound), actor=actor,
                          matched_by=InboundMessage.MatchedBy.PERSON)


@transaction.atomic
def discard_message(inbound, *, actor):
    """Discard a message from triage (campaigners): its text and raw copy are removed; its IDs stay, so it is not
    fetched again."""
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, inbound.group)
    inbound = _in_triage(inbound)
    record_change(actor=actor, obj=inbound, action="mailbox.message_discarded", before=inbound.to_dict())
    raw = inbound.raw.name
    inbound.status, inbound.handled_by, inbound.body, inbound.raw = InboundMessage.Status.DISCARDED, actor, "", ""
    inbound.save(update_fields=["status", "handled_by", "body", "raw"])
    inbound.candidates.clear()
    if raw:
        storage = inbound.raw.storage
        transaction.on_commit(lambda: storage.delete(raw))
    return inbound
