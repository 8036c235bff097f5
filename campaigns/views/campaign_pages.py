"""A group's campaigns: the list, the form, a campaign's page with its chart and timeline, its overdue board."""

from collections import Counter
from datetime import timedelta
from itertools import chain

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.context_processors import active_membership
from accounts.forms import add_service_errors
from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from campaigns import services
from campaigns.filters import CampaignFilterSet
from campaigns.forms import CampaignForm
from campaigns.models import AskBatch, Campaign, Interaction, StanceChange, Target, TargetEvidence, Task
from campaigns.views.common import PAGE_SIZE, UPCOMING_DAYS, visible_campaigns, visible_targets, with_shown_evidence
from evidence.models import EvidenceRecord

RECENT = 10
TIMELINE_LENGTH = 40


@login_required
@require_safe
def campaign_list(request):
    user = request.user
    filterset = CampaignFilterSet(request.GET or None, queryset=Campaign.objects.visible_to(user).for_list())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    membership = active_membership(request)
    return render(request, "campaigns/campaign_list.html", {
        "filterset": filterset, "form": filterset.form, "page_obj": page,
        "can_create": Group.objects.writable_by(user, Action.MANAGE_CAMPAIGNS).exists(),
        # The replies fetched from the active group's mailbox, for those who run its campaigns (the menu is full).
        "inbox_group": membership.group if membership and can(user, Action.MANAGE_CAMPAIGNS, membership.group)
        else None,
    })


def _campaign_form_page(request, form, campaign=None, status=200):
    return render(request, "campaigns/campaign_form.html", {"form": form, "campaign": campaign}, status=status)


@login_required
def campaign_create(request):
    groups = Group.objects.writable_by(request.user, Action.MANAGE_CAMPAIGNS)
    if not groups.exists():
        raise PermissionDenied(_("Your role in your groups does not allow running campaigns."))
    if request.method != "POST":
        return _campaign_form_page(request, CampaignForm(groups=groups, initial={"group": groups.first()}))
    form = CampaignForm(request.POST, groups=groups)
    if form.is_valid():
        try:
            campaign = services.create_campaign(form.cleaned_data["group"], actor=request.user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign “%(title)s” was created. Add its targets next.")
                             % {"title": campaign.title})
            return redirect(campaign)
    return _campaign_form_page(request, form, status=400)


