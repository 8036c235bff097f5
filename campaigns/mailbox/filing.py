"""
Filing a message on a target: a received interaction with the message's text, and its attachments through the
same content checks as every upload (evidence.attachments.check_upload). A refused attachment (too large, active
content, a type not taken) is left out and named with the reason; the rest of the message is still filed.

Filing never moves the target's status: `proposed_status` says which move the reply suggests, and a campaigner
makes it through the usual stance-change verb (campaigns.services.advance_target).
"""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.audit import record_change
from accounts.files import store
from accounts.models import LONG_TEXT_MAX_LENGTH
from campaigns.mailbox.models import InboundMessage
from campaigns.models import Interaction, InteractionAttachment, Target
from evidence.attachments import check_upload

# A reply to a target that was only being approached suggests a conversation has started; decisive moves
# (committed, refused …) are never suggested: they need a person to read the reply and cite it.
PROPOSALS = {
    Target.Status.IDENTIFIED: Target.Status.IN_DIALOGUE,
    Target.Status.RESEARCHED: Target.Status.IN_DIALOGUE,
    Target.Status.CONTACTED: Target.Status.IN_DIALOGUE,
    Target.Status.NO_RESPONSE: Target.Status.IN_DIALOGUE,
}


def proposed_status(target):
    """The status a reply on `target` suggests moving it to, or None."""
    return PROPOSALS.get(target.status)


def _summary(parsed, refused):
    parts = [parsed.subject, parsed.body]
    if refused:
        parts.append("\n".join(f"[Attachment refused: {item['name']}: {item['reason']}]" for item in refused))
    text = "\n\n".join(part for part in parts if part).strip() or "(no text)"
    return text[:LONG_TEXT_MAX_LENGTH]


def _checked_attachments(attachments):
    """(accepted pairs for accounts.files.store, refused [{"name", "reason"}])."""
    accepted, refused = [], []
    for attachment in attachments:
        upload = SimpleUploadedFile(attachment.name, attachment.content)
        try:
            accepted.append((upload, check_upload(upload)))
        except ValidationError as exc:
            refused.append({"name": attachment.name[:150], "reason": " ".join(str(m) for m in exc.messages)[:500]})
    return accepted, refused


def file_on_target(inbound, target, parsed, *, actor, matched_by):
    """
    File `inbound` (a fetched message, read as `parsed`) on `target` as a received interaction. The caller holds
    the transaction and has checked that `target` is of the message's group. Returns the interaction.
    """
    assert target.campaign.group_id == inbound.group_id
    accepted, refused = _checked_attachments(parsed.attachments)
    refused = inbound.refused_attachments + refused
    today = timezone.localdate()
    occurred_on = min(timezone.localdate(parsed.sent_at), today) if parsed.sent_at else today
    interaction = Interaction.objects.create(
        target=target, kind=Interaction.Kind.REPLY if parsed.is_reply else Interaction.Kind.EMAIL,
        direction=Interaction.Direction.RECEIVED, occurred_on=occurred_on, summary=_summary(parsed, refused),
        created_by=actor)
    inbound.status, inbound.matched_by, inbound.interaction = InboundMessage.Status.FILED, matched_by, interaction
    inbound.refused_attachments, inbound.handled_by = refused, actor
    inbound.save(update_fields=["status", "matched_by", "interaction", "refused_attachments", "handled_by"])
    inbound.candidates.clear()
    record_change(actor=actor, obj=target, action="interaction.filed_from_mailbox",
                  after={"interaction": interaction.pk, "message": inbound.pk, "matched_by": matched_by,
                         "message_id": inbound.message_id, **interaction.to_dict(),
                         "refused_attachments": [item["name"] for item in refused]})

    def audit(attachment):
        record_change(actor=actor, obj=target, action="interaction.attachment_added",
                      after={"interaction": interaction.pk, "attachment": attachment.original_name,
                             "sha256": attachment.sha256})

    # Last, so that nothing after it can roll the rows back and leave the stored files behind.
    store(InteractionAttachment, accepted, actor=actor, audit=audit, group=target.campaign.group,
          interaction=interaction)
    return interaction
