"""The forms of saved searches: saving the evidence list's search, and changing one on the saved searches page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.models import SavedSearch


class SavedSearchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    # The evidence list's query string: its "Save this search" form sends it hidden, what the person sees there is
    # what is saved; here it can be typed or corrected.
    query = forms.CharField(label=_("Filters and words (the evidence list's address after “?”)"), max_length=2000,
                            required=False)
    frequency = forms.ChoiceField(label=_("E-mail me new matches"), choices=SavedSearch.Frequency.choices,
                                  initial=SavedSearch.Frequency.WEEKLY)


class SavedSearchChangeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    frequency = forms.ChoiceField(label=_("E-mail me new matches"), choices=SavedSearch.Frequency.choices)
