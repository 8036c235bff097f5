"""
Each group's private evidence: records, sources, citations and files, tags and imports. The public reference data
every group shares (reports, the institution directory) is in evidence/models_reference.py; source captures, saved
searches and comments are in their own modules too. All are imported here, as the evidence app's models.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import OneChoiceLabelTranslated
from accounts.files import StoredFile, private_storage
from accounts.jobs import Job
from accounts.models import LONG_TEXT_MAX_LENGTH
from accounts.scoping import GroupScopedQuerySet
from evidence.models_reference import (  # noqa: F401 (importable from evidence.models, as before)
    RESERVED_INSTITUTION_SLUGS,
    Institution,
    Recommendation,
    Relationship,
    Report,
    Right,
    Sector,
    validate_unreserved_slug,
)
from evidence.querysets import EvidenceRecordQuerySet
from evidence.similar import PerceptualHashed

#
# Evidence: group-private records, the sources they cite, and their files
#


class Tag(models.Model):
    """A group's own label for evidence records."""

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["group", "name"], name="one_tag_name_per_group")]

    def __str__(self):
        return self.name


class Source(OneChoiceLabelTranslated, models.Model):
    """
    A document evidence cites (the report, a news article, a procurement notice …), entered once per group and
    cited by as many records as need it. A protected source never leaves the group.
    """

    class Kind(models.TextChoices):
        REPORT = "report", _("Report")
        NEWS = "news", _("News article")
        PROCUREMENT = "procurement", _("Procurement notice")
        OFFICIAL = "official", _("Official document")
        COMPANY = "company", _("Company material")
        ACADEMIC = "academic", _("Academic paper")
        SOCIAL = "social", _("Social media")
        OTHER = "other", _("Other")

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS)
    url = models.URLField(max_length=1000, blank=True)
    # The URL without scheme, "www.", fragment or trailing slash: two spellings of one page are one source.
    url_key = models.CharField(max_length=1000, blank=True, db_index=True, editable=False)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True)
    archive_url = models.URLField(max_length=1000, blank=True)
    language = models.CharField(max_length=20, blank=True, help_text=_("e.g. en, zh"))
    protected = models.BooleanField(default=False, help_text=_("Never shown outside the group (e.g. it names a "
                                    "person at risk)"))
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.url_key = url_key(self.url)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "url_key"}
        super().save(*args, **kwargs)

    def to_dict(self):
        return {"title": self.title, "kind": self.kind, "url": self.url, "publisher": self.publisher,
                "published_on": self.published_on.isoformat() if self.published_on else None,
                "archive_url": self.archive_url, "language": self.language, "protected": self.protected}


def url_key(url):
    """A comparable form of a URL, for spotting the same page entered twice."""
    from urllib.parse import urlsplit

    if not url:
        return ""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


