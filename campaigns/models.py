"""
Campaigns: a group's organised push for one or more of the report's recommendations, the institutions it targets,
what each of them said and did (stance changes and interactions), the asks sent to many at once, and the tasks
that keep the work moving. Everything here is private to the campaign's group.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import OneChoiceLabelTranslated
from accounts.files import StoredFile, private_storage
from accounts.jobs import Job
from accounts.models import LONG_TEXT_MAX_LENGTH, CommentBase
from accounts.scoping import GroupScopedQuerySet
from campaigns.querysets import (
    AskBatchQuerySet,
    CampaignQuerySet,
    InteractionQuerySet,
    TargetQuerySet,
    TaskQuerySet,
)


def _iso(value):
    return value.isoformat() if value else None


def _username(user):
    return user.username if user else None


#
# Campaigns
#


class Campaign(OneChoiceLabelTranslated, models.Model):
    """A group's campaign for the report's recommendation(s), with the institutions it targets."""

    class Status(models.TextChoices):
        PLANNING = "planning", _("Planning")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        WON = "won", _("Won")
        CLOSED = "closed", _("Closed")

    # Nobody is chased on behalf of a campaign that is over.
    FINISHED = frozenset({Status.WON, Status.CLOSED})

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="campaigns")
    title = models.CharField(max_length=200)
    goal = models.TextField(max_length=LONG_TEXT_MAX_LENGTH,
                            help_text=_("What the campaign wants to achieve, in a sentence or two."))
    recommendations = models.ManyToManyField("evidence.Recommendation", blank=True, related_name="campaigns")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNING, db_index=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    public_summary = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH,
                                      help_text=_("What the group may say about it in public."))
    # On the public scoreboard (campaigns.public) since then; None while it is not. Off until a coordinator
    # publishes it (campaigns/public/services.py).
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "group"
    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_it_starts",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign-detail", args=[self.pk])

    @property
    def is_published(self):
        return self.published_at is not None

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The campaign must end after it starts.")})

    def to_dict(self):
        return {
            "title": self.title, "goal": self.goal, "status": self.status, "starts_on": _iso(self.starts_on),
            "ends_on": _iso(self.ends_on), "lead": _username(self.lead), "public_summary": self.public_summary,
            "recommendations": sorted(r.code for r in self.recommendations.all()),
        }


class AskBatch(models.Model):
    """One ask sent to many institutions at once; its statistics say how many answered, on time, committed."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    title = models.CharField(max_length=200)
    ask = models.TextField(max_length=LONG_TEXT_MAX_LENGTH)
    sent_on = models.DateField(_("sent on"))
    reply_due = models.DateField(_("reply due"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "campaign__group"
    objects = AskBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_on", "-created_at", "-pk"]
        verbose_name = _("ask batch")
        verbose_name_plural = _("ask batches")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reply_due__isnull=True) | models.Q(reply_due__gte=models.F("sent_on")),
                name="batch_reply_due_after_sending",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("batch-detail", args=[self.pk])

    def to_dict(self):
        return {"title": self.title, "ask": self.ask, "sent_on": _iso(self.sent_on),
                "reply_due": _iso(self.reply_due)}


#
# Targets and what they said
#


class Target(OneChoiceLabelTranslated, models.Model):
    """An institution a campaign works on: the specific ask, where it stands, who follows it up and by when."""

    class Status(models.TextChoices):
        IDENTIFIED = "identified", _("Identified")
        RESEARCHED = "researched", _("Researched")
        CONTACTED = "contacted", _("Contacted")
        IN_DIALOGUE = "in_dialogue", _("In dialogue")
        COMMITTED = "committed", _("Committed")
        COMPLIED = "complied", _("Complied")
        REFUSED = "refused", _("Refused")
        NO_RESPONSE = "no_response", _("No response")
        BACKSLID = "backslid", _("Backslid")

    class Priority(models.IntegerChoices):
        HIGH = 1, _("High")
        MEDIUM = 2, _("Medium")
        LOW = 3, _("Low")

    # A claim about what an institution decided must point at what shows it: a reply, a statement, a record.
    NEEDS_JUSTIFICATION = frozenset({Status.COMMITTED, Status.COMPLIED, Status.REFUSED, Status.BACKSLID})
    # It did what was asked: it is not chased again (until it backslides).
    SETTLED = frozenset({Status.COMMITTED, Status.COMPLIED})

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    institution = models.ForeignKey("evidence.Institution", on_delete=models.PROTECT, related_name="targets")
    ask = models.TextField(max_length=LONG_TEXT_MAX_LENGTH, help_text=_("What this institution is asked to do."))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IDENTIFIED, db_index=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", help_text=_("Who follows this institution up."))
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due = models.DateField(_("next step due"), null=True, blank=True, db_index=True)
    batch = models.ForeignKey(AskBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="targets")
    # Where this institution writes from: mail from these addresses to the group's mailbox is filed on this target.
    contact_emails = models.TextField(
        _("contact e-mail addresses"), blank=True, max_length=2000,
        help_text=_("One address per line. Mail from these addresses to the group's mailbox is filed here."))
    evidence = models.ManyToManyField("evidence.EvidenceRecord", through="TargetEvidence", related_name="targets")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "campaign__group"
    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "institution__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "institution"], name="one_target_per_institution"),
        ]

    # What __str__ reads, for lists that name many targets at once (accounts.notifications.with_objects).
    str_related = ("institution", "campaign")

    def __str__(self):
        return f"{self.institution} in {self.campaign}" if self.institution_id else "New target"

    def get_absolute_url(self):
        return reverse("target-detail", args=[self.pk])

    @property
    def is_settled(self):
        return self.status in self.SETTLED

    @property
    def is_chased(self):
        """TargetQuerySet.chased()'s rule for a target already read: not settled, in a campaign still under way."""
        return not self.is_settled and self.campaign.status not in self.campaign.FINISHED

    def to_dict(self):
        return {
            "institution": self.institution.slug, "ask": self.ask, "status": self.status,
            "priority": self.priority, "owner": _username(self.owner), "next_step": self.next_step,
            "next_step_due": _iso(self.next_step_due), "batch": self.batch_id, "contact_emails": self.contact_emails,
        }

    @property
    def contact_addresses(self):
        """The contact e-mail addresses, lower-cased, one per line or separated by commas or spaces."""
        return {address.lower() for address in self.contact_emails.replace(",", " ").split() if "@" in address}


