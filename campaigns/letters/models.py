"""
Letters from templates: a campaign's letter templates, the batches of letters generated from one for some of its
targets (the batch is the job: accounts.jobs.Job), and each target's letter in a batch, with its files and whether
it was sent. Imported by campaigns/models.py, so Django finds them in the campaigns app.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.jobs import Job
from accounts.models import LONG_TEXT_MAX_LENGTH
from accounts.scoping import GroupScopedQuerySet

LANGUAGES = [("en", _("English")), ("zh-hans", _("简体中文 (Simplified Chinese)"))]


class LetterTemplate(models.Model):
    """A letter a campaign sends to many targets: its language, subject and body, with merge fields (merge.py)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="letter_templates")
    name = models.CharField(_("name"), max_length=200, help_text=_("For you: which letter this is."))
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGES, default="en")
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), max_length=LONG_TEXT_MAX_LENGTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "campaign__group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("letter-template-edit", args=[self.pk])

    def to_dict(self):
        return {"name": self.name, "language": self.language, "subject": self.subject, "body": self.body}


class LetterBatch(Job):
    """
    Letters from one template to some of a campaign's targets, one per target, as PDF and DOCX and one ZIP of
    them all. The row is the job (campaigns.letters.build); it keeps the template's text as it was when asked for,
    so that editing the template later does not change letters already generated.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Being written")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    SUCCEEDED = Status.READY
    job_kind = "letters"

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="letter_batches")
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="letter_batches")
    template = models.ForeignKey(LetterTemplate, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="batches")
    language = models.CharField(max_length=10, choices=LANGUAGES)
    subject = models.CharField(max_length=300)
    body = models.TextField(max_length=LONG_TEXT_MAX_LENGTH)
    sender_name = models.CharField(_("sender"), max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    zip_file = models.CharField(max_length=300, blank=True, help_text=_("Its name in private storage, once ready"))

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("letter batches")

    def __str__(self):
        return f"Letters {self.pk}: {self.subject}"

    def get_absolute_url(self):
        return reverse("letter-batch-detail", args=[self.pk])

    @property
    def retry_url(self):
        return reverse("letter-batch-retry", args=[self.pk])

    def to_dict(self):
        return {"campaign": self.campaign_id, "template": self.template_id, "language": self.language,
                "subject": self.subject, "sender_name": self.sender_name,
                "targets": sorted(letter.target_id for letter in self.letters.all())}


class Letter(models.Model):
    """One target's letter in a batch: its subject, its PDF and DOCX once written, and when it was sent."""

    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="letters")
    target = models.ForeignKey("campaigns.Target", on_delete=models.CASCADE, related_name="letters")
    subject = models.CharField(max_length=300, blank=True)
    # Names in private storage (accounts.files.private_storage, read when used, as for packs), once written.
    pdf_file = models.CharField(max_length=300, blank=True)
    docx_file = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    interaction = models.ForeignKey("campaigns.Interaction", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    # Set when the letter was e-mailed from the site: the message's id (replies quote it) and where it went.
    email_message_id = models.CharField(max_length=300, blank=True, db_index=True)
    emailed_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    scope_path = "batch__group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["target__priority", "target__institution__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["batch", "target"], name="one_letter_per_target_and_batch")]

    def __str__(self):
        return f"Letter {self.pk} to target {self.target_id}"

    def file_name(self, extension):
        return f"letter-{self.batch_id}-{self.target.institution.slug}.{extension}"
