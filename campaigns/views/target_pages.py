"""A campaign's targets: adding them, a target's page, moving it along the pipeline, the evidence it cites."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.comment_views import CommentForm, comment_rows
from accounts.forms import add_service_errors
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from campaigns import services
from campaigns.forms import AdvanceForm, EvidenceLinkForm, TargetAddForm, TargetForm
from campaigns.models import Interaction, StanceChange, Target, Task
from campaigns.querysets import linked_evidence, suggested_evidence
from campaigns.views.common import visible_campaigns, visible_targets, with_shown_evidence
from evidence.models import EvidenceRecord

SUGGESTIONS = 20


@login_required
def target_add(request, pk):
    user = request.user
    campaign = get_for_writer(visible_campaigns(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    form = TargetAddForm(request.POST or None, campaign=campaign, user=user, query=request.GET.get("q", ""),
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


def _comments_context(user, target):
    """The group's comments on the target (a target is only ever seen inside its campaign's group)."""
    may_write = can(user, Action.COMMENT, target.campaign.group)
    return {
        "comments": comment_rows(target, user),
        "comment_url": reverse("target-comment-create", args=[target.pk]) if may_write else "",
        "comment_form": CommentForm() if may_write else None,
    }


def _target_page(request, target, *, advance_form=None, link_form=None, status=200):
    user = request.user
    can_manage = can(user, Action.MANAGE_CAMPAIGNS, target.campaign.group)
    if can_manage and advance_form is None:
        advance_form = AdvanceForm(target=target, user=user)
    return render(request, "campaigns/target_detail.html", {
        "target": target,
        "campaign": target.campaign,
        "stance_changes": with_shown_evidence(
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
        **_comments_context(user, target),
    }, status=status)


@login_required
@require_safe
def target_detail(request, pk):
    return _target_page(request, get_for_user(visible_targets(request.user), request.user, pk=pk))


@login_required
def target_edit(request, pk):
    user = request.user
    target = get_for_writer(visible_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
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
    target = get_for_writer(visible_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
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
@require_POST
def target_evidence_link(request, pk):
    user = request.user
    target = get_for_writer(visible_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
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
    target = get_for_writer(visible_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    record = get_for_user(EvidenceRecord, user, pk=record_pk)
    if services.unlink_evidence(target, actor=user, record=record):
        messages.success(request, _("“%(title)s” was unlinked.") % {"title": record.title})
    return redirect(target)


@login_required
@require_POST
def target_evidence_key(request, pk, record_pk):
    """Mark a linked record as key evidence for the target (listed first in outward briefings), or unmark it."""
    user = request.user
    target = get_for_writer(visible_targets(user), user, Action.MANAGE_CAMPAIGNS, pk=pk)
    record = get_for_user(EvidenceRecord, user, pk=record_pk)
    key = request.POST.get("key") == "on"
    if not services.mark_key_evidence(target, actor=user, record=record, key=key):
        raise Http404("This record is not linked to the target.")
    if key:
        messages.success(request, _("“%(title)s” is now key evidence.") % {"title": record.title})
    else:
        messages.success(request, _("“%(title)s” is no longer key evidence.") % {"title": record.title})
    return redirect(target)
