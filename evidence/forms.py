"""Page forms for the institution directory: validation only; evidence/services/ makes the changes."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import LONG_TEXT_MAX_LENGTH, Group
from accounts.permissions import Action
from accounts.scoping import LARGEST_ID
from evidence.models import (
    EvidenceRecord,
    Institution,
    Recommendation,
    RecordInstitution,
    Relationship,
    Source,
    Tag,
    url_key,
)
from evidence.services.bulk import TAG_MAX_LENGTH, BulkAction


class LinesField(forms.CharField):
    """A list of short texts (aliases, products), edited one per line in a textarea; blank lines go."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        lines = []
        for line in (super().to_python(value) or "").splitlines():
            line = " ".join(line.split())
            if line and line not in lines:
                lines.append(line)
        return lines


class InstitutionForm(forms.ModelForm):
    """Edit an institution. The slug is fixed once created: it is in links and in the history."""

    aliases = LinesField(label=_("Aliases"), help_text=_("One per line: other spellings, former names, abbreviations."))
    products = LinesField(label=_("Products"), help_text=_("One per line: named products, systems or documents."))
    website = forms.URLField(required=False, max_length=200, assume_scheme="https", label=_("Website"))

    class Meta:
        model = Institution
        fields = ["name", "name_zh", "aliases", "kind", "country", "sectors", "products", "website",
                  "summary", "parent"]
        widgets = {
            "sectors": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 6}),
            "country": forms.TextInput(attrs={"list": "country-options", "autocomplete": "off"}),
        }
        labels = {
            "name": _("Name"), "name_zh": _("Chinese name"), "kind": _("Kind"), "country": _("Country"),
            "sectors": _("Sectors"), "summary": _("Summary"), "parent": _("Parent"),
        }
        help_texts = {
            "country": _("As the directory already spells it, e.g. China; “International” for UN bodies."),
            "parent": _("The group or body it belongs to, if any."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A group's own institution is no parent of a directory entry: it would show on that entry's page.
        parents = Institution.objects.visible_to(user).in_directory().only("pk", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("None")

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk:
            # Walk up from the chosen parent: meeting this institution would make a loop.
            ancestor, seen = parent, set()
            while ancestor is not None and ancestor.pk not in seen:
                if ancestor.pk == self.instance.pk:
                    raise ValidationError(_("That institution belongs to this one, so it cannot be its parent."))
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
        return parent


class InstitutionCreateForm(InstitutionForm):
    class Meta(InstitutionForm.Meta):
        fields = ["name", "slug", "name_zh", "aliases", "kind", "country", "sectors", "products", "website",
                  "summary", "parent"]
        labels = {**InstitutionForm.Meta.labels, "slug": _("Short name for links")}
        help_texts = {
            **InstitutionForm.Meta.help_texts,
            "slug": _("Lower-case letters, digits and hyphens, e.g. example-vision. It cannot change later."),
        }


OTHER_CHOICES = 50


class RelationshipForm(forms.Form):
    """A link between the institution whose page this is and another one, in either direction."""

    OUTGOING, INCOMING = "out", "in"

    direction = forms.ChoiceField(widget=forms.RadioSelect, initial=OUTGOING, label=_("Direction"))
    kind = forms.ChoiceField(choices=Relationship.Kind.choices, label=_("Kind of link"))
    other = forms.ModelChoiceField(queryset=Institution.objects.none(), label=_("Other institution"),
                                   empty_label=_("Choose an institution"))
    note = forms.CharField(required=False, max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
                           label=_("Note"), help_text=_("What the source says, in your own words."))
    source = forms.CharField(required=False, max_length=300, label=_("Source"),
                             help_text=_("Where this is reported, e.g. a report page."))

    def __init__(self, *args, institution, user, search="", **kwargs):
        super().__init__(*args, **kwargs)
        self.institution = institution
        self.fields["direction"].choices = [
            (self.OUTGOING, _("%(name)s … the other institution") % {"name": institution.name}),
            (self.INCOMING, _("The other institution … %(name)s") % {"name": institution.name}),
        ]
        others = Institution.objects.in_directory().exclude(pk=institution.pk).only("pk", "name")
        if not self.is_bound and not self.initial.get("other"):
            # The page offers the institutions matching a search, not the whole directory (thousands of options).
            others = others.search(search)[:OTHER_CHOICES] if search else others.none()
        self.fields["other"].queryset = others

    def clean(self):
        cleaned = super().clean()
        other = cleaned.get("other")
        if other is None or "kind" not in cleaned or "direction" not in cleaned:
            return cleaned
        values = self.relationship_values()
        try:
            Relationship(source_institution=values["source_institution"],
                         target_institution=values["target_institution"], kind=values["kind"]).clean()
        except ValidationError as exc:
            if "target_institution" in getattr(exc, "error_dict", {}):
                raise ValidationError({"other": exc.error_dict["target_institution"]}) from exc
            raise
        return cleaned

    def relationship_values(self):
        """The keyword arguments of services.add_relationship."""
        data = self.cleaned_data
        source, target = self.institution, data["other"]
        if data["direction"] == self.INCOMING:
            source, target = target, source
        return {"source_institution": source, "target_institution": target, "kind": data["kind"],
                "note": data["note"], "source": data["source"]}


#
# Evidence records
#


class SourceChoiceField(forms.ModelChoiceField):
    """One of the group's sources, labelled so two sources with the same title can be told apart."""

    def label_from_instance(self, source):
        details = [source.publisher, source.published_on.isoformat() if source.published_on else ""]
        label = source.title + (f" — {', '.join(d for d in details if d)}" if any(details) else "")
        return _("%(source)s (protected)") % {"source": label} if source.protected else label


class TagsField(forms.CharField):
    """Tag names, edited as one comma-separated line (Chinese commas work too)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value):
        names = []
        for name in re.split(r"[,，、]", super().to_python(value) or ""):
            name = " ".join(name.split())
            if name and name not in names:
                names.append(name)
        return names

    def validate(self, value):
        super().validate(value)
        too_long = [name for name in value if len(name) > Tag._meta.get_field("name").max_length]
        if too_long:
            raise ValidationError(_("Keep each tag under 60 characters: %(tags)s"),
                                  params={"tags": ", ".join(too_long)})


class EvidenceRecordForm(forms.ModelForm):
    """
    The record's own fields. Validation only: the page never saves this form, it hands the cleaned values to
    evidence.services.records.create_record / update_record, which check the role and write the history.
    """

    tags = TagsField(label=_("Tags"), help_text=_("Separated by commas, e.g. schools, Xinjiang, tender."))

    class Meta:
        model = EvidenceRecord
        fields = ["title", "summary", "kind", "sector", "country", "place", "event_start", "event_end", "language",
                  "tags", "protected", "recommendations", "rights"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "recommendations": forms.CheckboxSelectMultiple,
            "rights": forms.CheckboxSelectMultiple,
            "event_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "event_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {
            "title": _("Title"), "summary": _("Summary"), "kind": _("Kind"), "sector": _("Sector"),
            "country": _("Country"), "place": _("Place"), "event_start": _("Happened on or from"),
            "event_end": _("Until"), "language": _("Language"), "protected": _("Protected"),
            "recommendations": _("Recommendations"), "rights": _("Rights"),
        }
        help_texts = {
            "recommendations": _("The report's recommendations this evidence supports."),
            "rights": _("The rights this evidence shows at stake."),
            "event_end": _("Leave empty for a single day."),
            "language": _("The main language of the sources, e.g. zh, en."),
            "protected": _("Never shared with other groups, even once verified."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recommendations"].queryset = Recommendation.objects.select_related("report")
        self.fields["sector"].empty_label = _("None")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("event_start"), cleaned.get("event_end")
        if end and (not start or end < start):
            self.add_error("event_end", _("The end of the event must come after its start."))
        return cleaned

    def record_values(self):
        """The keyword arguments of records.create_record / update_record this form provides."""
        return dict(self.cleaned_data)


# `on_duplicate` says what to do when a new source or institution may be one the group already has.
CREATE_ANYWAY = "new"


class InstitutionRowForm(forms.Form):
    """
    One institution the record involves, and its role; an empty row is skipped. The institution is one the
    record's group may name, or a new one described in the row, which only that group will see. A new name
    that resembles institutions already there is held back until the person picks one of them or confirms.
    """

    institution = forms.ModelChoiceField(queryset=Institution.objects.none(), required=False,
                                         empty_label="—", label=_("Institution"))
    role = forms.ChoiceField(choices=RecordInstitution.Role.choices, initial=RecordInstitution.Role.OTHER,
                             label=_("Role"))
    new_name = forms.CharField(max_length=200, required=False, label=_("Name"),
                               help_text=_("Only your group sees it until a coordinator adds it to the directory."))
    new_name_zh = forms.CharField(max_length=200, required=False, label=_("Chinese name"))
    new_kind = forms.ChoiceField(choices=Institution.Kind.choices, initial=Institution.Kind.COMPANY, label=_("Kind"),
                                 required=False)
    on_duplicate = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.institutions = institutions
        self.fields["institution"].queryset = institutions
        self.duplicates = []  # institutions the new one may be, when that needs confirming

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        name = " ".join((cleaned.get("new_name") or "").split())
        if cleaned.get("new_name_zh") and not name:
            self.add_error("new_name", _("Give the new institution a name (in English or pinyin)."))
        if not name:
            return cleaned
        if cleaned.get("institution") is not None:
            raise ValidationError(_("Either choose an institution from the list or add a new one, not both."))
        self._check_duplicates(cleaned, name)
        return cleaned

    def _check_duplicates(self, cleaned, name):
        resembling = self.institutions.resembling(name) | self.institutions.resembling(cleaned.get("new_name_zh"))
        duplicates = list(resembling.order_by("name")[:8])
        choice = cleaned.get("on_duplicate") or ""
        if not duplicates or choice == CREATE_ANYWAY:
            return
        chosen = next((i for i in duplicates if str(i.pk) == choice), None)
        if chosen is not None:
            cleaned["institution"] = chosen  # the person chose the institution already there
            return
        self.duplicates = duplicates
        self.add_error("on_duplicate", _("Institutions with a similar name are already there. Choose one of them, "
                                       "or confirm that yours is a different institution."))

    @property
    def new_institution(self):
        """The values of the new institution to create, or None when the row names an existing one."""
        data = self.cleaned_data
        if data.get("institution") is not None or not data.get("new_name"):
            return None
        return {"name": " ".join(data["new_name"].split()), "name_zh": data["new_name_zh"],
                "kind": data["new_kind"] or Institution.Kind.OTHER}


class InstitutionRowFormSet(forms.BaseFormSet):
    def links(self, created=None):
        """
        [(institution, role)] of the filled rows, for the service; `created(values)` makes the new institution a
        row describes.
        """
        links = []
        for form in self.forms:
            institution = form.cleaned_data.get("institution")
            if institution is None and form.new_institution and created is not None:
                institution = created(form.new_institution)
            if institution is not None:
                links.append((institution, form.cleaned_data["role"]))
        return links

    @property
    def duplicate_warning(self):
        return any(form.duplicates for form in self.forms)


# Which of a citation row's fields describe a new source, and the Source field each fills.
NEW_SOURCE_FIELDS = {"new_title": "title", "new_url": "url", "new_publisher": "publisher",
                     "new_published_on": "published_on", "new_archive_url": "archive_url",
                     "new_language": "language", "new_kind": "kind", "new_protected": "protected"}
CITATION_FIELDS = ["locator", "excerpt", "excerpt_language", "translation", "translator"]
# A new source counts as entered once one of these is filled (kind and protected always have a value).
_NEW_SOURCE_CONTENT = ["new_title", "new_url", "new_publisher", "new_published_on", "new_archive_url",
                       "new_language"]


class CitationRowForm(forms.Form):
    """
    One source the record cites and the excerpt it relies on. The source is either one the group already
    entered or a new one described in the same row; a new source whose address the group already has is held
    back until the person chooses the existing one or confirms it is a different source.
    """

    source = SourceChoiceField(queryset=Source.objects.none(), required=False, label=_("Existing source"),
                               empty_label=_("— a new source, entered below —"))
    new_title = forms.CharField(max_length=300, required=False, label=_("Title"))
    new_url = forms.URLField(max_length=1000, required=False, assume_scheme="https", label=_("Address (URL)"))
    new_publisher = forms.CharField(max_length=200, required=False, label=_("Publisher"))
    new_published_on = forms.DateField(required=False, label=_("Published on"),
                                       widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    new_archive_url = forms.URLField(max_length=1000, required=False, assume_scheme="https",
                                     label=_("Archived copy (URL)"))
    new_language = forms.CharField(max_length=20, required=False, label=_("Language"), help_text=_("e.g. zh, en"))
    new_kind = forms.ChoiceField(choices=Source.Kind.choices, initial=Source.Kind.NEWS, label=_("Kind"))
    new_protected = forms.BooleanField(required=False, label=_("Protected"),
                                       help_text=_("Never shown outside the group (e.g. it names a person at risk)."))
    locator = forms.CharField(max_length=120, required=False, label=_("Page, section or timestamp"))
    excerpt = forms.CharField(required=False, max_length=LONG_TEXT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 3}), label=_("Excerpt"),
                              help_text=_("In the original language."))
    excerpt_language = forms.CharField(max_length=20, required=False, label=_("Language of the excerpt"),
                                       help_text=_("e.g. zh"))
    translation = forms.CharField(required=False, max_length=LONG_TEXT_MAX_LENGTH,
                                  widget=forms.Textarea(attrs={"rows": 3}), label=_("Translation"))
    translator = forms.CharField(max_length=120, required=False, label=_("Translator"))
    on_duplicate = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = sources
        self.fields["source"].queryset = sources
        self.duplicates = []  # the group's sources at the new source's address, when that needs confirming

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        source = cleaned.get("source")
        new_source = any(cleaned.get(name) for name in _NEW_SOURCE_CONTENT)
        citation = any(cleaned.get(name) for name in CITATION_FIELDS)
        if source is None and not new_source:
            if citation:
                raise ValidationError(_("Choose the source this excerpt is from, or enter a new source."))
            cleaned["blank"] = True
            return cleaned
        if source is not None and new_source:
            raise ValidationError(_("Either choose an existing source or enter a new one, not both."))
        if source is None:
            if not cleaned.get("new_title"):
                self.add_error("new_title", _("Give the new source a title."))
                return cleaned
            self._check_duplicates(cleaned)
        return cleaned

    def _check_duplicates(self, cleaned):
        key = url_key(cleaned.get("new_url"))
        if not key:
            return
        duplicates = list(self.sources.filter(url_key=key))
        choice = cleaned.get("on_duplicate") or ""
        if not duplicates or choice == CREATE_ANYWAY:
            return
        chosen = next((s for s in duplicates if str(s.pk) == choice), None)
        if chosen is not None:
            cleaned["source"] = chosen  # the person chose to cite the source already entered
            return
        self.duplicates = duplicates
        self.add_error("on_duplicate", _("Your group already has a source at this address. Cite it, or confirm "
                                       "that this is a different source."))

    def citation_values(self):
        """The citation for the service, with `source` None when a new source is to be created."""
        data = self.cleaned_data
        return {"source": data.get("source"), **{name: data[name] for name in CITATION_FIELDS}}

    def new_source_values(self):
        return {field: self.cleaned_data[name] for name, field in NEW_SOURCE_FIELDS.items()}


class CitationRowFormSet(forms.BaseFormSet):
    def rows(self):
        """The filled rows that are not marked for removal."""
        return [form for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("blank") and not form.cleaned_data.get("DELETE")]

    @property
    def duplicate_warning(self):
        return any(form.duplicates for form in self.forms)


def institution_formset(*, group, data=None, links=(), prefix="institutions"):
    """
    Up to five institution rows (more if the record already names more), prefilled with `links`, offering what
    a record of `group` may name.
    """
    initial = [{"institution": link.institution_id, "role": link.role} for link in links]
    formset_class = forms.formset_factory(InstitutionRowForm, formset=InstitutionRowFormSet,
                                          extra=max(5 - len(initial), 1), max_num=50, absolute_max=50,
                                          validate_max=True)
    # A submitted form is read as submitted: compared with the record's rows, an unchanged row would be skipped.
    return formset_class(data, initial=None if data is not None else initial, prefix=prefix,
                         form_kwargs={"institutions": Institution.objects.available_to(group).only("pk", "name")})


def citation_formset(*, sources, data=None, citations=(), prefix="citations"):
    """Rows for the record's citations plus empty ones; a row cites a source of `sources` or a new one."""
    initial = [{"source": citation.source_id, **{name: getattr(citation, name) for name in CITATION_FIELDS}}
               for citation in citations]
    formset_class = forms.formset_factory(CitationRowForm, formset=CitationRowFormSet,
                                          extra=1 if initial else 2, max_num=30, absolute_max=30,
                                          validate_max=True, can_delete=True, can_delete_extra=False)
    return formset_class(data, initial=None if data is not None else initial, prefix=prefix,
                         form_kwargs={"sources": sources})


class RejectForm(forms.Form):
    reason = forms.CharField(max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
                             label=_("Why is it rejected?"),
                             help_text=_("Say what needs fixing; the person who logged it reads this."))


class ShareForm(forms.Form):
    """Which other groups may read a verified record; nothing ticked withdraws it."""

    groups = forms.ModelMultipleChoiceField(queryset=Group.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple, label=_("Share with these groups"))
    everyone = forms.BooleanField(required=False, label=_("Share with every group on the site"))

    def __init__(self, *args, record, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Groups listed for sharing and the user's own (Group.objects.share_partners), and those the record is
        # already shared with, so they can be withdrawn; never every group on the site.
        partners = Q(pk__in=Group.objects.share_partners(user).values("pk")) | Q(pk__in=record.shared_with.all())
        self.fields["groups"].queryset = (Group.objects.filter(partners).exclude(pk=record.group_id)
                                          .only("pk", "name"))


class RecordIdsField(forms.Field):
    """The ids of the ticked records; the view keeps to the ones the user can see."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            ids = sorted({int(pk) for pk in value or ()})
        except (TypeError, ValueError):
            raise ValidationError(_("Tick records from the list.")) from None
        if any(not 0 < pk <= LARGEST_ID for pk in ids):
            raise ValidationError(_("Tick records from the list."))
        return ids


class BulkActionForm(forms.Form):
    """One change for the records ticked in the evidence list, or for every record its filters match."""

    SCOPES = [("selected", _("The records I ticked")), ("all", _("Every record matching the filters"))]

    action = forms.ChoiceField(choices=[("", _("Choose an action"))] + BulkAction.choices, label=_("Action"))
    scope = forms.ChoiceField(choices=SCOPES, initial="selected", widget=forms.RadioSelect, label=_("Apply to"))
    records = RecordIdsField(required=False)
    tag = forms.CharField(required=False, max_length=TAG_MAX_LENGTH, label=_("Tag"),
                          help_text=_("For adding or removing a tag."))
    groups = forms.ModelMultipleChoiceField(queryset=Group.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple, label=_("Share with these groups"))
    everyone = forms.BooleanField(required=False, label=_("Share with every group on the site"))
    target = forms.ModelChoiceField(queryset=None, required=False, label=_("Campaign target"),
                                    help_text=_("For adding to a campaign target."), empty_label="—")
    filters = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        from campaigns.models import Target

        super().__init__(*args, **kwargs)
        # Only what the labels show: whole targets, campaigns and institutions took 6 ms of each evidence list
        # page for 70 targets.
        self.fields["target"].queryset = (
            Target.objects.writable_by(user, Action.MANAGE_CAMPAIGNS)
            .select_related("campaign", "institution").order_by("campaign__title", "institution__name")
            .only("campaign__title", "institution__name")
        )
        self.fields["target"].label_from_instance = lambda target: f"{target.campaign.title}: {target.institution}"
        # Only groups listed for sharing and the user's own: never every group on the site.
        self.fields["groups"].queryset = Group.objects.share_partners(user).only("pk", "name")

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action in (BulkAction.TAG, BulkAction.UNTAG) and not (data.get("tag") or "").strip():
            self.add_error("tag", _("Give the tag to add or remove."))
        if action == BulkAction.SHARE and not (data.get("groups") or data.get("everyone")):
            self.add_error("groups", _("Choose the groups to share with, or every group."))
        if action == BulkAction.ADD_TO_TARGET and not data.get("target"):
            self.add_error("target", _("Choose the campaign target to add the records to."))
        if "records" in self.errors:
            # The ticks are hidden inputs of this form, whose errors a page does not show beside a field.
            self.add_error(None, self.errors.pop("records"))
        elif data.get("scope") == "selected" and not data.get("records"):
            self.add_error("scope", _("Tick the records to change, or choose every record matching the filters."))
        return data


class AttachmentForm(forms.Form):
    """A file for a record; evidence.services.attachments.add_attachment decides whether its content is accepted."""

    file = forms.FileField(label=_("Add a file"), allow_empty_file=False)

    def __init__(self, *args, **kwargs):
        from django.conf import settings
        from django.template.defaultfilters import filesizeformat

        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A PDF, an image, an office document or plain text, up to %(size)s. Only your group's members can "
            "download it.") % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}


#
# Importing records from a spreadsheet
#


class EvidenceImportForm(forms.Form):
    """The spreadsheet to import and the group it goes to; evidence.importing reads and checks the rows."""

    group = forms.ModelChoiceField(queryset=Group.objects.none(), empty_label=None, label=_("Import into"))
    file = forms.FileField(
        label=_("Spreadsheet"), allow_empty_file=False,
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-"
                                                "officedocument.spreadsheetml.sheet"}),
    )

    def __init__(self, *args, groups, **kwargs):
        """`groups`: a queryset of the groups the person may log evidence in."""
        from django.contrib.humanize.templatetags.humanize import intcomma
        from django.template.defaultfilters import filesizeformat

        from evidence.importing import MAX_BYTES, MAX_ROWS

        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["file"].help_text = _(
            "A CSV file (UTF-8) or an Excel workbook (.xlsx), up to %(size)s and %(rows)s rows. The first row names "
            "the columns.") % {"size": filesizeformat(MAX_BYTES), "rows": intcomma(MAX_ROWS)}

    def clean_file(self):
        from django.template.defaultfilters import filesizeformat

        from evidence.importing import MAX_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(_("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                                  % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_BYTES)})
        return upload