class EvidenceRecord(OneChoiceLabelTranslated, models.Model):
    """
    One sourced claim a group logs: a deployment, a product claim, a procurement … It is private to its group
    until a coordinator shares it once verified; protected records and sources never leave the group.
    """

    class Kind(models.TextChoices):
        DEPLOYMENT = "deployment", _("Deployment")
        PRODUCT_CLAIM = "product_claim", _("Product claim")
        PROCUREMENT = "procurement", _("Procurement")
        PARTNERSHIP = "partnership", _("Partnership")
        POLICY = "policy", _("Policy")
        RESEARCH = "research", _("Research")
        STATEMENT = "statement", _("Statement")
        PUSHBACK = "pushback", _("Pushback")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="evidence_records")
    title = models.CharField(max_length=300)
    summary = models.TextField(max_length=LONG_TEXT_MAX_LENGTH)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sector = models.ForeignKey(Sector, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recommendations = models.ManyToManyField(Recommendation, blank=True, related_name="evidence_records")
    rights = models.ManyToManyField(Right, blank=True, related_name="evidence_records")
    institutions = models.ManyToManyField(Institution, through="RecordInstitution", related_name="evidence_records")
    sources = models.ManyToManyField(Source, through="Citation", related_name="records")
    tags = models.ManyToManyField(Tag, blank=True, related_name="records")
    country = models.CharField(max_length=80, blank=True)
    place = models.CharField(max_length=200, blank=True, help_text=_("Province and/or city"))
    event_start = models.DateField(null=True, blank=True)
    event_end = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=20, blank=True)
    protected = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    decision_reason = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    shared_with = models.ManyToManyField("accounts.Group", blank=True, related_name="records_shared_with_us")
    shared_with_everyone = models.BooleanField(default=False)
    # Shown on the public scoreboard (campaigns.public) where a published campaign cites it, to anyone on the web,
    # while it stays verified and shareable: a coordinator's decision (evidence/services/publicity.py).
    marked_public = models.BooleanField(
        _("public"), default=False,
        help_text=_("Anyone may read it where a published campaign cites it, while it is verified and not protected."))
    report_fact = models.CharField(max_length=80, blank=True, help_text=_("The report dataset's id, if loaded from it"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The text search finds a record by on PostgreSQL: title, summary, institution names and aliases, and the title,
    # excerpt and translation of every citation of an unprotected source; protected sources' text is in the private
    # one, searched for the record's own group only. Triggers (migration 0005) rebuild both, and the indexed
    # search_vector column made from them, whichever way rows are written, so a Python object's copy may be stale
    # and a value saved is replaced. SQLite has no such triggers and leaves them empty: search reads the rows there.
    search_document = models.TextField(editable=False, default="")
    private_search_document = models.TextField(editable=False, default="")

    scope_path = "group"
    objects = EvidenceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Lists show the newest first: walking this index, a page stops after the rows it shows instead of
            # sorting every record the user may see.
            models.Index(fields=["-created_at", "-id"], name="evidence_record_newest_first"),
            # Holds every column visible_to tests, so counting what a user may see (the paginators' COUNT) reads
            # this index alone, not the wide rows (PostgreSQL; elsewhere INCLUDE is left out).
            models.Index(fields=["status", "group"], include=["protected", "shared_with_everyone", "id"],
                         name="evidence_record_visibility"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event_end__isnull=True) | models.Q(event_start__isnull=False,
                                                                       event_end__gte=models.F("event_start")),
                name="evidence_event_range_in_order",
            ),
            models.UniqueConstraint(fields=["group", "report_fact"], condition=~models.Q(report_fact=""),
                                    name="one_copy_of_a_report_fact_per_group"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("evidence-detail", args=[self.pk])

    def rebuild_search_document(self):
        """Recompute this record's search documents from the database and reload them."""
        from evidence.search import rebuild_search_documents

        rebuild_search_documents(EvidenceRecord.objects.filter(pk=self.pk))
        self.refresh_from_db(fields=["search_document", "private_search_document"])

    @property
    def is_shared(self):
        return self.shared_with_everyone or self.shared_with.exists()

    def sharing_refusal(self):
        """
        Why this record's content may not leave its group ('' when it may): it is protected, or it names an
        institution only its group sees. Being unverified only suspends a share (visible_to); this withdraws it.
        """
        if self.protected:
            return _("Only verified records that are not protected can be shared.")
        own = sorted(link.institution.name for link in self.institution_links.select_related("institution")
                     if link.institution.added_by_group_id)
        if own:
            return _("The record names institutions only your group sees (%(names)s); a coordinator adds them to "
                     "the shared directory before the record is shared.") % {"names": ", ".join(own)}
        return ""

    def to_dict(self):
        return {
            "title": self.title, "summary": self.summary, "kind": self.kind,
            "sector": self.sector.slug if self.sector_id else None, "country": self.country, "place": self.place,
            "event_start": self.event_start.isoformat() if self.event_start else None,
            "event_end": self.event_end.isoformat() if self.event_end else None,
            "language": self.language, "protected": self.protected, "status": self.status,
            "decision_reason": self.decision_reason,
            "institutions": sorted(f"{link.institution.slug}:{link.role}" for link in self.institution_links.all()),
            "recommendations": sorted(r.code for r in self.recommendations.all()),
            "rights": sorted(r.slug for r in self.rights.all()),
            "tags": sorted(t.name for t in self.tags.all()),
        }


class RecordInstitution(OneChoiceLabelTranslated, models.Model):
    """An institution involved in a record, and in what role."""

    class Role(models.TextChoices):
        VENDOR = "vendor", _("Vendor")
        DEPLOYER = "deployer", _("Deployer")
        PARTNER = "partner", _("Partner")
        FUNDER = "funder", _("Funder")
        OTHER = "other", _("Involved")

    record = models.ForeignKey(EvidenceRecord, on_delete=models.CASCADE, related_name="institution_links")
    # Indexed with the record below, not alone.
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="record_links",
                                    db_index=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OTHER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "institution", "role"],
                                               name="one_role_per_institution_and_record")]
        # The records naming an institution (its page, the list's filter) from the index alone.
        indexes = [models.Index(fields=["institution", "record"], name="evidence_records_naming")]

    def __str__(self):
        return f"{self.institution} ({self.get_role_display()})"


