"""
Importing records from a spreadsheet: upload, preview every row and its problems, then import the rows inline or,
past settings.IMPORT_INLINE_MAX_ROWS, as a background job whose page shows its progress (evidence/imports/). A
file larger than settings.IMPORT_INLINE_PREVIEW_BYTES is read and checked by that job too: the upload only stores
it, and the job's page shows its progress, then the rows and the choice to import them.
"""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.context_processors import active_membership
from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_user, get_for_writer
from config.api import UploadRateThrottle
from config.limits import request_limits
from config.storage import STORAGE_DOWN, STORAGE_DOWN_STATUS, StorageUnavailable
from evidence.attachments import display_name
from evidence.forms.imports import EvidenceImportForm
from evidence.imports import parsing
from evidence.imports.jobs import (
    cancel_checked_import,
    confirm_checked_import,
    queue_check,
    queue_import,
    retry_import,
)
from evidence.imports.parsing import COLUMNS, REQUIRED_COLUMNS, ImportRefused
from evidence.imports.preview import read_upload
from evidence.imports.saving import import_rows
from evidence.imports.stored_preview import load_preview
from evidence.imports.uploads import delete_upload, load_upload, store_upload, upload_kept
from evidence.models import EvidenceImport, EvidenceRecord

# {token: {"file": stored name, "group": id, "user": id, "name": the upload's name}} of the previews on screen.
IMPORTS_SESSION_KEY = "evidence_imports"
# Previews kept per session (several tabs); an older one's file is deleted when a newer one pushes it out.
MAX_PENDING_IMPORTS = 3
IMPORT_ACTIONS = {"import_all", "import_valid", "cancel"}


def _import_groups(user):
    groups = Group.objects.writable_by(user, Action.LOG_EVIDENCE)
    if not groups.exists():
        raise PermissionDenied(_("Your role in your groups does not allow logging evidence."))
    return groups


def _import_form_page(request, form, status=200):
    return render(request, "evidence/import_form.html", {
        "form": form, "columns": COLUMNS, "required_columns": REQUIRED_COLUMNS,
        "kinds": EvidenceRecord.Kind.choices, "max_rows": parsing.MAX_ROWS,
    }, status=status)


def _import_preview_page(request, *, group, preview, file_name, token=None, confirm_url=None, form=None,
                         status=200):
    """
    Every row and its problems. With a token (a file checked at once) or a confirm_url (one the worker checked)
    the person may import or cancel; without, only upload again.
    """
    if token is not None:
        confirm_url = reverse("evidence-import-confirm", args=[token])
    response = render(request, "evidence/import_preview.html", {
        "group": group, "preview": preview, "file_name": file_name, "token": token, "confirm_url": confirm_url,
        "form": form,
    }, status=status)
    response["Cache-Control"] = "private, no-store"  # the rows are the group's private evidence
    return response


def _remember_import(request, entry):
    pending = dict(request.session.get(IMPORTS_SESSION_KEY, {}))
    token = secrets.token_urlsafe(24)
    pending[token] = entry
    while len(pending) > MAX_PENDING_IMPORTS:
        oldest = next(iter(pending))
        delete_upload(pending.pop(oldest)["file"])
    request.session[IMPORTS_SESSION_KEY] = pending
    return token


@login_required
@request_limits(throttle=UploadRateThrottle)
def evidence_import(request):
    groups = _import_groups(request.user)
    if request.method != "POST":
        membership = active_membership(request)
        active = membership.group if membership else None
        initial = active if active is not None and groups.filter(pk=active.pk).exists() else groups.first()
        return _import_form_page(request, EvidenceImportForm(groups=groups, initial={"group": initial}))
    form = EvidenceImportForm(request.POST, request.FILES, groups=groups)
    if not form.is_valid():
        return _import_form_page(request, form, status=400)
    group, upload = form.cleaned_data["group"], form.cleaned_data["file"]
    data = upload.read()
    if len(data) > settings.IMPORT_INLINE_PREVIEW_BYTES:
        return _check_in_the_worker(request, form, group, data, display_name(upload.name))
    try:
        preview = read_upload(data, group=group)
    except ImportRefused as exc:
        form.add_error("file", exc.messages)
        return _import_form_page(request, form, status=400)
    file_name = display_name(upload.name)
    try:
        stored_name = store_upload(data, preview.format)
    except StorageUnavailable:
        form.add_error("file", STORAGE_DOWN)
        return _import_form_page(request, form, status=STORAGE_DOWN_STATUS)
    token = _remember_import(request, {"file": stored_name, "group": group.pk, "user": request.user.pk,
                                       "name": file_name})
    return _import_preview_page(request, group=group, preview=preview, file_name=file_name, token=token)


def _check_in_the_worker(request, form, group, data, file_name):
    """A large file: stored, and read and checked by the worker; its page shows the rows when they are checked."""
    try:
        file_format = parsing.detect_format(data)  # what is no spreadsheet at all is refused now, and not kept
    except ImportRefused as exc:
        form.add_error("file", exc.messages)
        return _import_form_page(request, form, status=400)
    try:
        stored_name = store_upload(data, file_format)
    except StorageUnavailable:
        form.add_error("file", STORAGE_DOWN)
        return _import_form_page(request, form, status=STORAGE_DOWN_STATUS)
    job = queue_check(group, actor=request.user, stored_file=stored_name, file_name=file_name,
                      language=get_language())
    return redirect(job)


