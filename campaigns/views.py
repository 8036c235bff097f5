"""
Campaign pages. Each view fetches with an access check (get_for_user: 404 for another group's objects;
get_for_writer: 403 for a role that only reads), hands cleaned form values to campaigns/services.py and redirects;
a refused form is shown again with its errors and status 400.
"""

from datetime import timedelta
from itertools import chain

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.files import serve
from accounts.forms import add_service_errors
from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from campaigns import services
from campaigns.filters import CampaignFilterSet
from campaigns.forms import (
    AdvanceForm,
    CampaignForm,
    EvidenceLinkForm,
    InteractionForm,
    PackForm,
    PackVerifyForm,
    TargetAddForm,
    TargetForm,
    TaskForm,
)
from campaigns.models import (
    AskBatch,
    BriefingPack,
    Campaign,
    Interaction,
    InteractionAttachment,
    StanceChange,
    Target,
    Task,
)
from campaigns.querysets import linked_evidence, suggested_evidence
from config.api import UploadRateThrottle, VerifyRateThrottle
from config.limits import request_limits
from evidence import disclosure
from evidence.models import EvidenceRecord, Institution

PAGE_SIZE = 50
UPCOMING_DAYS = 14
RECENT = 10
TIMELINE_LENGTH = 40
SUGGESTIONS = 20


def _campaigns(user):
    return Campaign.objects.visible_to(user).select_related("group", "lead")


def _targets(user):
    return Target.objects.visible_to(user).select_related("campaign__group", "institution", "owner", "batch")


#
# Campaigns
#


@login_required
@require_safe
def campaign_list(request):
    user = request.user
    filterset = CampaignFilterSet(request.GET or None, queryset=Campaign.objects.visible_to(user).for_list())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/campaign_list.html", {
        "filterset": filterset, "form": filterset.form, "page_obj": page,
        "can_create": Group.objects.writable_by(user, Action.MANAGE_CAMPAIGNS).exists(),
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
    campaign = get_for_writer(_campaigns(request.user), request.user, Action.MANAGE_CAMPAIGNS, pk=pk)
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


def _with_shown_evidence(stance_changes, user, limit=None):
    """
    The stance changes, each with `shown_evidence`: the record it cites if `user` may still see it, else None
    (the page then says "a record no longer shared with you"). Asked again on every page: evidence/disclosure.py.
    """
    changes = list(disclosure.annotate_cited(stance_changes, user)[:limit])
    for change in changes:
        change.shown_evidence = disclosure.cited_record(change)
    return changes


def _timeline(user, campaign):
    """What happened in the campaign, newest first: moves of targets, interactions, batches sent, its start."""
    moves = _with_shown_evidence(
        StanceChange.objects.visible_to(user).filter(target__campaign=campaign)
        .select_related("target__institution", "changed_by", "interaction", "evidence")
        .order_by("-changed_at", "-pk"), user, limit=TIMELINE_LENGTH)
    interactions = (Interaction.objects.visible_to(user).filter(target__campaign=campaign)
                    .select_related("target__institution")[:TIMELINE_LENGTH])
    batches = AskBatch.objects.visible_to(user).filter(campaign=campaign)[:TIMELINE_LENGTH]
    entries = chain(
        ({"when": move.changed_at.date(), "at": move.changed_at, "kind": "move", "move": move} for move in moves),
        ({"when": i.occurred_on, "at": i.created_at, "kind": "interaction", "interaction": i}
         for i in interactions),
        ({"when": b.sent_on, "at": b.created_at, "kind": "batch", "batch": b} for b in batches),
        [{"when": timezone.localdate(campaign.created_at), "at": campaign.created_at, "kind": "created"}],
    )
    return sorted(entries, key=lambda entry: (entry["when"], entry["at"]), reverse=True)[:TIMELINE_LENGTH]


