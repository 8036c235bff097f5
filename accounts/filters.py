"""FilterSets for the accounts pages, and filters every app's FilterSets share."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry, User
from accounts.scoping import LARGEST_ID


class AuditEntryFilterSet(django_filters.FilterSet):
    """Filters of a group's audit log; the view passes the group so the choices are that group's own."""

    action = django_filters.ChoiceFilter(choices=[], empty_label=_("Any action"), label=_("Action"))
    actor = django_filters.ModelChoiceFilter(queryset=User.objects.none(), to_field_name="username",
                                             empty_label=_("Anyone"), label=_("Who"))
    after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("On or after"),
                                      widget=forms.DateInput(attrs={"type": "date"}))
    before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("On or before"),
                                       widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEntry
        fields = ["action", "actor", "after", "before"]

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        actions = group.audit_entries.order_by("action").values_list("action", flat=True).distinct()
        self.filters["action"].extra["choices"] = [(action, action) for action in actions]
        # Current members, and whoever else acted in the group's log (a member who has since left).
        self.filters["actor"].queryset = User.objects.filter(
            Q(pk__in=group.audit_entries.filter(actor__isnull=False).values("actor"))
            | Q(pk__in=group.memberships.values("user"))
        ).order_by("username")


class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number the database can hold, else the filter's own error (never a server error)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        super().__init__(*args, **kwargs)
