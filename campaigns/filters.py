"""FilterSets shared by the campaign pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import IdFilter
from campaigns.models import AskBatch, Campaign, Interaction, Target, Task

DATE = forms.DateInput(attrs={"type": "date"})
YES_NO = forms.Select(choices=[("", _("Either")), ("true", _("Yes")), ("false", _("No"))])


class CampaignFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search titles and goals"))
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices, empty_label=_("Any status"),
                                        label=_("Status"))
    group = django_filters.CharFilter(field_name="group__slug", label=_("Group (short name)"))

    class Meta:
        model = Campaign
        fields = ["q", "status", "group"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(goal__icontains=value))


class TargetFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", label=_("Campaign (id)"))
    status = django_filters.MultipleChoiceFilter(choices=Target.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Target.Priority.choices, empty_label=_("Any"))
    institution = django_filters.CharFilter(field_name="institution__slug", label=_("Institution (short name)"))
    owner = django_filters.CharFilter(field_name="owner__username", label=_("Owner (username)"))
    batch = IdFilter(field_name="batch_id", label=_("Batch (id)"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Next step overdue"), widget=YES_NO)

    class Meta:
        model = Target
        fields = ["campaign", "status", "priority", "institution", "owner", "batch", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class InteractionFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="target__campaign_id", label=_("Campaign (id)"))
    target = IdFilter(field_name="target_id", label=_("Target (id)"))
    kind = django_filters.ChoiceFilter(choices=Interaction.Kind.choices, empty_label=_("Any kind"))
    direction = django_filters.ChoiceFilter(choices=Interaction.Direction.choices, empty_label=_("Either"))
    after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte", label=_("On or after"), widget=DATE)
    before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte", label=_("On or before"),
                                       widget=DATE)

    class Meta:
        model = Interaction
        fields = ["campaign", "target", "kind", "direction", "after", "before"]


class TaskFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", label=_("Campaign (id)"))
    target = IdFilter(field_name="target_id", label=_("Target (id)"))
    assignee = django_filters.CharFilter(field_name="assignee__username", label=_("Assignee (username)"))
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True, widget=YES_NO)
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due on or before"),
                                           widget=DATE)

    class Meta:
        model = Task
        fields = ["campaign", "target", "assignee", "done", "due_before"]


class AskBatchFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", label=_("Campaign (id)"))
    sent_after = django_filters.DateFilter(field_name="sent_on", lookup_expr="gte", widget=DATE)

    class Meta:
        model = AskBatch
        fields = ["campaign", "sent_after"]
