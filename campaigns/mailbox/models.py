"""The group mailbox's rows: the connection, each fetch (a job) and each message fetched, filed once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.files import private_storage
from accounts.jobs import Job
from accounts.scoping import GroupScopedQuerySet


class Mailbox(models.Model):
    """
    A group's IMAP mailbox (TLS only), where replies to its letters arrive. The password is kept encrypted
    (campaigns/mailbox/secrets.py) and never shown again. `uid_validity` and `last_uid` say how far it was read.
    """

    group = models.OneToOneField("accounts.Group", on_delete=models.CASCADE, related_name="mailbox")
    host = models.CharField(_("IMAP server"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=993)
    username = models.CharField(_("user name"), max_length=254)
    password_encrypted = models.TextField(editable=False)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    address = models.EmailField(_("reply address"), help_text=_(
        "The address letters carry as Reply-To; each letter adds its target's token (name+token@domain)."))
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    # A message that could not be read, and how many fetches failed on it (campaigns/mailbox/fetch.py).
    stuck_uid = models.BigIntegerField(null=True, blank=True, editable=False)
    stuck_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                     related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    def __str__(self):
        return f"{self.username}@{self.host}/{self.folder}"

    def to_dict(self):
        # Never the password, not even encrypted.
        return {"host": self.host, "port": self.port, "username": self.username, "folder": self.folder,
                "address": self.address}


class MailFetch(Job):
    """One fetch of a group's mailbox: queued by the periodic task (or a coordinator), run by the worker."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    SUCCEEDED = Status.DONE
    job_kind = "mail-fetch"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="fetches")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    filed_count = models.PositiveIntegerField(default=0)
    triaged_count = models.PositiveIntegerField(default=0)

    scope_path = "mailbox__group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Fetch of {self.mailbox} ({self.status})"


class InboundMessage(models.Model):
    """
    A message fetched from a group's mailbox: filed on a target (as `interaction`), waiting in triage, or discarded.
    Filed exactly once: a mailbox keeps one row per UID (within its UIDVALIDITY) and one per Message-ID, so a fetch
    that crashed and runs again, or the same message copied twice, files nothing twice. The raw message stays in
    private storage, so a message in triage can still be filed with its attachments.
    """

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        TRIAGE = "triage", _("Waiting in triage")
        DISCARDED = "discarded", _("Discarded")

    class MatchedBy(models.TextChoices):
        TOKEN = "token", _("its reply address")
        THREAD = "thread", _("the letter it answers")
        SENDER = "sender", _("the sender's address")
        PERSON = "person", _("a campaigner")

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="inbound_messages")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="messages")
    uid_validity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=998, blank=True)
    sender = models.CharField(max_length=998, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    body = models.TextField(blank=True)
    # Attachments refused by the upload checks, and why: [{"name": ..., "reason": ...}].
    refused_attachments = models.JSONField(default=list, blank=True)
    raw = models.FileField(storage=private_storage, upload_to="campaigns/mailbox/%Y/%m/", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    matched_by = models.CharField(max_length=10, choices=MatchedBy.choices, blank=True)
    # In triage: the targets that matched equally (none if nothing matched).
    candidates = models.ManyToManyField("campaigns.Target", blank=True, related_name="+")
    interaction = models.OneToOneField("campaigns.Interaction", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="inbound_message")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    fetched_at = models.DateTimeField(auto_now_add=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-fetched_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "uid_validity", "uid"], name="one_inbound_message_per_uid"),
            models.UniqueConstraint(fields=["mailbox", "message_id"], condition=~Q(message_id=""),
                                    name="one_inbound_message_per_message_id"),
        ]

    def __str__(self):
        return self.subject[:100] or f"Message {self.uid}"

    def get_absolute_url(self):
        return reverse("inbound-message-detail", args=[self.pk])

    def to_dict(self):
        return {"message_id": self.message_id, "sender": self.sender, "subject": self.subject,
                "status": self.status, "matched_by": self.matched_by, "interaction": self.interaction_id}
