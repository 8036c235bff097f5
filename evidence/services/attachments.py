"""Files added to evidence records, checked (evidence.attachments) and stored (accounts.files) before they are kept."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change
from accounts.files import store
from accounts.permissions import Action, ensure_can
from evidence.attachments import check_upload
from evidence.models import Attachment, EvidenceRecord


def add_attachment(record, *, actor, uploaded_file):
    """
    Store a checked file in private storage and attach it to a record of the actor's group. A refused file is
    never written; a file written for a row that then fails is removed again. The returned attachment's
    `duplicates` lists the group's attachments with the same content.
    """
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    if record.status == EvidenceRecord.Status.VERIFIED:
        raise ValidationError(_("A verified record is reopened before files are added to it."))
    checked = check_upload(uploaded_file)
    [attachment] = store(
        Attachment, [(uploaded_file, checked)], actor=actor, group=record.group, record=record,
        audit=lambda attachment: record_change(actor=actor, obj=record, action="evidence.attachment_added",
                                               after={"attachment": checked.display_name, "sha256": checked.sha256}),
    )
    attachment.duplicates = list(
        Attachment.objects.filter(group=record.group, sha256=checked.sha256).exclude(pk=attachment.pk)
        .select_related("record")
    )
    return attachment
