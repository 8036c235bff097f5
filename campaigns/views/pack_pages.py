"""
Briefing packs: the start form for each scope (campaign, target, institution, evidence search), a group's packs,
a pack's progress, retry and download, and the public page that checks a pack's signature.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.forms import add_service_errors
from accounts.models import Group
from accounts.permissions import Action
from accounts.scoping import get_for_user, get_for_writer
from campaigns import services
from campaigns.forms import PackForm, PackVerifyForm
from campaigns.models import BriefingPack
from campaigns.packs import keys
from campaigns.packs.scope import clean_search_query, describe_search
from campaigns.packs.storage import open_for_download
from campaigns.packs.verify import verify_upload
from campaigns.views.common import PAGE_SIZE, visible_campaigns, visible_targets
from config.api import VerifyRateThrottle
from config.limits import request_limits
from evidence.models import Institution


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
    campaign = get_for_writer(visible_campaigns(request.user), request.user, Action.GENERATE_PACKS, pk=pk)
    return _start_pack(request, scope=BriefingPack.Scope.CAMPAIGN,
                       subject=_("the campaign “%(title)s”") % {"title": campaign.title},
                       back_url=campaign.get_absolute_url(), group=campaign.group, campaign=campaign)


@login_required
def pack_create_target(request, pk):
    target = get_for_writer(visible_targets(request.user), request.user, Action.GENERATE_PACKS, pk=pk)
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
    template = "includes/_job_status.html" if request.htmx else "campaigns/pack_detail.html"
    return render(request, template, {"job": pack, "pack": pack, "group": pack.group, "can_retry": True})


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
    page = {"form": PackVerifyForm(), "site_keys": keys.site_keys()}
    if request.method != "POST":
        return render(request, "campaigns/pack_verify.html", page)
    form = PackVerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "campaigns/pack_verify.html", {**page, "form": form}, status=400)
    result = verify_upload(form.cleaned_data["file"])
    return render(request, "campaigns/pack_verify.html", {**page, "result": result},
                  status=200 if result.readable else 400)