@login_required
def campaign_edit(request, pk):
    campaign = get_for_writer(visible_campaigns(request.user), request.user, Action.MANAGE_CAMPAIGNS, pk=pk)
    if request.method != "POST":
        return _campaign_form_page(request, CampaignForm(instance=campaign), campaign)
    form = CampaignForm(request.POST, instance=campaign)
    if form.is_valid():
        try:
            services.update_campaign(campaign, actor=request.user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign was saved."))
            return redirect(campaign)
    return _campaign_form_page(request, form, campaign, status=400)


BAR_ROW, BAR_LEFT, BAR_SPACE = 28, 160, 420


def status_chart(counts):
    """Rows of the targets-by-status bar chart, in pipeline order, with each bar's length in the drawing's units."""
    largest = max(counts.values(), default=0) or 1
    rows = []
    for index, (value, label) in enumerate(Target.Status.choices):
        count = counts.get(value, 0)
        width = round(BAR_SPACE * count / largest, 1)
        rows.append({"status": value, "label": label, "count": count, "y": index * BAR_ROW, "width": width,
                     "count_x": BAR_LEFT + width + 6, "text_y": index * BAR_ROW + 18, "bar_y": index * BAR_ROW + 4})
    return {"rows": rows, "height": len(rows) * BAR_ROW, "total": sum(counts.values()),
            "label_x": BAR_LEFT - 10, "bar_x": BAR_LEFT}


def _timeline(user, campaign, interactions, batches):
    """
    What happened in the campaign, newest first: moves of targets, interactions, batches sent, its start. Given the
    campaign's newest interactions and its batches, which the dashboard shows as well (read once for both).
    """
    moves = with_shown_evidence(
        StanceChange.objects.visible_to(user).filter(target__campaign=campaign)
        .select_related("target__institution", "changed_by", "interaction", "evidence")
        .order_by("-changed_at", "-pk"), user, limit=TIMELINE_LENGTH)
    entries = chain(
        ({"when": move.changed_at.date(), "at": move.changed_at, "kind": "move", "move": move} for move in moves),
        ({"when": i.occurred_on, "at": i.created_at, "kind": "interaction", "interaction": i}
         for i in interactions[:TIMELINE_LENGTH]),
        ({"when": b.sent_on, "at": b.created_at, "kind": "batch", "batch": b} for b in batches[:TIMELINE_LENGTH]),
        [{"when": timezone.localdate(campaign.created_at), "at": campaign.created_at, "kind": "created"}],
    )
    return sorted(entries, key=lambda entry: (entry["when"], entry["at"]), reverse=True)[:TIMELINE_LENGTH]


@login_required
@require_safe
def campaign_detail(request, pk):
    user = request.user
    campaign = get_for_user(visible_campaigns(user), user, pk=pk)
    today = timezone.localdate()
    until = today + timedelta(days=UPCOMING_DAYS)
    # Each list read once, and what the dashboard shows of it twice taken from it here: building and sending a
    # query costs more than filtering a campaign's few dozen rows in Python.
    targets = list(visible_targets(user).filter(campaign=campaign))
    open_tasks = list(Task.objects.visible_to(user).filter(campaign=campaign).for_list().open())
    batches = AskBatch.objects.visible_to(user).filter(campaign=campaign).with_stats()
    # Newest first (the model's order), for the recent interactions and the timeline.
    interactions = list(Interaction.objects.visible_to(user).filter(target__campaign=campaign)
                        .select_related("target__institution")[:TIMELINE_LENGTH])
    can_manage = can(user, Action.MANAGE_CAMPAIGNS, campaign.group)
    return render(request, "campaigns/campaign_detail.html", {
        "campaign": campaign,
        "recommendations": campaign.recommendations.select_related("report"),
        "chart": status_chart(Counter(target.status for target in targets)),
        "targets": targets,
        "due_targets": sorted((target for target in targets if target.is_chased and target.next_step_due
                               and target.next_step_due <= until), key=lambda target: target.next_step_due),
        "due_tasks": [task for task in open_tasks if task.due_on and task.due_on <= until],
        "open_tasks": open_tasks,
        "today": today,
        "batches": batches,
        "recent_interactions": interactions[:RECENT],
        "recent_evidence": _recent_evidence(user, campaign),
        "timeline": _timeline(user, campaign, interactions, batches),
        "can_manage": can_manage,
        "can_pack": can(user, Action.GENERATE_PACKS, campaign.group),
        "can_publish": can(user, Action.PUBLISH, campaign.group),
    })


def _recent_evidence(user, campaign):
    return (TargetEvidence.objects.visible_to(user)
            .filter(target__campaign=campaign, record__in=EvidenceRecord.objects.visible_to(user))
            .select_related("record", "target__institution", "added_by")[:RECENT])


@login_required
@require_safe
def campaign_overdue(request, pk):
    """The overdue board: every chased target and open task of the campaign past its date, oldest first."""
    user = request.user
    campaign = get_for_user(visible_campaigns(user), user, pk=pk)
    today = timezone.localdate()
    return render(request, "campaigns/overdue.html", {
        "campaign": campaign, "today": today,
        "targets": visible_targets(user).filter(campaign=campaign).overdue(today)
        .order_by("next_step_due", "created_at", "pk"),
        "tasks": Task.objects.visible_to(user).filter(campaign=campaign).overdue(today).for_list()
        .order_by("due_on", "created_at", "pk"),
    })
