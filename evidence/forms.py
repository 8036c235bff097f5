"""Page forms for the institution directory: validation only; evidence/services.py makes the changes."""

from django import forms
from django.core.exceptions import ValidationError

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

    aliases = LinesField(help_text="One per line: other spellings, former names, abbreviations.")
    products = LinesField(help_text="One per line: named products, systems or documents.")
    website = forms.URLField(required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Institution
        fields = ["name", "name_zh", "aliases", "kind", "country", "sectors", "products", "website",
                  "summary", "parent"]
        widgets = {
            "sectors": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 6}),
            "country": forms.TextInput(attrs={"list": "country-options", "autocomplete": "off"}),
        }
        help_texts = {
            "country": "As the directory already spells it, e.g. China; “International” for UN bodies.",
            "parent": "The group or body it belongs to, if any.",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        parents = Institution.objects.visible_to(user).only("pk", "name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = "None"

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk:
            # Walk up from the chosen parent: meeting this institution would make a loop.
            ancestor, seen = parent, set()
            while ancestor is not None and ancestor.pk not in seen:
                if ancestor.pk == self.instance.pk:
                    raise ValidationError("That institution belongs to this one, so it cannot be its parent.")
                seen.add(ancestor.pk)
                ancestor = ancestor.parent
        return parent


class InstitutionCreateForm(InstitutionForm):
    class Meta(InstitutionForm.Meta):
        fields = ["name", "slug", "name_zh", "aliases", "kind", "country", "sectors", "products", "website",
                  "summary", "parent"]
        labels = {"slug": "Short name for links"}
        help_texts = {
            **InstitutionForm.Meta.help_texts,
            "slug": "Lower-case letters, digits and hyphens, e.g. example-vision. It cannot change later.",
        }


class RelationshipForm(forms.Form):
    """A link between the institution whose page this is and another one, in either direction."""

    OUTGOING, INCOMING = "out", "in"

    direction = forms.ChoiceField(widget=forms.RadioSelect, initial=OUTGOING)
    kind = forms.ChoiceField(choices=Relationship.Kind.choices, label="Kind of link")
    other = forms.ModelChoiceField(queryset=Institution.objects.none(), label="Other institution",
                                   empty_label="Choose an institution")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="What the source says, in your own words.")
    source = forms.CharField(required=False, max_length=300,
                             help_text="Where this is reported, e.g. a report page.")

    def __init__(self, *args, institution, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.institution = institution
        self.fields["direction"].choices = [
            (self.OUTGOING, f"{institution.name} … the other institution"),
            (self.INCOMING, f"The other institution … {institution.name}"),
        ]
        others = Institution.objects.visible_to(user).exclude(pk=institution.pk).only("pk", "name")
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
