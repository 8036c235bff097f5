"""FilterSets shared by the pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from evidence.models import EvidenceRecord, Institution, Sector


def country_choices(institutions=None):
    # A callable, so the choices are read when a form is built, not frozen into a cached field. Without the
    # user's institutions (the API schema) only the shared directory's: a country only a group's own
    # institutions have would tell everyone what that group looks into.
    institutions = Institution.objects.in_directory() if institutions is None else institutions
    countries = institutions.exclude(country="").order_by("country").values_list("country", flat=True)
    return [(country, country) for country in countries.distinct()]


class InstitutionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search names, Chinese names and aliases"))
    kind = django_filters.ChoiceFilter(choices=Institution.Kind.choices, empty_label=_("Any kind"), label=_("Kind"))
    sector = django_filters.ModelChoiceFilter(
        field_name="sectors", to_field_name="slug", queryset=Sector.objects.all(), empty_label=_("Any sector"),
        label=_("Sector"),
    )
    country = django_filters.ChoiceFilter(choices=country_choices, empty_label=_("Any country"), label=_("Country"))
    investigated = django_filters.BooleanFilter(
        label=_("Investigated by the report"),
        widget=forms.Select(choices=[("", _("Either")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Institution
        fields = ["q", "kind", "sector", "country", "investigated"]

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(*args, queryset=queryset, **kwargs)
        # The countries of the institutions this person may see (the view's visible_to queryset), no others.
        self.filters["country"].extra["choices"] = lambda: country_choices(self.queryset)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


class EvidenceRecordFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    kind = django_filters.ChoiceFilter(choices=EvidenceRecord.Kind.choices, empty_label=_("Any kind"), label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=EvidenceRecord.Status.choices, empty_label=_("Any status"),
                                        label=_("Status"))
    sector = django_filters.ModelChoiceFilter(field_name="sector", to_field_name="slug",
                                              queryset=Sector.objects.all(), empty_label=_("Any sector"),
                                              label=_("Sector"))
    institution = django_filters.CharFilter(method="filter_institution", label=_("Institution (short name)"))
    tag = django_filters.CharFilter(method="filter_tag", label=_("Tag"))
    group = django_filters.CharFilter(field_name="group__slug", label=_("Group"))
    # The home's "see all" links: what waits for my verification, what I logged.
    for_me = django_filters.ChoiceFilter(
        method="filter_for_me", label=_("Mine"), empty_label=_("Anyone's"),
        choices=[("verify", _("Waiting for my verification")), ("logged", _("Logged or submitted by me"))])
    happened_after = django_filters.DateFilter(method="filter_after", label=_("Happened on or after"),
                                               widget=forms.DateInput(attrs={"type": "date"}))
    happened_before = django_filters.DateFilter(field_name="event_start", lookup_expr="lte",
                                                label=_("Happened on or before"),
                                                widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = EvidenceRecord
        fields = ["q", "kind", "status", "sector", "institution", "tag", "group", "for_me", "happened_after",
                  "happened_before"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value, user=self.request.user)

    def filter_for_me(self, queryset, name, value):
        user = self.request.user
        mine = (self.Meta.model.objects.waiting_for(user) if value == "verify"
                else self.Meta.model.objects.logged_by(user))
        return queryset.filter(pk__in=mine.values("pk"))

    def filter_tag(self, queryset, name, value):
        return queryset.tagged(value, user=self.request.user)

    def filter_institution(self, queryset, name, value):
        return queryset.naming(Institution.objects.visible_to(self.request.user).filter(slug=value))

    def filter_after(self, queryset, name, value):
        # A range that ends after the date counts, as does a single day on or after it.
        return queryset.filter(Q(event_end__gte=value) | Q(event_end__isnull=True, event_start__gte=value))
