"""
Which target of the mailbox's group a message is about, tried in this order, the first rule that finds any target
deciding:
1. the token in the address it was sent to (`box+TOKEN@host`, campaigns/reply_tokens.py);
2. the letter it answers: its In-Reply-To or References against the Message-ID of an interaction sent by e-mail;
3. the sender among the targets' contact addresses.
One target: the message is filed there. Several (or none): it waits in triage with them as candidates.
Only the group's own targets are ever candidates.
"""

from dataclasses import dataclass

from campaigns.mailbox.models import InboundMessage
from campaigns.models import Interaction, Target
from campaigns.reply_tokens import reply_token


@dataclass
class Match:
    targets: list
    matched_by: str = ""

    @property
    def target(self):
        return self.targets[0] if len(self.targets) == 1 else None


def _tokens(recipients, mailbox_address):
    """The tokens in the recipients that are the mailbox's own address with a +token."""
    local, _, domain = mailbox_address.lower().partition("@")
    found = set()
    for address in recipients:
        address_local, _, address_domain = address.partition("@")
        base, plus, token = address_local.partition("+")
        if plus and token and base == local and address_domain == domain:
            found.add(token)
    return found


def match(mailbox, parsed):
    """The Match of a ParsedMessage among the targets of the mailbox's group."""
    targets = Target.objects.filter(campaign__group=mailbox.group_id).select_related("institution", "campaign")
    tokens = _tokens(parsed.recipients, mailbox.address)
    if tokens:
        by_token = [target for target in targets if reply_token(target.pk) in tokens]
        if by_token:
            return Match(by_token, InboundMessage.MatchedBy.TOKEN)
    if parsed.answers:
        ids = [variant for value in parsed.answers for variant in (value, f"<{value}>")]
        answered = (Interaction.objects.filter(target__campaign__group=mailbox.group_id, email_message_id__in=ids)
                    .values("target"))
        by_thread = list(targets.filter(pk__in=answered))
        if by_thread:
            return Match(by_thread, InboundMessage.MatchedBy.THREAD)
    if parsed.sender_address:
        by_sender = [target for target in targets.exclude(contact_emails="")
                     .filter(contact_emails__icontains=parsed.sender_address)
                     if parsed.sender_address in target.contact_addresses]
        if by_sender:
            return Match(by_sender, InboundMessage.MatchedBy.SENDER)
    return Match([])
