"""
Forms of the institution directory: an institution and a relationship between two. Validation only;
evidence/services.py makes the changes.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import LONG_TEXT_MAX_LENGTH
from evidence.models import Institution, Relationship


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