@login_required
@require_safe
def campaign_detail(request, pk):
    user = request.user
    campaign = get_for_user(_campaigns(user), user, pk=pk)
    today = timezone.localdate()
    until = today + timedelta(days=UPCOMING_DAYS)
    targets = _targets(user).filter(campaign=campaign)
    tasks = Task.objects.visible_to(user).filter(campaign=campaign).for_list()
    can_manage = can(user, Action.MANAGE_CAMPAIGNS, campaign.group)
    return render(request, "campaigns/campaign_detail.html", {
        "campaign": campaign,
        "recommendations": campaign.recommendations.select_related("report"),
        "chart": status_chart(Target.objects.visible_to(user).filter(campaign=campaign).count_by_status()),
        "targets": targets,
        "due_targets": targets.chased().filter(next_step_due__lte=until).order_by("next_step_due"),
        "due_tasks": tasks.open().filter(due_on__lte=until),
        "open_tasks": tasks.open(),
        "today": today,
        "batches": AskBatch.objects.visible_to(user).filter(campaign=campaign).with_stats(),
        "recent_interactions": Interaction.objects.visible_to(user).filter(target__campaign=campaign)
        .for_list()[:RECENT],
        "recent_evidence": _recent_evidence(user, campaign),
        "timeline": _timeline(user, campaign),
        "can_manage": can_manage,
        "can_pack": can(user, Action.GENERATE_PACKS, campaign.group),
    })


def _recent_evidence(user, campaign):
    from campaigns.models import TargetEvidence

    return (TargetEvidence.objects.visible_to(user)
            .filter(target__campaign=campaign, record__in=EvidenceRecord.objects.visible_to(user))
            .select_related("record", "target__institution", "added_by")[:RECENT])


@login_required
@require_safe
def campaign_overdue(request, pk):
    """The overdue board: every chased target and open task of the campaign past its date, oldest first."""
    user = request.user
    campaign = get_for_user(_campaigns(user), user, pk=pk)
    today = timezone.localdate()
    return render(request, "campaigns/overdue.html", {
        "campaign": campaign, "today": today,
        "targets": _targets(user).filter(campaign=campaign).overdue(today)
        .order_by("next_step_due", "created_at", "pk"),
        "tasks": Task.objects.visible_to(user).filter(campaign=campaign).overdue(today).for_list()
        .order_by("due_on", "created_at", "pk"),
    })


#
# Targets
#


