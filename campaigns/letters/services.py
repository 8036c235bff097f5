"""
The verbs of letters: save a template (checked before it is saved), ask for a batch of letters, retry it, and mark
letters sent. Each checks the actor's role (campaigners write letters: Action.MANAGE_CAMPAIGNS) and writes its
history row in the same transaction; marking sent goes through the campaigns' own interaction verb, which logs the
letter on the target with its file and moves the target on.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_change, record_diff
from accounts.files import private_storage
from accounts.permissions import Action, ensure_can
from campaigns.letters.merge import check_template
from campaigns.letters.models import Letter, LetterBatch, LetterTemplate
from campaigns.letters.tasks import build_letter_batch
from campaigns.models import Interaction, Target

TEMPLATE_FIELDS = ("name", "language", "subject", "body")
# Sending a letter to a target that has not been contacted yet moves it to "contacted"; later statuses stay.
MOVES_ON_SENDING = frozenset({Target.Status.IDENTIFIED, Target.Status.RESEARCHED})
# The most targets one batch writes to (a campaign with more sends several batches).
MAX_TARGETS_PER_BATCH = 500


@transaction.atomic
def save_template(campaign, *, actor, template=None, **fields):
    """Create a template of `campaign`, or change `template`; refused, with each problem's line, before saving."""
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, campaign.group)
    before = None
    if template is None:
        template = LetterTemplate(campaign=campaign, created_by=actor)
    else:
        template = LetterTemplate.objects.select_for_update().get(pk=template.pk, campaign=campaign)
        before = template.to_dict()
    for key, value in fields.items():
        setattr(template, key, value)
    template.full_clean(exclude=["campaign", "created_by"])
    check_template(subject=template.subject, body=template.body)
    template.save()
    record_diff(actor=actor, obj=template, action="letter_template.created" if before is None
                else "letter_template.updated", before=before)
    return template


@transaction.atomic
def request_letters(template, *, actor, targets, sender_name):
    """
    Queue a batch of letters from `template`, one to each of `targets` (targets of the template's campaign the
    actor can see; any other is refused). Returns the LetterBatch; the worker writes the letters.
    """
    campaign = template.campaign
    group = campaign.group
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, group)
    sender_name = " ".join((sender_name or "").split())
    if not sender_name:
        raise ValidationError({"sender_name": _("Say whose name the letters are signed with.")})
    pks = {target.pk for target in targets}
    if not pks:
        raise ValidationError({"targets": _("Choose at least one target.")})
    if len(pks) > MAX_TARGETS_PER_BATCH:
        raise ValidationError({"targets": _("Write to at most %(count)s targets at a time.")
                               % {"count": MAX_TARGETS_PER_BATCH}})
    chosen = list(Target.objects.visible_to(actor).filter(campaign=campaign, pk__in=pks))
    if len(chosen) != len(pks):
        raise ValidationError({"targets": _("Choose targets of this campaign.")})
    check_template(subject=template.subject, body=template.body)
    batch = LetterBatch.objects.create(
        group=group, campaign=campaign, template=template, language=template.language, subject=template.subject,
        body=template.body, sender_name=sender_name, requested_by=actor)
    Letter.objects.bulk_create([Letter(batch=batch, target=target) for target in sorted(chosen, key=lambda t: t.pk)])
    record_diff(actor=actor, obj=batch, action="letters.requested", before=None)
    batch.enqueue(build_letter_batch)
    return batch


@transaction.atomic
def retry_batch(batch, *, actor):
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, batch.group)
    if not batch.retry(build_letter_batch):
        raise ValidationError(_("Only letters that failed can be written again."))
    record_change(actor=actor, obj=batch, action="letters.retried")
    return batch


def mark_sent(batch, *, actor, letters=None):
    """
    Mark the batch's letters (or the given ones of it) sent: each is logged on its target as a sent letter with its
    PDF attached, and moves an identified or researched target to contacted. A letter already sent, or not yet
    written, is left alone. One transaction per letter, so the files of one letter are never left half-logged.
    Returns the letters marked now.
    """
    ensure_can(actor, Action.MANAGE_CAMPAIGNS, batch.group)
    if batch.status != LetterBatch.Status.READY:
        raise ValidationError(_("These letters are not written yet."))
    chosen = batch.letters.filter(sent_at__isnull=True).exclude(pdf_file="").select_related("target__institution")
    if letters is not None:
        chosen = chosen.filter(pk__in=[letter.pk for letter in letters])
    marked = []
    for letter in chosen:
        with transaction.atomic():
            marked.append(mark_one_sent(letter, actor=actor, batch=batch))
    return marked


def mark_one_sent(letter, *, actor, batch):
    """Mark one letter sent; the caller holds the transaction (mark_sent, or e-mailing it)."""
    from campaigns.services import log_interaction

    letter = Letter.objects.select_for_update().select_related("target__institution").get(pk=letter.pk)
    if letter.sent_at is not None:
        return letter
    with private_storage().open(letter.pdf_file, "rb") as handle:
        pdf = ContentFile(handle.read(), name=letter.file_name("pdf"))
    target = letter.target
    move_to = Target.Status.CONTACTED if target.status in MOVES_ON_SENDING else ""
    interaction = log_interaction(
        target, actor=actor, kind=Interaction.Kind.LETTER, direction=Interaction.Direction.SENT,
        occurred_on=timezone.localdate(), summary=_("Letter: %(subject)s") % {"subject": letter.subject},
        files=[pdf], move_to=move_to, note=_("Letter sent") if move_to else "")
    if letter.email_message_id:
        # A reply quoting it (In-Reply-To, References) is filed on this target by the group's mailbox.
        Interaction.objects.filter(pk=interaction.pk).update(email_message_id=letter.email_message_id)
    letter.sent_at, letter.interaction = timezone.now(), interaction
    letter.save(update_fields=["sent_at", "interaction"])
    record_change(actor=actor, obj=batch, action="letters.sent",
                  after={"letter": letter.pk, "target": target.pk, "interaction": interaction.pk})
    return letter
