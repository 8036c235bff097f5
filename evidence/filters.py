"""FilterSets shared by the pages and the API."""

import django_filters
from django import forms

from evidence.models import Institution, Sector


def country_choices():
    # A callable, so the choices are read when a form is built, not frozen into a cached field.
    countries = Institution.objects.exclude(country="").order_by("country").values_list("country", flat=True)
    return [(country, country) for country in countries.distinct()]


class InstitutionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search names, Chinese names and aliases")
    kind = django_filters.ChoiceFilter(choices=Institution.Kind.choices, empty_label="Any kind")
    sector = django_filters.ModelChoiceFilter(
        field_name="sectors", to_field_name="slug", queryset=Sector.objects.all(), empty_label="Any sector",
        label="Sector",
    )
    country = django_filters.ChoiceFilter(choices=country_choices, empty_label="Any country")
    investigated = django_filters.BooleanFilter(
        label="Investigated by the report",
        widget=forms.Select(choices=[("", "Either"), ("true", "Yes"), ("false", "No")]),
    )

    class Meta:
        model = Institution
        fields = ["q", "kind", "sector", "country", "investigated"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