@login_required
def target_add(request, pk):
    user = request.user
    campaign = get_for_writer(_campaigns(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    form = TargetAddForm(request.POST or None, campaign=campaign, user=user,
                         initial={"ask": "\n".join(r.ask for r in campaign.recommendations.all())})
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                batch, added = services.add_targets(campaign, actor=user, **data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if batch:
                    message = ngettext("%(count)s target added as the batch “%(batch)s”.",
                                       "%(count)s targets added as the batch “%(batch)s”.", len(added))
                else:
                    message = ngettext("%(count)s target added.", "%(count)s targets added.", len(added))
                messages.success(request, message % {"count": len(added), "batch": batch.title if batch else ""})
                return redirect(campaign)
        return render(request, "campaigns/target_add.html", {"form": form, "campaign": campaign}, status=400)
    return render(request, "campaigns/target_add.html", {"form": form, "campaign": campaign})


def _target_page(request, target, *, advance_form=None, link_form=None, status=200):
    user = request.user
    can_manage = can(user, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    if can_manage and advance_form is None:
        advance_form = AdvanceForm(target=target, user=user)
    return render(request, "campaigns/target_detail.html", {
        "target": target,
        "campaign": target.campaign,
        "stance_changes": _with_shown_evidence(
            StanceChange.objects.visible_to(user).filter(target=target)
            .select_related("changed_by", "interaction", "evidence").order_by("-changed_at", "-pk"), user),
        "interactions": Interaction.objects.visible_to(user).filter(target=target)
        .select_related("created_by").prefetch_related("attachments"),
        "linked_evidence": linked_evidence(target, user),
        "suggested_evidence": suggested_evidence(target, user)[:SUGGESTIONS] if can_manage else [],
        "tasks": Task.objects.visible_to(user).filter(target=target).for_list(),
        "can_manage": can_manage,
        "can_log": can(user, Action.LOG_INTERACTION, target.campaign.group),
        "can_pack": can(user, Action.GENERATE_PACKS, target.campaign.group),
        "advance_form": advance_form if can_manage else None,
        "link_form": link_form,
        "today": timezone.localdate(),
    }, status=status)


@login_required
@require_safe
def target_detail(request, pk):
    return _target_page(request, get_for_user(_targets(request.user), request.user, pk=pk))


@login_required
def target_edit(request, pk):
    user = request.user
    target = get_for_writer(_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    form = TargetForm(request.POST or None, instance=target)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_target(target, actor=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The target was saved."))
                return redirect(target)
        return render(request, "campaigns/target_form.html", {"form": form, "target": target}, status=400)
    return render(request, "campaigns/target_form.html", {"form": form, "target": target})


@login_required
@require_POST
def target_advance(request, pk):
    user = request.user
    target = get_for_writer(_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    form = AdvanceForm(request.POST, target=target, user=user)
    if form.is_valid():
        try:
            services.advance_target(target, actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is now “%(status)s”.") % {
                "name": target.institution.name, "status": Target.Status(form.cleaned_data["to_status"]).label})
            return redirect(target)
    return _target_page(request, target, advance_form=form, status=400)


@login_required
@request_limits(throttle=UploadRateThrottle)
def interaction_create(request, pk):
    user = request.user
    target = get_for_writer(_targets(user), user, Action.LOG_INTERACTION, pk=pk)
    can_move = can(user, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    form = InteractionForm(request.POST or None, request.FILES or None, target=target, can_move=can_move,
                           initial={"occurred_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.log_interaction(target, actor=user, **form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The interaction was logged."))
                return redirect(target)
        status = 400
    return render(request, "campaigns/interaction_form.html", {"form": form, "target": target}, status=status)


@login_required
@require_POST
def target_evidence_link(request, pk):
    user = request.user
    target = get_for_writer(_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    form = EvidenceLinkForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.link_evidence(target, actor=user, record=form.cleaned_data["record"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("“%(title)s” now supports the case.")
                             % {"title": form.cleaned_data["record"].title})
            return redirect(target)
    return _target_page(request, target, link_form=form, status=400)


@login_required
@require_POST
def target_evidence_unlink(request, pk, record_pk):
    user = request.user
    target = get_for_writer(_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    record = get_for_user(EvidenceRecord, user, pk=record_pk)
    if services.unlink_evidence(target, actor=user, record=record):
        messages.success(request, _("“%(title)s” was unlinked.") % {"title": record.title})
    return redirect(target)


#
# Batches, tasks, attachments, my work
#


@login_required
@require_safe
def batch_detail(request, pk):
    user = request.user
    batch = get_for_user(AskBatch.objects.select_related("campaign__group"), user, pk=pk)
    [batch] = AskBatch.objects.filter(pk=batch.pk).select_related("campaign__group").with_stats()
    return render(request, "campaigns/batch_detail.html", {
        "batch": batch, "campaign": batch.campaign, "stats": batch.stats,
        "targets": _targets(user).filter(batch=batch).prefetch_related("interactions"),
    })


@login_required
def task_create(request, pk):
    user = request.user
    campaign = get_for_writer(_campaigns(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
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
        "targets": _targets(user).due_for(user, until).order_by("next_step_due", "created_at", "pk"),
        "tasks": Task.objects.visible_to(user).due_for(user, until).for_list().order_by("due_on", "created_at", "pk"),
        "undated_tasks": Task.objects.visible_to(user).open().filter(assignee=user, due_on__isnull=True)
        .for_list(),
    })


#
# Briefing packs
#


def _pack_form_page(request, form, *, scope, subject, back_url, query="", status=200):
    return render(request, "campaigns/pack_form.html", {
        "form": form, "scope": scope, "subject": subject, "back_url": back_url, "query": query,
    }, status=status)


def _start_pack(request, *, scope, subject, back_url, group=None, groups=None, query="", **scope_object):
    """The start form of a pack; on a valid POST the service queues it and the pack's page shows its progress."""
    if request.method != "POST":
        form = PackForm(groups=groups, initial={"group": groups.first()} if groups is not None else None)
        return _pack_form_page(request, form, scope=scope, subject=subject, back_url=back_url, query=query)
    form = PackForm(request.POST, groups=groups)
    if form.is_valid():
        try:
            pack = services.request_pack(group or form.cleaned_data["group"], actor=request.user, scope=scope,
                                         search_query=query, **scope_object, **form.options())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The pack is being built; this page shows its progress."))
            return redirect(pack)
    return _pack_form_page(request, form, scope=scope, subject=subject, back_url=back_url, query=query, status=400)


def _pack_groups(user):
    groups = Group.objects.writable_by(user, Action.GENERATE_PACKS).order_by("name")
    if not groups.exists():
        raise PermissionDenied(_("Only coordinators generate briefing packs."))
    return groups


@login_required
def pack_create_campaign(request, pk):
    campaign = get_for_writer(_campaigns(request.user), request.user, Action.GENERATE_PACKS, pk=pk)
    return _start_pack(request, scope=BriefingPack.Scope.CAMPAIGN,
                       subject=_("the campaign “%(title)s”") % {"title": campaign.title},
                       back_url=campaign.get_absolute_url(), group=campaign.group, campaign=campaign)


@login_required
def pack_create_target(request, pk):
    target = get_for_writer(_targets(request.user), request.user, Action.GENERATE_PACKS, pk=pk)
    return _start_pack(request, scope=BriefingPack.Scope.TARGET,
                       subject=_("%(name)s in “%(campaign)s”") % {"name": target.institution.name,
                                                                   "campaign": target.campaign.title},
                       back_url=target.get_absolute_url(), group=target.campaign.group, target=target)


@login_required
def pack_create_institution(request, slug):
    institution = get_for_user(Institution.objects.all(), request.user, slug=slug)
    groups = _pack_groups(request.user)
    if institution.added_by_group_id is not None:
        # An institution a group keeps to itself goes only into that group's packs.
        groups = groups.filter(pk=institution.added_by_group_id)
        if not groups.exists():
            raise PermissionDenied(_("Only the coordinators of the group that added it make packs of it."))
    return _start_pack(request, scope=BriefingPack.Scope.INSTITUTION, subject=institution.name,
                       back_url=institution.get_absolute_url(), groups=groups, institution=institution)


@login_required
def pack_create_search(request):
    """A pack of the evidence list's current filters, which the link carries in its query string."""
    from campaigns.packs import clean_search_query, describe_search

    query = clean_search_query(request.POST.get("query", "") if request.method == "POST"
                               else request.GET.urlencode())
    back = reverse("evidence-list") + (f"?{query}" if query else "")
    return _start_pack(request, scope=BriefingPack.Scope.SEARCH, subject=describe_search(query), back_url=back,
                       groups=_pack_groups(request.user), query=query)


@login_required
@require_safe
def pack_list(request, slug):
    group = get_for_writer(Group, request.user, Action.GENERATE_PACKS, slug=slug)
    packs = BriefingPack.objects.visible_to(request.user).filter(group=group).select_related("requested_by")
    page = Paginator(packs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/pack_list.html", {"group": group, "page_obj": page})


def _pack_for_coordinator(request, pk):
    return get_for_writer(BriefingPack.objects.select_related("group", "requested_by"), request.user,
                          Action.GENERATE_PACKS, pk=pk)


@login_required
@require_safe
def pack_detail(request, pk):
    pack = _pack_for_coordinator(request, pk)
    template = "campaigns/_pack_status.html" if request.htmx else "campaigns/pack_detail.html"
    return render(request, template, {"pack": pack, "group": pack.group})


@login_required
@require_POST
def pack_retry(request, pk):
    pack = _pack_for_coordinator(request, pk)
    try:
        services.retry_pack(pack, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The pack is being built again."))
    return redirect(pack)


@login_required
@require_safe
def pack_download(request, pk):
    """Checked on every download (the role may have changed since the pack was made) and written to the audit log."""
    from campaigns.packs import open_for_download

    pack = _pack_for_coordinator(request, pk)
    try:
        handle = open_for_download(pack)
    except FileNotFoundError as exc:
        raise Http404("This pack is not ready, or has expired.") from exc
    services.record_pack_download(pack, actor=request.user)
    return _zip_response(handle, pack)


def _zip_response(handle, pack):
    response = FileResponse(handle, as_attachment=True, filename=pack.download_name, content_type="application/zip")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@request_limits(throttle=VerifyRateThrottle, max_bytes=lambda: settings.PACK_VERIFY_MAX_BYTES)
def pack_verify(request):
    """
    Public: anyone holding a pack checks it here, signed in or not. The answer says only whether this site signed
    the manifest and how the uploaded files compare with it; nothing is read from the database or kept.
    """
    from campaigns.packs import verify_upload

    if request.method != "POST":
        return render(request, "campaigns/pack_verify.html", {"form": PackVerifyForm()})
    form = PackVerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "campaigns/pack_verify.html", {"form": form}, status=400)
    result = verify_upload(form.cleaned_data["file"])
    return render(request, "campaigns/pack_verify.html", {"form": PackVerifyForm(), "result": result},
                  status=200 if result.readable else 400)
