"""The spreadsheet to import records from."""

from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import Group

# The module, not its constants: the limits are read when a form is made, so tests can lower them.
from evidence.imports import parsing


class EvidenceImportForm(forms.Form):
    """The spreadsheet to import and the group it goes to; evidence.imports reads and checks the rows."""

    group = forms.ModelChoiceField(queryset=Group.objects.none(), empty_label=None, label=_("Import into"))
    file = forms.FileField(
        label=_("Spreadsheet"), allow_empty_file=False,
        widget=forms.FileInput(attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-"
                                                "officedocument.spreadsheetml.sheet"}),
    )

    def __init__(self, *args, groups, **kwargs):
        """`groups`: a queryset of the groups the person may log evidence in."""
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["file"].help_text = _(
            "A CSV file (UTF-8) or an Excel workbook (.xlsx), up to %(size)s and %(rows)s rows. The first row names "
            "the columns.") % {"size": filesizeformat(parsing.MAX_BYTES), "rows": intcomma(parsing.MAX_ROWS)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > parsing.MAX_BYTES:
            raise ValidationError(_("The file is %(size)s; the limit is %(limit)s. Split it into smaller files.")
                                  % {"size": filesizeformat(upload.size), "limit": filesizeformat(parsing.MAX_BYTES)})
        return upload
