"""FilterSets shared by the campaign pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from accounts.filters import IdFilter
from campaigns.models import AskBatch, Campaign, Interaction, Target, Task

DATE = forms.DateInput(attrs={"type": "date"})
YES_NO = forms.Select(choices=[("", "Either"), ("true", "Yes"), ("false", "No")])


class CampaignFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search titles and goals")
    status = django_filters.ChoiceFilter(choices=Campaign.Status.choices, empty_label="Any status")
    group = django_filters.CharFilter(field_name="group__slug", label="Group (short name)")

    class Meta:
        model = Campaign
        fields = ["q", "status", "group"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(goal__icontains=value))


class TargetFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", label="Campaign (id)")
    status = django_filters.MultipleChoiceFilter(choices=Target.Status.choices)
    priority = django_filters.ChoiceFilter(choices=Target.Priority.choices, empty_label="Any")
    institution = django_filters.CharFilter(field_name="institution__slug", label="Institution (short name)")
    owner = django_filters.CharFilter(field_name="owner__username", label="Owner (username)")
    batch = IdFilter(field_name="batch_id", label="Batch (id)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Next step overdue", widget=YES_NO)

    class Meta:
        model = Target
        fields = ["campaign", "status", "priority", "institution", "owner", "batch", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue(timezone.localdate())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class InteractionFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="target__campaign_id", label="Campaign (id)")
    target = IdFilter(field_name="target_id", label="Target (id)")
    kind = django_filters.ChoiceFilter(choices=Interaction.Kind.choices, empty_label="Any kind")
    direction = django_filters.ChoiceFilter(choices=Interaction.Direction.choices, empty_label="Either")
    after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte", label="On or after", widget=DATE)
    before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte", label="On or before",
                                       widget=DATE)

    class Meta:
        model = Interaction
        fields = ["campaign", "target", "kind", "direction", "after", "before"]


class TaskFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", label="Campaign (id)")
    target = IdFilter(field_name="target_id", label="Target (id)")
    assignee = django_filters.CharFilter(field_name="assignee__username", label="Assignee (username)")
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True, widget=YES_NO)
    due_before = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label="Due on or before",
                                           widget=DATE)

    class Meta:
        model = Task
        fields = ["campaign", "target", "assignee", "done", "due_before"]


class AskBatchFilterSet(django_filters.FilterSet):
    campaign = IdFilter(field_name="campaign_id", label="Campaign (id)")
    sent_after = django_filters.DateFilter(field_name="sent_on", lookup_expr="gte", widget=DATE)

    class Meta:
        model = AskBatch
        fields = ["campaign", "sent_after"]
