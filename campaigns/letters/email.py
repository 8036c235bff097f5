"""
Sending a batch's letters by e-mail (optional: the site's EMAIL_URL): one message per target, to that target's
contact address alone (never another target's, never in copy), with the letter's PDF attached and a Message-ID
(email.utils.make_msgid) kept on the letter, so that a reply quoting it finds its target. A target with no
contact address is skipped and listed. A letter e-mailed is also marked sent (services.mark_sent's verb).
"""

from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_change
from accounts.files import private_storage
from accounts.permissions import Action, ensure_can
from campaigns.letters.models import Letter, LetterBatch
from campaigns.reply_tokens import reply_address


def contact_address_for(target):
    """The address a target's letter is e-mailed to: the first of its contact addresses, or None."""
    return next((a for a in target.contact_emails.replace(",", " ").split() if "@" in a), None)


def reply_to_for(target):
    """
    The Reply-To of a target's letter: the group's mailbox address with the target's token (campaigns.reply_tokens),
    so that the mailbox files the reply on this target; None when the group has connected no mailbox.
    """
    from campaigns.mailbox.models import Mailbox

    mailbox = Mailbox.objects.filter(group_id=target.campaign.group_id).only("address").first()
    return reply_address(mailbox.address, target.pk) if mailbox and mailbox.address else None


def _domain():
    return settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"


@dataclass
class EmailOutcome:
    sent: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # targets with no contact address


def email_letters(batch, *, actor):
    """E-mail each unsent letter of a ready batch to its target's contact address; returns an EmailOutcome."""
    from campaigns.letters.services import mark_one_sent

    ensure_can(actor, Action.MANAGE_CAMPAIGNS, batch.group)
    if batch.status != LetterBatch.Status.READY:
        raise ValidationError(_("These letters are not written yet."))
    outcome = EmailOutcome()
    letters = batch.letters.filter(sent_at__isnull=True, emailed_at__isnull=True).exclude(pdf_file="")
    for letter in letters.select_related("target__institution"):
        address = contact_address_for(letter.target)
        if not address:
            outcome.skipped.append(letter.target)
            continue
        with transaction.atomic():
            # Claimed under a lock: two clicks, or two people, never send one letter twice.
            letter = (Letter.objects.select_for_update().select_related("target__institution", "target__campaign")
                      .get(pk=letter.pk))
            if letter.emailed_at is not None or letter.sent_at is not None:
                continue
            message_id = make_msgid(domain=_domain())
            reply_to = reply_to_for(letter.target)
            message = EmailMessage(
                subject=letter.subject, body=_("Please find our letter attached."), to=[address],
                reply_to=[reply_to] if reply_to else None, headers={"Message-ID": message_id})
            with private_storage().open(letter.pdf_file, "rb") as handle:
                message.attach(letter.file_name("pdf"), handle.read(), "application/pdf")
            letter.email_message_id, letter.emailed_to, letter.emailed_at = message_id, address, timezone.now()
            letter.save(update_fields=["email_message_id", "emailed_to", "emailed_at"])
            record_change(actor=actor, obj=batch, action="letters.emailed",
                          after={"letter": letter.pk, "target": letter.target_id, "to": address,
                                 "message_id": message_id})
            mark_one_sent(letter, actor=actor, batch=batch)
            # Last: a message that cannot be sent rolls the letter's rows back, so it is tried again next time.
            message.send()
        outcome.sent.append(letter)
    return outcome
