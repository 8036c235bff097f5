"""The spreadsheet to import records from."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Group


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
