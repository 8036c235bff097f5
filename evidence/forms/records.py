"""
A record's own fields, its rejection and its sharing. Validation only: the pages hand the cleaned values to
evidence/services/records.py, which checks the role and writes the history.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import LONG_TEXT_MAX_LENGTH, Group
from evidence.languages import LanguageSelect
from evidence.models import EvidenceRecord, Recommendation, Tag


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
            "language": LanguageSelect,
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
            "language": _("The main language of the sources."),
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
