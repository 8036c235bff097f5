"""Files added to evidence records, checked (evidence.attachments) and stored (accounts.files) before they are kept."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change
from accounts.files import store
from accounts.permissions import Action, ensure_can
from evidence.attachments import check_upload
from evidence.models import Attachment, EvidenceRecord
from evidence.near_duplicates import near_duplicates
from evidence.similar import BAND_FIELDS, IMAGE_TYPES, bands, perceptual_hash


def add_attachment(record, *, actor, uploaded_file):
    """
    Store a checked file in private storage and attach it to a record of the actor's group. A refused file is
    never written; a file written for a row that then fails is removed again. The returned attachment's
    `duplicates` lists the group's attachments with the same content, and `near_duplicates` the group's pictures
    that look like it (evidence/similar.py), each as (Hamming distance, attachment or capture file).
    """
    ensure_can(actor, Action.LOG_EVIDENCE, record.group)
    if record.status == EvidenceRecord.Status.VERIFIED:
        raise ValidationError(_("A verified record is reopened before files are added to it."))
    checked = check_upload(uploaded_file)
    phash = perceptual_hash(uploaded_file) if checked.content_type in IMAGE_TYPES else ""
    [attachment] = store(
        Attachment, [(uploaded_file, checked)], actor=actor, group=record.group, record=record,
        phash=phash, **dict(zip(BAND_FIELDS, bands(phash) if phash else [None] * len(BAND_FIELDS), strict=True)),
        audit=lambda attachment: record_change(actor=actor, obj=record, action="evidence.attachment_added",
                                               after={"attachment": checked.display_name, "sha256": checked.sha256}),
    )
    attachment.duplicates = list(
        Attachment.objects.filter(group=record.group, sha256=checked.sha256).exclude(pk=attachment.pk)
        .select_related("record")
    )
    exact = {other.pk for other in attachment.duplicates}
    attachment.near_duplicates = [
        (gap, row) for gap, row in near_duplicates(record.group, phash, exclude=[attachment])
        if not (isinstance(row, Attachment) and row.pk in exact)  # already said: the same file
    ]
    return attachment
