"""
Source captures on pages: a coordinator's switch, "capture now" on a source, a capture's page (polled while the
worker renders it) with its files and their hashes, retry, and the files' downloads. Only the group's own members
see any of it: captures are files, which never leave the group (evidence/disclosure.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.files import serve
from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from evidence.capture import services
from evidence.models import CaptureFile, Source, SourceCapture
from evidence.near_duplicates import describe, near_duplicates


@login_required
@require_POST
def group_source_capture(request, slug):
    group = get_for_writer(Group, request.user, Action.MANAGE_MEMBERS, slug=slug)
    enabled = request.POST.get("captures_sources") == "on"
    services.set_source_capture(group, enabled=enabled, actor=request.user)
    if enabled:
        messages.success(request, _("Web pages your group logs as sources are now captured (never protected ones)."))
    else:
        messages.success(request, _("Sources are no longer captured; the captures already made are kept."))
    return redirect("member-list", group.slug)


@login_required
@require_POST
def source_capture_request(request, pk):
    source = get_for_writer(Source.objects.select_related("group"), request.user, Action.LOG_EVIDENCE, pk=pk)
    try:
        capture = services.request_capture(source, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(request.POST["next"] if _safe_next(request) else "evidence-list")
    messages.info(request, _("The page is being captured."))
    return redirect(capture)


def _safe_next(request):
    """Whether the form's `next` is a page of this site (the record page the button was on)."""
    wanted = request.POST.get("next", "")
    return bool(wanted) and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                            require_https=request.is_secure())


@login_required
@require_safe
def source_capture_detail(request, pk):
    capture = get_for_user(SourceCapture.objects.select_related("group", "source"), request.user, pk=pk)
    files = list(capture.files.order_by("kind")) if capture.status == SourceCapture.Status.DONE else []
    context = {
        "job": capture,
        "capture": capture,
        "files": files,
        "near_duplicates": [{"distance": gap, **describe(row)} for file in files if file.phash
                            for gap, row in near_duplicates(capture.group, file.phash, exclude=[file])],
        "can_retry": capture.status == SourceCapture.Status.FAILED
        and can(request.user, Action.LOG_EVIDENCE, capture.group),
    }
    template = "includes/_job_status.html" if request.htmx else "evidence/capture_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def source_capture_retry(request, pk):
    capture = get_for_writer(SourceCapture.objects.select_related("group", "source"), request.user,
                             Action.LOG_EVIDENCE, pk=pk)
    try:
        services.retry_capture(capture, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The capture is queued again."))
    return redirect(capture)


@login_required
@require_safe
def capture_file_download(request, pk):
    capture_file = get_for_user(CaptureFile.objects.all(), request.user, pk=pk)
    return serve(capture_file, actor=request.user)