class Citation(models.Model):
    """A record's use of a source: the excerpt it relies on, in the original language and translated."""

    record = models.ForeignKey(EvidenceRecord, on_delete=models.CASCADE, related_name="citations")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    locator = models.CharField(max_length=120, blank=True, help_text=_("Page, section or timestamp"))
    excerpt = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    excerpt_language = models.CharField(max_length=20, blank=True)
    translation = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    translator = models.CharField(max_length=120, blank=True)
    captured_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    captured_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["captured_at", "pk"]

    def __str__(self):
        return f"{self.source} {self.locator}".strip()


class Attachment(PerceptualHashed, StoredFile):
    """
    A file backing a record, kept in private storage and served only through a permission-checked view. A picture
    also has its perceptual hash, so that a near-duplicate is flagged (evidence/similar.py).
    """

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="attachments")
    record = models.ForeignKey(EvidenceRecord, on_delete=models.CASCADE, related_name="attachments")
    # Migrations name the storage evidence.models.private_storage (evidence 0002, campaigns 0001): the same
    # function as accounts.files', imported above, so that the stored state is unchanged.
    file = models.FileField(storage=private_storage, upload_to="attachments/%Y/%m/")

    class Meta(StoredFile.Meta):
        indexes = PerceptualHashed.band_indexes("attachment")


class EvidenceImport(OneChoiceLabelTranslated, Job):
    """
    A confirmed spreadsheet import too large to save while the person waits, handed to the worker (a job, see
    accounts.jobs.Job). The file stays in private storage until the rows are saved; a failed import says why and
    can be retried.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Importing")
        # A file too large to check while the person waits was read and checked by the worker: its rows wait for
        # the person's decision (import or cancel) on the import's page.
        CHECKED = "checked", _("Checked: waiting for your decision")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    SUCCEEDED = Status.DONE
    job_kind = "import"
    poll_seconds = 2

    group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, related_name="evidence_imports")
    stored_file = models.CharField(max_length=200, help_text=_("Its name in private storage, never the upload's"))
    file_name = models.CharField(max_length=255, help_text=_("The name the file had on the uploader's machine"))
    only_valid_rows = models.BooleanField(default=False)
    row_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    imported_count = models.PositiveIntegerField(default=0)
    # False while the worker reads and checks the file (evidence.imports.worker), until the person confirms the
    # rows it found; the run then saves them.
    confirmed = models.BooleanField(default=True)
    # The uploader's language, in which the worker writes each row's problems.
    language = models.CharField(max_length=20, blank=True)

    scope_path = "group"
    objects = GroupScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import of {self.file_name} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        return reverse("evidence-import-detail", args=[self.pk])

    def get_status_display(self):
        if not self.confirmed and self.status == self.Status.RUNNING:
            return _("Reading and checking the file")
        return self.Status(self.status).label

    @property
    def retry_url(self):
        return reverse("evidence-import-retry", args=[self.pk])


# Source captures, saved searches and comments live in their own modules; imported here so that they are models of
# this app (and importable from evidence.models, as before).
from evidence.capture.models import CaptureFile, SourceCapture  # noqa: E402, F401
from evidence.models_comments import RecordComment  # noqa: E402, F401
from evidence.models_saved_searches import SavedSearch, SavedSearchAlert, SavedSearchQuerySet  # noqa: E402, F401