@login_required
@require_POST
def evidence_import_confirm(request, token):
    action = request.POST.get("action")
    pending = dict(request.session.get(IMPORTS_SESSION_KEY, {}))
    entry = pending.get(token)
    if entry is None or entry.get("user") != request.user.pk:
        raise Http404("No such import.")
    if action not in IMPORT_ACTIONS:
        return HttpResponseBadRequest(_("Choose to import the rows or to cancel."))
    del pending[token]
    request.session[IMPORTS_SESSION_KEY] = pending
    try:
        return _finish_import(request, entry, action)
    finally:
        # Imported, refused, cancelled or failed: the uploaded file is not kept, unless the worker now has it.
        if not EvidenceImport.objects.filter(stored_file=entry["file"]).exists():
            delete_upload(entry["file"])


def _finish_import(request, entry, action):
    if action == "cancel":
        messages.info(request, _("The import was cancelled and the file discarded; nothing was saved."))
        return redirect("evidence-import")
    user = request.user
    group = get_for_writer(Group.objects.all(), user, Action.LOG_EVIDENCE, pk=entry["group"])
    data = load_upload(entry["file"])
    if data is None:
        messages.error(request, _("The uploaded file is no longer here; upload it again."))
        return redirect("evidence-import")
    try:
        # Checked again: the directory or the group's sources may have changed since the preview.
        preview = read_upload(data, group=group)
    except ImportRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("evidence-import")
    rows = preview.rows if action == "import_all" else preview.valid_rows
    problem = None
    if action == "import_all" and preview.invalid_rows:
        problem = _("Nothing was imported: some rows have errors.")
    elif not rows:
        problem = _("Nothing was imported: no row is ready to import.")
    elif len(rows) > settings.IMPORT_INLINE_MAX_ROWS:
        job = queue_import(group, actor=user, stored_file=entry["file"], file_name=entry["name"],
                           only_valid_rows=action == "import_valid", row_count=len(rows))
        messages.info(request, _("%(count)s rows are being imported into %(group)s in the background.")
                      % {"count": intcomma(len(rows)), "group": group.name})
        return redirect(job)
    else:
        try:
            created = import_rows(group, user, rows)
        except ValidationError as exc:
            problem = _("Nothing was imported. %(reason)s") % {"reason": " ".join(exc.messages)}
    if problem:
        messages.error(request, _("%(problem)s Correct the file and upload it again.") % {"problem": problem})
        form = EvidenceImportForm(groups=_import_groups(user), initial={"group": group})
        return _import_preview_page(request, group=group, preview=preview, file_name=entry["name"], form=form,
                                    status=400)
    messages.success(request, ngettext("%(count)s record imported into %(group)s, as drafts.",
                                       "%(count)s records imported into %(group)s, as drafts.", len(created))
                     % {"count": intcomma(len(created)), "group": group.name})
    return redirect("evidence-list")


@login_required
@require_safe
def evidence_import_detail(request, pk):
    job = get_for_user(EvidenceImport.objects.select_related("group"), request.user, pk=pk)
    # The rows are shown to the person who uploaded them only, as a file checked at once is (held in their
    # session): the rest of the group sees the import's status until its records exist.
    if job.status == EvidenceImport.Status.CHECKED and job.requested_by_id == request.user.pk:
        if request.htmx:
            response = HttpResponse()
            response["HX-Refresh"] = "true"  # the whole page changes: the rows and the choice to import them
            return response
        return _checked_import_page(request, job)
    template = "includes/_job_status.html" if request.htmx else "evidence/import_detail.html"
    return render(request, template, {
        "job": job,
        # A file the worker refused is not kept: there is nothing to try again, only a new upload.
        "can_retry": job.status == EvidenceImport.Status.FAILED and can(request.user, Action.LOG_EVIDENCE, job.group)
        and (job.confirmed or upload_kept(job.stored_file)),
    })


def _checked_import_page(request, job):
    preview = load_preview(job.stored_file)
    if preview is None:
        messages.error(request, _("The uploaded file is no longer here; upload it again."))
        return redirect("evidence-import")
    decides = can(request.user, Action.LOG_EVIDENCE, job.group)
    return _import_preview_page(request, group=job.group, preview=preview, file_name=job.file_name,
                                confirm_url=reverse("evidence-import-decide", args=[job.pk]) if decides else None)


@login_required
@require_POST
def evidence_import_decide(request, pk):
    """Import or cancel the rows the worker checked (EvidenceImport in status CHECKED)."""
    job = get_for_writer(EvidenceImport.objects.select_related("group"), request.user, Action.LOG_EVIDENCE, pk=pk)
    if job.requested_by_id != request.user.pk or job.status != EvidenceImport.Status.CHECKED:
        raise Http404("No such import.")
    action = request.POST.get("action")
    if action not in IMPORT_ACTIONS:
        return HttpResponseBadRequest(_("Choose to import the rows or to cancel."))
    try:
        if action == "cancel":
            cancel_checked_import(job, actor=request.user)
            messages.info(request, _("The import was cancelled and the file discarded; nothing was saved."))
            return redirect("evidence-import")
        preview = load_preview(job.stored_file)
        if preview is None:
            messages.error(request, _("The uploaded file is no longer here; upload it again."))
            return redirect("evidence-import")
        rows = preview.rows if action == "import_all" else preview.valid_rows
        if action == "import_all" and preview.invalid_rows:
            raise ValidationError(_("Nothing was imported: some rows have errors."))
        if not rows:
            raise ValidationError(_("Nothing was imported: no row is ready to import."))
        confirm_checked_import(job, actor=request.user, only_valid_rows=action == "import_valid",
                               row_count=len(rows))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(job)
    messages.info(request, _("%(count)s rows are being imported into %(group)s in the background.")
                  % {"count": intcomma(len(rows)), "group": job.group.name})
    return redirect(job)


@login_required
@require_POST
def evidence_import_retry(request, pk):
    job = get_for_writer(EvidenceImport.objects.select_related("group"), request.user, Action.LOG_EVIDENCE, pk=pk)
    try:
        retry_import(job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import is queued again."))
    return redirect(job)
