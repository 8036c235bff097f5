"""
The rows of a record's form that name institutions and cite sources, each either one the group already has or a
new one described in the row; a new one that may duplicate an existing one is held back until the person chooses.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import LONG_TEXT_MAX_LENGTH
from evidence.languages import LanguageSelect
from evidence.models import Institution, RecordInstitution, Source, url_key


class SourceChoiceField(forms.ModelChoiceField):
    """One of the group's sources, labelled so two sources with the same title can be told apart."""

    def label_from_instance(self, source):
        details = [source.publisher, source.published_on.isoformat() if source.published_on else ""]
        label = source.title + (f" — {', '.join(d for d in details if d)}" if any(details) else "")
        return _("%(source)s (protected)") % {"source": label} if source.protected else label


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
    new_language = forms.CharField(max_length=20, required=False, label=_("Language"), widget=LanguageSelect)
    new_kind = forms.ChoiceField(choices=Source.Kind.choices, initial=Source.Kind.NEWS, label=_("Kind"))
    new_protected = forms.BooleanField(required=False, label=_("Protected"),
                                       help_text=_("Never shown outside the group (e.g. it names a person at risk)."))
    locator = forms.CharField(max_length=120, required=False, label=_("Page, section or timestamp"))
    excerpt = forms.CharField(required=False, max_length=LONG_TEXT_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 3}), label=_("Excerpt"),
                              help_text=_("In the original language."))
    excerpt_language = forms.CharField(max_length=20, required=False, label=_("Language of the excerpt"),
                                       widget=LanguageSelect)
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
