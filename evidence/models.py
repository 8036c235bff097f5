"""
Public reference data shared by every group (reports, their recommendations, sectors, rights, the institution
directory and its relationships), and each group's private evidence: records, sources, citations and files.
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
from evidence.querysets import EvidenceRecordQuerySet, InstitutionQuerySet
from evidence.similar import PerceptualHashed

#
# Reports
#


class Report(models.Model):
    """A published report the site is built around; the bundled one is ARTICLE 19's Emotional Entanglement."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    published = models.CharField(max_length=10, blank=True, help_text=_("YYYY or YYYY-MM, as the report gives it"))
    licence = models.CharField(max_length=200, blank=True)
    licence_url = models.URLField(blank=True)
    url = models.URLField(blank=True)
    document_code = models.CharField(max_length=60, blank=True)
    credit = models.TextField(blank=True, help_text=_("The attribution to show wherever the report's data appears"))

    class Meta:
        ordering = ["-published", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("report-detail", args=[self.slug])


class Recommendation(models.Model):
    """One of a report's recommendations, in our own words, with a short ask a campaign can use."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="recommendations")
    code = models.SlugField(max_length=40)
    addressee = models.CharField(max_length=120)
    summary = models.TextField()
    ask = models.CharField(max_length=300)
    page = models.PositiveIntegerField(null=True, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["report", "order"]
        constraints = [models.UniqueConstraint(fields=["report", "code"], name="one_recommendation_code_per_report")]

    def __str__(self):
        return f"{self.code}: {self.ask}"


class Sector(models.Model):
    """A use case of emotion recognition (public security, driving safety, education …)."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    summary = models.TextField(blank=True)
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="sectors")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Right(models.Model):
    """A human right a report analyses, with the legal texts it anchors the analysis in."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    anchors = models.JSONField(default=list, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="rights")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


#
# The institution directory
#

# /institutions/new/ is the create page, so an institution with this slug could never be shown.
RESERVED_INSTITUTION_SLUGS = {"new"}


def validate_unreserved_slug(value):
    if value in RESERVED_INSTITUTION_SLUGS:
        raise ValidationError(_("This short name is reserved; choose another."))


class Institution(OneChoiceLabelTranslated, models.Model):
    """
    A company, government body, police bureau, school, standards body … that campaigns may target. Most belong
    to the shared directory every member reads; one a member adds while logging evidence belongs to their group
    alone (`added_by_group`) until a coordinator of that group adds it to the directory, so that what a group
    investigates does not show to the other groups on the site.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        GOVERNMENT = "government", _("Government body")
        POLICE = "police", _("Police / public security")
        ACADEMIC = "academic", _("School, university or research institute")
        STANDARDS_BODY = "standards_body", _("Standards body")
        NGO = "ngo", _("NGO")
        OTHER = "other", _("Other")

    slug = models.SlugField(max_length=80, unique=True, validators=[validate_unreserved_slug])
    name = models.CharField(max_length=200)
    name_zh = models.CharField(_("Chinese name"), max_length=200, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    country = models.CharField(max_length=80, blank=True, db_index=True)
    sectors = models.ManyToManyField(Sector, blank=True, related_name="institutions")
    products = models.JSONField(default=list, blank=True)
    people = models.JSONField(default=list, blank=True)
    website = models.URLField(blank=True)
    summary = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    parent = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children")
    investigated = models.BooleanField(default=False, help_text=_("One of the companies the report investigates"))
    report_table = models.CharField(max_length=40, blank=True)
    source_report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    page = models.PositiveIntegerField(null=True, blank=True)
    added_by_group = models.ForeignKey("accounts.Group", on_delete=models.CASCADE, null=True, blank=True,
                                       related_name="own_institutions",
                                       help_text=_("Empty for the shared directory; else the only group that sees it"))
    # Name, Chinese name and aliases folded into one lower-case column, so one lookup searches them all.
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("institution-detail", args=[self.slug])

    def build_search_text(self):
        return "\n".join([self.name, self.name_zh, *self.aliases]).casefold()

    def to_dict(self):
        """The editable state, for the history kept of every change."""
        return {
            "name": self.name, "name_zh": self.name_zh, "aliases": list(self.aliases), "kind": self.kind,
            "country": self.country, "sectors": sorted(s.slug for s in self.sectors.all()),
            "products": list(self.products), "website": self.website, "summary": self.summary,
            "parent": self.parent.slug if self.parent_id else None,
        }


class Relationship(OneChoiceLabelTranslated, models.Model):
    """A link between two institutions the sources report: one supplies, partners with, funds … the other."""

    class Kind(models.TextChoices):
        SUPPLIES = "supplies", _("supplies")
        PARTNER = "partner", _("partners with")
        JOINT_LAB = "joint_lab", _("runs a joint lab with")
        DATA_SHARING = "data_sharing", _("shares data with")
        PILOT = "pilot", _("piloted at")
        FUNDS = "funds", _("funds")

    slug = models.SlugField(max_length=80, unique=True)
    source_institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="relationships_out")
    target_institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    note = models.TextField(blank=True, max_length=LONG_TEXT_MAX_LENGTH)
    source = models.CharField(max_length=300, blank=True, help_text=_("Where this is reported, e.g. a report page"))
    report = models.ForeignKey(Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    page = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["source_institution__name", "kind"]

    def __str__(self):
        return f"{self.source_institution} {self.get_kind_display()} {self.target_institution}"

    def clean(self):
        if self.source_institution_id and self.source_institution_id == self.target_institution_id:
            raise ValidationError({"target_institution": _("An institution cannot be related to itself.")})
        duplicates = Relationship.objects.filter(
            source_institution_id=self.source_institution_id, target_institution_id=self.target_institution_id,
            kind=self.kind,
        ).exclude(pk=self.pk)
        if duplicates.exists():
            raise ValidationError(_("This relationship is already recorded."))

    def to_dict(self):
        return {
            "from": self.source_institution.slug, "to": self.target_institution.slug, "kind": self.kind,
            "note": self.note, "source": self.source,
        }


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


#
# Saved searches
#


class SavedSearchQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person's own saved searches and nobody else's: a coordinator sees no member's either."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(owner=user)


class SavedSearch(OneChoiceLabelTranslated, models.Model):
    """
    A person's evidence search (the evidence list's query string, checked by its own filterset), kept under a name,
    with alerts of the records that newly match it (evidence/saved_searches.py) by e-mail and a private Atom feed.
    """

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        OFF = "off", _("Off")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(_("name"), max_length=120)
    query = models.CharField(_("search"), max_length=2000, blank=True)
    frequency = models.CharField(_("alerts"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    # Alerts count records created after this point; moved on in the transaction that records an alert.
    last_checked_at = models.DateTimeField()
    # A hash of the secret key in the feed's address, blank while there is none; the key is shown once.
    feed_key_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="one_saved_search_name_per_person")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("saved-search-list")

    @property
    def list_url(self):
        """The evidence list with this search applied."""
        return reverse("evidence-list") + (f"?{self.query}" if self.query else "")


class SavedSearchAlert(models.Model):
    """
    That the records of a saved search created up to `checked_until` were counted (and, if any, e-mailed). The
    unique row is the claim: a second run for the same period finds the search already moved on and sends nothing.
    It holds a count, no group data.
    """

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="alerts")
    checked_from = models.DateTimeField()
    checked_until = models.DateTimeField()
    record_count = models.PositiveIntegerField()
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["saved_search", "checked_until"],
                                               name="one_alert_per_saved_search_and_period")]

    def __str__(self):
        return f"{self.record_count} new for saved search {self.saved_search_id} until {self.checked_until:%Y-%m-%d}"


#
# Comments
#


class RecordComment(CommentBase):
    """A member's comment on one of their group's records: never shown on another group's shared copy."""

    record = models.ForeignKey(EvidenceRecord, on_delete=models.CASCADE, related_name="comments")

    parent_field = "record"
    scope_path = "record__group"

    class Meta(CommentBase.Meta):
        pass


# Source captures live in their own module; imported here so that they are models of this app.
from evidence.capture.models import CaptureFile, SourceCapture  # noqa: E402, F401