class TargetEvidence(models.Model):
    """An evidence record a campaign uses in its case against a target, and who added it when."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="evidence_links")
    record = models.ForeignKey("evidence.EvidenceRecord", on_delete=models.CASCADE, related_name="target_links")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    # Key evidence for this target: listed first in an outward briefing and, in letters to the target, as "the
    # target's key evidence". Per link, since a record can be key against one institution and minor for another.
    key = models.BooleanField(_("key evidence"), default=False)

    scope_path = "target__campaign__group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-added_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["target", "record"], name="one_link_per_target_and_record")]

    def __str__(self):
        return f"{self.record_id} for {self.target_id}"


class Interaction(OneChoiceLabelTranslated, models.Model):
    """A letter, e-mail, meeting, call, public statement or reply in the campaign's dealings with a target."""

    class Kind(models.TextChoices):
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        CALL = "call", _("Call")
        STATEMENT = "statement", _("Public statement")
        REPLY = "reply", _("Reply")

    class Direction(models.TextChoices):
        SENT = "sent", _("Sent (from us)")
        RECEIVED = "received", _("Received (from them)")

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    occurred_on = models.DateField(_("date"))
    summary = models.TextField(max_length=LONG_TEXT_MAX_LENGTH)
    outcome = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The Message-ID of the e-mail this was (a letter e-mailed from the site), so that a reply's In-Reply-To or
    # References finds its target (campaigns/mailbox/matching.py).
    email_message_id = models.CharField(max_length=998, blank=True, db_index=True, editable=False)

    scope_path = "target__campaign__group"
    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.direction} on {self.occurred_on}"

    def to_dict(self):
        return {"kind": self.kind, "direction": self.direction, "occurred_on": _iso(self.occurred_on),
                "summary": self.summary, "outcome": self.outcome}


def _keep_moves_citing_a_deleted_record(collector, field, sub_objs, using):
    """
    on_delete for a stance change's cited record: the move stays in the target's history, marked as citing a
    record its group has since deleted. The mark is written before the reference is cleared, so the database's
    "a decisive move cites something" rule holds at every statement.
    """
    collector.add_field_update(StanceChange._meta.get_field("cited_record_deleted"), True, sub_objs)
    collector.add_field_update(field, None, sub_objs)


class StanceChange(OneChoiceLabelTranslated, models.Model):
    """
    One move of a target along the pipeline: from what, to what, who moved it, when and why. A move to committed,
    complied, refused or backslid cites the interaction or evidence record that shows it (the database refuses
    one that does not).
    """

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="stance_changes")
    from_status = models.CharField(max_length=20, choices=Target.Status.choices)
    to_status = models.CharField(max_length=20, choices=Target.Status.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    note = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    interaction = models.ForeignKey(Interaction, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="stance_changes")
    # A group may delete its own record even when another group's move cites it (a record can endanger a source):
    # the move keeps its place and says the record it cited was deleted.
    evidence = models.ForeignKey("evidence.EvidenceRecord", on_delete=_keep_moves_citing_a_deleted_record,
                                 null=True, blank=True, related_name="stance_changes")
    cited_record_deleted = models.BooleanField(default=False, editable=False)

    scope_path = "target__campaign__group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["changed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(to_status__in=sorted(Target.NEEDS_JUSTIFICATION))
                | models.Q(interaction__isnull=False) | models.Q(evidence__isnull=False)
                | models.Q(cited_record_deleted=True),
                name="decisive_stance_changes_cite_a_justification",
            ),
        ]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"

    def clean(self):
        if self.to_status in Target.NEEDS_JUSTIFICATION and not (self.interaction_id or self.evidence_id):
            raise ValidationError({"justification": (
                _("A move to “%(status)s” must cite the interaction or evidence record that shows it.")
                % {"status": Target.Status(self.to_status).label})})
        if self.interaction_id and self.interaction.target_id != self.target_id:
            raise ValidationError({"interaction": _("Cite an interaction with this institution.")})


