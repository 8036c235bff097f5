"""The day-to-day of a campaign: interactions with a target and their files, batches of asks, tasks, my work."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.files import serve
from accounts.forms import add_service_errors
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from campaigns import services
from campaigns.forms import InteractionForm, TaskForm
from campaigns.models import AskBatch, InteractionAttachment, Task
from campaigns.views.common import UPCOMING_DAYS, visible_campaigns, visible_targets
from config.api import UploadRateThrottle
from config.limits import request_limits
from config.storage import STORAGE_DOWN, STORAGE_DOWN_STATUS, StorageUnavailable


@login_required
@request_limits(throttle=UploadRateThrottle)
def interaction_create(request, pk):
    user = request.user
    target = get_for_writer(visible_targets(user), user, Action.LOG_INTERACTION, pk=pk)
    can_move = can(user, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    form = InteractionForm(request.POST or None, request.FILES or None, target=target, can_move=can_move,
                           initial={"occurred_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            status = 400
            try:
                services.log_interaction(target, actor=user, **form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            except StorageUnavailable:
                form.add_error(None, STORAGE_DOWN)
                status = STORAGE_DOWN_STATUS
            else:
                messages.success(request, _("The interaction was logged."))
                return redirect(target)
        else:
            status = 400
    return render(request, "campaigns/interaction_form.html", {"form": form, "target": target}, status=status)


@login_required
@require_safe
def batch_detail(request, pk):
    user = request.user
    batch = get_for_user(AskBatch.objects.select_related("campaign__group"), user, pk=pk)
    [batch] = AskBatch.objects.filter(pk=batch.pk).select_related("campaign__group").with_stats()
    return render(request, "campaigns/batch_detail.html", {
        "batch": batch, "campaign": batch.campaign, "stats": batch.stats,
        "targets": visible_targets(user).filter(batch=batch).prefetch_related("interactions"),
    })


@login_required
def task_create(request, pk):
    user = request.user
    campaign = get_for_writer(visible_campaigns(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    initial = {"target": request.GET.get("target")} if request.GET.get("target", "").isdigit() else {}
    form = TaskForm(request.POST or None, campaign=campaign, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.create_task(campaign, actor=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The task was added."))
                return redirect(campaign)
        return render(request, "campaigns/task_form.html", {"form": form, "campaign": campaign}, status=400)
    return render(request, "campaigns/task_form.html", {"form": form, "campaign": campaign})


@login_required
@require_POST
def task_complete(request, pk):
    user = request.user
    task = get_for_user(Task.objects.select_related("campaign__group"), user, pk=pk)
    done = request.POST.get("done", "1") != "0"
    services.complete_task(task, actor=user, done=done)
    messages.success(request, (_("“%(title)s” is done.") if done else _("“%(title)s” is open again."))
                     % {"title": task.title})
    next_url = request.POST.get("next")
    return redirect("my-work" if next_url == "my-work" else task.campaign)


@login_required
@require_safe
def interaction_attachment_download(request, pk):
    return serve(get_for_user(InteractionAttachment.objects.all(), request.user, pk=pk), actor=request.user)


@login_required
@require_safe
def my_work(request):
    """What is due for the signed-in person across their groups' campaigns: overdue first, then by date."""
    user = request.user
    today = timezone.localdate()
    until = today + timedelta(days=UPCOMING_DAYS)
    return render(request, "campaigns/my_work.html", {
        "today": today, "until": until,
        "targets": visible_targets(user).due_for(user, until).order_by("next_step_due", "created_at", "pk"),
        "tasks": Task.objects.visible_to(user).due_for(user, until).for_list().order_by("due_on", "created_at", "pk"),
        "undated_tasks": Task.objects.visible_to(user).open().filter(assignee=user, due_on__isnull=True)
        .for_list(),
    })
