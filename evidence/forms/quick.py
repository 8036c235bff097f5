"""
The quick record form for a phone: eight fields at most, each one a thumb can fill. Validation only; the page hands
`record_values()` to evidence.services.quick.log_quick_record.
"""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import LONG_TEXT_MAX_LENGTH
from evidence.models import EvidenceRecord, Source


class QuickRecordForm(forms.Form):
    """What happened, where and when, one institution, one source link and/or one photo, protected or not."""

    title = forms.CharField(max_length=EvidenceRecord._meta.get_field("title").max_length, label=_("What happened"),
                            help_text=_("In a few words, e.g. “Emotion cameras at a school gate”."))
    summary = forms.CharField(max_length=LONG_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
                              label=_("Details"), help_text=_("What you saw or read, and who is involved."))
    place = forms.CharField(max_length=EvidenceRecord._meta.get_field("place").max_length, required=False,
                            label=_("Where"), help_text=_("Province and/or city."))
    event_start = forms.DateField(required=False, label=_("When"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    # A text box with the directory's names as suggestions (a <datalist>: type-ahead in the browser, no JavaScript).
    institution = forms.CharField(max_length=200, required=False, label=_("Institution"),
                                  help_text=_("Start typing a name, in English or Chinese, and pick a suggestion."),
                                  widget=forms.TextInput(attrs={"list": "quick-institutions", "autocomplete": "off"}))
    source_url = forms.URLField(max_length=Source._meta.get_field("url").max_length, required=False,
                                assume_scheme="https", label=_("Source link"),
                                help_text=_("Where you read it: a news article, a notice, a post."),
                                widget=forms.URLInput(attrs={"inputmode": "url"}))
    # `capture` opens the phone's camera; a file from the gallery works too. The content is checked on upload.
    photo = forms.FileField(required=False, allow_empty_file=False, label=_("Photo"),
                            widget=forms.FileInput(attrs={"accept": "image/*", "capture": "environment"}))
    protected = forms.BooleanField(required=False, label=_("Protected"),
                                   help_text=_("Never shared with other groups, even once verified."))

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.institutions = institutions
        self.fields["photo"].help_text = _("Take one with the camera, up to %(size)s. Only your group's members can "
                                           "see it.") % {"size": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}

    def suggestions(self):
        """The names the institution box suggests: each institution's name, and its Chinese name when it has one."""
        for name, name_zh in self.institutions.order_by("name").values_list("name", "name_zh"):
            yield name
            if name_zh:
                yield name_zh

    def clean_institution(self):
        text = " ".join(self.cleaned_data["institution"].split())
        if not text:
            return None
        folded = text.casefold()
        for institution in self.institutions.search(text).only("pk", "name", "name_zh", "slug", "added_by_group"):
            if folded in {institution.name.casefold(), institution.name_zh.casefold(), institution.slug}:
                return institution
        matches = list(self.institutions.search(text)[:2])
        if len(matches) == 1:
            return matches[0]
        raise forms.ValidationError(
            _("No institution of the directory is called “%(name)s”: pick one of the suggestions, or leave this "
              "empty and name it later from the full form.") % {"name": text})

    def record_values(self):
        """The keyword arguments of evidence.services.quick.log_quick_record."""
        return dict(self.cleaned_data)