class InteractionAttachment(StoredFile):
    """A letter, reply or minutes file, in private storage, served only through a permission-checked view."""

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="interaction_attachments")
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to="campaigns/interactions/%Y/%m/")

    def get_absolute_url(self):
        return reverse("interaction-attachment-download", args=[self.pk])


#
# Tasks and reminders
#


class Task(models.Model):
    """A piece of work in a campaign, optionally about one target, with an assignee and a due date."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="tasks")
    target = models.ForeignKey(Target, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks")
    title = models.CharField(max_length=300)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "campaign__group"
    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = [models.F("due_on").asc(nulls_last=True), "created_at", "pk"]

    def __str__(self):
        return self.title

    @property
    def done(self):
        return self.done_at is not None

    def to_dict(self):
        return {"title": self.title, "target": self.target_id, "assignee": _username(self.assignee),
                "due_on": _iso(self.due_on), "done": self.done}


class DigestDelivery(models.Model):
    """
    That a user's daily digest of due work was sent on a day. The unique row is the claim: a second run of the
    digest the same day finds it and sends nothing. It holds no group data.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    item_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_on"]
        verbose_name_plural = _("digest deliveries")
        constraints = [models.UniqueConstraint(fields=["user", "sent_on"], name="one_digest_per_user_and_day")]

    def __str__(self):
        return f"Digest for {self.user} on {self.sent_on}"


#
# Briefing packs
#


class BriefingPack(OneChoiceLabelTranslated, Job):
    """
    A ZIP a coordinator asked for: the briefing of a campaign, a target, an institution or a saved evidence search
    as PDF and DOCX, its evidence and targets as CSV and XLSX, optionally the group's files, and a signed
    manifest. The row is the job (accounts.jobs.Job): the worker (campaigns.tasks.build_briefing_pack) claims it,
    reports progress on it and stores the file under `file_name` in private storage only once the whole ZIP is
    written.
    """

    class Scope(models.TextChoices):
        CAMPAIGN = "campaign", _("Campaign")
        TARGET = "target", _("Target")
        INSTITUTION = "institution", _("Institution")
        SEARCH = "search", _("Evidence search")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal (for the group)")
        OUTWARD = "outward", _("Outward (for a target, a ministry, the press)")

    class Language(models.TextChoices):
        EN = "en", _("English")
        ZH_HANS = "zh-hans", _("简体中文 (Simplified Chinese)")

    SUCCEEDED = Status.READY
    job_kind = "pack"

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="briefing_packs")
    scope = models.CharField(max_length=20, choices=Scope.choices)
    # The scope's object; SET_NULL so that a pack outlives what it was made of (its ZIP is a snapshot).
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="packs")
    target = models.ForeignKey(Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="packs")
    institution = models.ForeignKey("evidence.Institution", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    search_query = models.CharField(
        max_length=2000, blank=True,
        help_text=_("The evidence list's filters as a query string, run again through EvidenceRecordFilterSet"))
    scope_label = models.CharField(max_length=300, help_text=_("What the pack covers, as the list shows it"))
    # Outward packs leave the group: only its own verified, unprotected evidence, nothing of its people or inner
    # workings (evidence.disclosure's outward reader), with the summary the campaigner writes for the reader.
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.INTERNAL)
    executive_summary = models.TextField(_("executive summary"), blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    redact_protected = models.BooleanField(
        default=True, help_text=_("Withhold the group's protected records, sources and fields (counted, never shown)"))
    include_attachments = models.BooleanField(default=False)
    only_verified = models.BooleanField(default=False)
    language = models.CharField(max_length=10, choices=Language.choices, default=Language.EN)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    file_name = models.CharField(max_length=300, blank=True, help_text=_("Its name in private storage, once ready"))
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Briefing pack {self.pk}: {self.scope_label}"

    def get_absolute_url(self):
        return reverse("pack-detail", args=[self.pk])

    @property
    def retry_url(self):
        return reverse("pack-retry", args=[self.pk])

    @property
    def download_name(self):
        day = (self.finished_at or self.created_at).date().isoformat()
        return f"briefing-pack-{self.pk}-{day}.zip"

    def options(self):
        return {"kind": self.kind, "redact_protected": self.redact_protected,
                "include_attachments": self.include_attachments, "only_verified": self.only_verified,
                "language": self.language}

    def to_dict(self):
        return {"scope": self.scope, "scope_label": self.scope_label, "campaign": self.campaign_id,
                "target": self.target_id, "institution": self.institution.slug if self.institution_id else None,
                "search_query": self.search_query, **self.options()}


# The group mailbox's rows live in their own package; imported here so that Django registers them with this app.
from campaigns.mailbox.models import InboundMessage, Mailbox, MailFetch  # noqa: E402, F401


class TargetComment(CommentBase):
    """A member's comment on a target of one of their group's campaigns."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="comments")

    parent_field = "target"
    scope_path = "target__campaign__group"

    class Meta(CommentBase.Meta):
        pass
