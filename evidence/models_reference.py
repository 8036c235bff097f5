"""
Public reference data shared by every group: reports, their recommendations, sectors, rights, the institution
directory and its relationships (the group-only institutions a group adds to it included). Imported by
evidence/models.py, so that they are the evidence app's models and importable from evidence.models as before.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.choices import OneChoiceLabelTranslated
from accounts.models import LONG_TEXT_MAX_LENGTH
from evidence.querysets import InstitutionQuerySet

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
