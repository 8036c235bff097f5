"""
Logging and editing a record, with the sources it cites and the institutions it names, and the steps of its
workflow (submit, verify, reject, reopen) and its sharing. Every change goes through evidence/services/.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.context_processors import active_membership
from accounts.models import Group
from accounts.permissions import Action, can
from accounts.scoping import get_for_writer
from evidence.forms.record_rows import citation_formset, institution_formset
from evidence.forms.records import EvidenceRecordForm, ShareForm
from evidence.models import EvidenceRecord, Source
from evidence.services import directory, publicity, records, sources
from evidence.views.common import web_link
from evidence.views.record_detail import add_record_errors, record_queryset


def group_to_log_in(request):
    """
    The group a new record goes to: the one named in ?group=, else the active group, else the first group in
    which the user may log evidence. Also every such group, for the page's group choice.
    """
    user = request.user
    groups = [m.group for m in user.memberships_with_groups() if can(user, Action.LOG_EVIDENCE, m.group)]
    if request.GET.get("group"):
        group = get_for_writer(Group.objects.all(), user, Action.LOG_EVIDENCE, slug=request.GET["group"])
    else:
        membership = active_membership(request)
        active = membership.group if membership else None
        group = active if active in groups else next(iter(groups), None)
    if group is None:
        raise PermissionDenied(_("Your role in your groups does not allow logging evidence."))
    return group, groups


def _save_record(request, group, form, institutions, citations, record=None):
    """Create the new sources and the record, or update it, in one transaction; None if the service refused."""
    user = request.user
    try:
        with transaction.atomic():
            cited = []
            for row in citations.rows():
                citation = row.citation_values()
                if citation["source"] is None:
                    citation["source"] = sources.create_source(group, actor=user, **row.new_source_values())
                cited.append(citation)
            named = institutions.links(
                created=lambda values: directory.add_group_institution(group, actor=user, **values))
            relations = {"institutions": named, "citations": cited}
            if record is None:
                return records.create_record(group, actor=user, **relations, **form.record_values())
            return records.update_record(record, actor=user, **relations, **form.record_values())
    except ValidationError as exc:
        add_record_errors(form, exc)
        return None


def _tell_shares_withdrawn(request, record):
    reason = getattr(record, "shares_withdrawn", "")
    if reason:
        messages.warning(request, _("The record is no longer shared with other groups: %(reason)s")
                         % {"reason": reason})


def _duplicate_rows(citations):
    """What the page shows of the sources a new source may duplicate, with links only to web addresses."""
    for row in citations:
        row.duplicate_rows = [{"source": source, "url": web_link(source.url)} for source in row.duplicates]


def _record_form_page(request, group, *, record=None, groups=()):
    user = request.user
    data = request.POST if request.method == "POST" else None
    sources = Source.objects.visible_to(user).filter(group=group)
    # The form writes submitted values onto its instance while validating; keep the page's copy clean.
    instance = EvidenceRecord.objects.get(pk=record.pk) if record is not None and data is not None else record
    form = EvidenceRecordForm(data, instance=instance)
    institutions = institution_formset(group=group, data=data,
                                       links=record.institution_links.all() if record else ())
    citations = citation_formset(sources=sources, data=data, citations=record.citations.all() if record else ())
    status = 200
    if data is not None:
        valid = [form.is_valid(), institutions.is_valid(), citations.is_valid()]  # all three, for every error
        saved = all(valid) and _save_record(request, group, form, institutions, citations, record)
        if saved:
            messages.success(request, _("“%(title)s” was saved.") % {"title": saved.title} if record else
                             _("“%(title)s” was logged as a draft of %(group)s.") % {"title": saved.title,
                                                                                   "group": group.name})
            _tell_shares_withdrawn(request, saved)
            return redirect(saved)
        status = 400
    _duplicate_rows(citations)
    held_back = sum(bool(row.duplicates) for row in [*institutions.forms, *citations.forms])
    return render(request, "evidence/record_form.html", {
        "form": form, "institutions": institutions, "citations": citations, "group": group, "groups": groups,
        "record": record, "has_sources": sources.exists(),
        "other_errors": data is not None and (
            bool(form.errors) or institutions.total_error_count() + citations.total_error_count() > held_back),
    }, status=status)


@login_required
def evidence_create(request):
    group, groups = group_to_log_in(request)
    return _record_form_page(request, group, groups=groups)


@login_required
def evidence_edit(request, pk):
    record = get_for_writer(record_queryset(), request.user, Action.LOG_EVIDENCE, pk=pk)
    if record.status == EvidenceRecord.Status.VERIFIED:
        messages.error(request, _("A verified record is reopened before it is edited."))
        return redirect(record)
    return _record_form_page(request, record.group, record=record)


# step -> (service, the action it needs, what to tell the person afterwards)
RECORD_STEPS = {
    "submit": (records.submit_record, Action.LOG_EVIDENCE, gettext_lazy("The record was submitted for verification.")),
    "verify": (records.verify_record, Action.VERIFY_EVIDENCE, gettext_lazy("The record was verified.")),
    "reject": (records.reject_record, Action.VERIFY_EVIDENCE, gettext_lazy("The record was rejected.")),
    "reopen": (records.reopen_record, Action.VERIFY_EVIDENCE, gettext_lazy("The record was reopened as a draft.")),
}


@login_required
@require_POST
def evidence_step(request, pk, step):
    if step not in RECORD_STEPS:
        raise Http404("No such step.")
    service, action, done = RECORD_STEPS[step]
    record = get_for_writer(EvidenceRecord.objects.all(), request.user, action, pk=pk)
    kwargs = {"reason": request.POST.get("reason", "")} if step in ("reject", "reopen") else {}
    try:
        changed = service(record, actor=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
        _tell_shares_withdrawn(request, changed)
    return redirect(_back_to(request, record))


def _back_to(request, record):
    """Where a step returns: `next` when it is a path of this site (the home's verify form), else the record."""
    wanted = request.POST.get("next", "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                                  require_https=request.is_secure()):
        return wanted
    return record


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def evidence_delete(request, pk):
    """Asks first (GET), then deletes (POST)."""
    record = get_for_writer(EvidenceRecord.objects.all(), request.user, Action.LOG_EVIDENCE, pk=pk)
    records.ensure_may_delete(record, request.user)
    if request.method == "POST":
        records.delete_record(record, actor=request.user)
        messages.success(request, _("The record, its files and the content of its history are deleted."))
        return redirect("evidence-list")
    return render(request, "evidence/record_delete.html", {"record": record})


@login_required
@require_POST
def evidence_share(request, pk):
    record = get_for_writer(EvidenceRecord.objects.all(), request.user, Action.SHARE_EVIDENCE, pk=pk)
    form = ShareForm(request.POST, record=record, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Sharing was not changed: choose groups from the list."))
        return redirect(record)
    groups, everyone = list(form.cleaned_data["groups"]), form.cleaned_data["everyone"]
    try:
        records.share_record(record, actor=request.user, groups=groups, everyone=everyone)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if everyone:
            messages.success(request, _("Every group on the site can now read this record."))
        elif groups:
            messages.success(request, _("Shared with %(groups)s.") % {"groups": ", ".join(g.name for g in groups)})
        else:
            messages.success(request, _("The record is no longer shared."))
    return redirect(record)


@login_required
@require_POST
def evidence_public(request, pk):
    """Mark a record public (public=1) or private again (public=0): a coordinator's decision (services.publicity)."""
    record = get_for_writer(EvidenceRecord.objects.all(), request.user, Action.PUBLISH, pk=pk)
    public = request.POST.get("public") == "1"
    try:
        publicity.mark_public(record, actor=request.user, public=public)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The record is now public where a published campaign cites it.") if public
                         else _("The record is no longer public."))
    return redirect(record)
