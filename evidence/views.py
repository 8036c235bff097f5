"""
Pages of the reports and of the shared institution directory. Every signed-in member reads them; coordinators
(of any group) and site staff edit the directory, through evidence/services/directory.py, which checks that again.

Then the pages of each group's evidence records, which change only through evidence/services/.
"""

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import history_of
from accounts.context_processors import active_membership
from accounts.files import serve
from accounts.forms import add_service_errors
from accounts.models import Group, Membership
from accounts.permissions import Action, can, can_in_any_group
from accounts.scoping import get_for_user, get_for_writer
from config.api import UploadRateThrottle
from config.limits import request_limits
from evidence import disclosure, importing
from evidence.attachments import display_name
from evidence.filters import EvidenceRecordFilterSet, InstitutionFilterSet
from evidence.forms import (
    AttachmentForm,
    BulkActionForm,
    EvidenceImportForm,
    EvidenceRecordForm,
    InstitutionCreateForm,
    InstitutionForm,
    RejectForm,
    RelationshipForm,
    ShareForm,
    citation_formset,
    institution_formset,
)
from evidence.models import (
    Attachment,
    EvidenceImport,
    EvidenceRecord,
    Institution,
    Relationship,
    Report,
    Source,
)
from evidence.network import layout
from evidence.search import SearchPaginator
from evidence.services import attachments, bulk, directory, records, sources

PAGE_SIZE = 50
HISTORY_LIMIT = 50
HIDDEN_EDITOR = gettext_lazy("a coordinator of another group")


def _web_link(url):
    """`url` if it is safe to put in an href. Imported datasets skip form validation, so check the scheme."""
    return url if urlsplit(url or "").scheme in ("http", "https") else ""


#
# Reports
#


@login_required
@require_safe
def report_list(request):
    return render(request, "evidence/report_list.html", {"reports": Report.objects.all()})


@login_required
@require_safe
def report_detail(request, slug):
    report = get_object_or_404(Report, slug=slug)
    by_addressee = {}  # in the order of the report's first recommendation to each addressee
    for recommendation in report.recommendations.order_by("order", "pk"):
        by_addressee.setdefault(recommendation.addressee, []).append(recommendation)
    return render(request, "evidence/report_detail.html", {
        "report": report,
        "report_url": _web_link(report.url),
        "licence_url": _web_link(report.licence_url),
        "addressees": list(by_addressee.items()),
        "sectors": report.sectors.all(),
        "rights": report.rights.all(),
    })


#
# The institution directory
#


def _can_edit(user, institution=None):
    try:
        directory.ensure_directory_editor(user, institution)
    except PermissionDenied:
        return False
    return True


@login_required
@require_safe
def institution_list(request):
    filterset = InstitutionFilterSet(
        request.GET or None, queryset=Institution.objects.visible_to(request.user).for_list()
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evidence/institution_list.html", {
        "filterset": filterset, "form": filterset.form, "page_obj": page, "can_edit": _can_edit(request.user),
    })


def _detail_queryset():
    return Institution.objects.select_related("parent", "source_report", "added_by_group").prefetch_related("sectors")


def _relationship_rows(institution, relationships):
    rows = []
    for relationship in relationships:
        outgoing = relationship.source_institution_id == institution.pk
        other = relationship.target_institution if outgoing else relationship.source_institution
        rows.append({"relationship": relationship, "outgoing": outgoing, "other": other})
    return sorted(rows, key=lambda row: (row["other"].name.casefold(), row["relationship"].kind))


_ACTION_LABELS = {
    "institution.created": gettext_lazy("Added to the directory"),
    "institution.updated": gettext_lazy("Edited"),
    "relationship.added": gettext_lazy("Relationship added"),
    "relationship.removed": gettext_lazy("Relationship removed"),
}


def _field_label(name):
    if name in InstitutionForm.Meta.labels:  # the models' own names are English only
        return str(InstitutionForm.Meta.labels[name])
    try:
        return str(Institution._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field the model no longer has
        return name


def _history_rows(institution, viewer):
    """
    The history, newest first. The editor's username shows only to people who share a group with them:
    the site's users face state surveillance, so whose member someone is must not leak to other groups.
    """
    entries = list(history_of(institution)[:HISTORY_LIMIT])
    actor_ids = {entry.actor_id for entry in entries if entry.actor_id}
    # Memberships the viewer may see are those of the viewer's own groups: an editor among them shares one.
    colleagues = set(
        Membership.objects.visible_to(viewer).filter(user_id__in=actor_ids).values_list("user_id", flat=True)
    ) | {viewer.pk}
    # Relationship entries name their ends by slug; show the names instead.
    slugs = set()
    for entry in entries:
        if entry.action.startswith("relationship."):
            data = entry.after or entry.before or {}
            slugs.update(filter(None, [data.get("from"), data.get("to")]))
    names = dict(Institution.objects.visible_to(viewer).filter(slug__in=slugs).values_list("slug", "name"))
    rows = []
    for entry in entries:
        if entry.actor_id is None:
            editor = _("an account since deleted")
        elif entry.actor_id in colleagues:
            editor = entry.actor.username
        else:
            editor = HIDDEN_EDITOR
        changes = ""
        if entry.action == "institution.updated":
            changes = ", ".join(_field_label(name) for name in (entry.after or {}))
        elif entry.action.startswith("relationship."):
            data = entry.after or entry.before or {}
            kind = data.get("kind", "")
            kind = Relationship.Kind(kind).label if kind in Relationship.Kind.values else kind
            source, target = data.get("from"), data.get("to")
            changes = f"{names.get(source, source)} {kind} {names.get(target, target)}"
        rows.append({"when": entry.created_at, "action": _ACTION_LABELS.get(entry.action, entry.action),
                     "changes": changes, "editor": editor})
    return rows


EVIDENCE_ON_INSTITUTION_PAGE = 50


def _detail_page(request, institution, relationship_form=None, status=200):
    user = request.user
    visible = Institution.objects.visible_to(user)
    relationships = list(
        Relationship.objects.filter(Q(source_institution=institution) | Q(target_institution=institution))
        .filter(source_institution__in=visible, target_institution__in=visible)
        .select_related("source_institution", "target_institution")
    )
    can_edit = _can_edit(user, institution)
    # Links join directory entries only: on a shared page, a link to a group's own institution would show it.
    can_link = _can_edit(user) and institution.added_by_group_id is None
    link_search = request.GET.get("link_q", "").strip()[:100]
    if can_link and relationship_form is None:
        relationship_form = RelationshipForm(institution=institution, user=user, search=link_search)
    return render(request, "evidence/institution_detail.html", {
        "institution": institution,
        "website": _web_link(institution.website),
        "children": visible.filter(parent=institution).only("slug", "name"),
        "relationships": _relationship_rows(institution, relationships),
        "network": layout(institution, relationships),
        "history": _history_rows(institution, user),
        # Evidence the user may see: their groups' records and copies shared with them.
        "evidence": EvidenceRecord.objects.visible_to(user).naming([institution]).select_related("group")
        .without_search_documents().order_by("-created_at", "-pk")[:EVIDENCE_ON_INSTITUTION_PAGE],
        "can_edit": can_edit,
        "can_add_to_directory": can_edit and institution.added_by_group_id is not None,
        "link_search": link_search,
        "relationship_form": relationship_form if can_link else None,
    }, status=status)


@login_required
@require_safe
def institution_detail(request, slug):
    return _detail_page(request, get_for_user(_detail_queryset(), request.user, slug=slug))


def _form_page(request, form, institution=None, status=200):
    countries = (Institution.objects.visible_to(request.user).exclude(country="").order_by("country")
                 .values_list("country", flat=True).distinct())
    return render(request, "evidence/institution_form.html",
                  {"form": form, "institution": institution, "countries": countries}, status=status)


@login_required
def institution_create(request):
    directory.ensure_directory_editor(request.user)
    if request.method != "POST":
        return _form_page(request, InstitutionCreateForm(user=request.user))
    form = InstitutionCreateForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            institution = directory.create_institution(actor=request.user, **form.cleaned_data)
        except IntegrityError:  # someone took the slug since the form checked it
            form.add_error("slug", _("An institution with this short name already exists."))
        else:
            messages.success(request, _("%(name)s was added to the directory.") % {"name": institution.name})
            return redirect(institution)
    return _form_page(request, form, status=400)


@login_required
def institution_edit(request, slug):
    institution = get_for_user(Institution.objects.select_related("added_by_group"), request.user, slug=slug)
    directory.ensure_directory_editor(request.user, institution)
    if request.method != "POST":
        return _form_page(request, InstitutionForm(instance=institution, user=request.user), institution)
    # The form writes the submitted values onto its instance while validating; keep the page's own copy clean.
    unsaved = Institution.objects.get(pk=institution.pk)
    form = InstitutionForm(request.POST, instance=unsaved, user=request.user)
    if form.is_valid():
        institution = directory.update_institution(institution, actor=request.user, **form.cleaned_data)
        messages.success(request, _("%(name)s was saved.") % {"name": institution.name})
        return redirect(institution)
    return _form_page(request, form, institution, status=400)


@login_required
@require_POST
def institution_add_to_directory(request, slug):
    institution = get_for_user(_detail_queryset(), request.user, slug=slug)
    try:
        directory.add_to_directory(institution, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s is now in the shared directory.") % {"name": institution.name})
    return redirect(institution)


@login_required
@require_POST
def relationship_add(request, slug):
    institution = get_for_user(_detail_queryset(), request.user, slug=slug)
    directory.ensure_directory_editor(request.user)
    form = RelationshipForm(request.POST, institution=institution, user=request.user)
    if not form.is_valid():
        messages.error(request, _("The relationship was not added; see the form below."))
        return _detail_page(request, institution, relationship_form=form, status=400)
    relationship = directory.add_relationship(actor=request.user, **form.relationship_values())
    messages.success(request, _("Added: %(relationship)s.") % {"relationship": relationship})
    return redirect(institution)


@login_required
@require_POST
def relationship_remove(request, pk):
    visible = Institution.objects.visible_to(request.user)
    relationship = get_object_or_404(
        Relationship.objects.select_related("source_institution", "target_institution")
        .filter(source_institution__in=visible, target_institution__in=visible),
        pk=pk,
    )
    directory.ensure_directory_editor(request.user)
    directory.remove_relationship(relationship, actor=request.user)
    messages.success(request, _("Removed: %(relationship)s.") % {"relationship": relationship})
    # Back to the page the button was on: either end of the relationship, nowhere else.
    if request.POST.get("back") == relationship.target_institution.slug:
        return redirect(relationship.target_institution)
    return redirect(relationship.source_institution)


#
# Evidence records
#


def _record_queryset():
    return (EvidenceRecord.objects.for_list()
            .select_related("submitted_by", "decided_by", "created_by")
            .prefetch_related("recommendations__report", "rights", "citations__source"))


def _filtered_records(request, query):
    filterset = EvidenceRecordFilterSet(
        query or None, queryset=EvidenceRecord.objects.visible_to(request.user).for_list(), request=request
    )
    matching = filterset.qs
    if not (filterset.is_bound and filterset.form.cleaned_data.get("q")):
        matching = matching.order_by("-created_at", "-pk")  # with a search, its relevance order stands
    return filterset, matching


def _evidence_list_page(request, query, *, bulk_form=None, status=200):
    user = request.user
    filterset, matching = _filtered_records(request, query)
    page = SearchPaginator(matching, PAGE_SIZE).get_page(query.get("page"))
    viewer = disclosure.viewer_of(user)
    membership = active_membership(request)
    can_change = can_in_any_group(user, Action.LOG_EVIDENCE)
    ticked = set(bulk_form.cleaned_data.get("records", ())) if bulk_form and bulk_form.is_bound else set()
    return render(request, "evidence/record_list.html", {
        "filterset": filterset, "form": filterset.form, "page_obj": page,
        "rows": [{"record": record, "shared_copy": not viewer.owns(record), "ticked": record.pk in ticked,
                  "institution_links": disclosure.visible_institution_links(viewer, record)} for record in page],
        "can_log": membership is not None and can(user, Action.LOG_EVIDENCE, membership.group),
        "bulk_form": (bulk_form or BulkActionForm(initial={"filters": query.urlencode()}, user=user))
        if can_change else None,
        "bulk_limit": bulk.BULK_LIMIT,
    }, status=status)


@login_required
@require_safe
def evidence_list(request):
    return _evidence_list_page(request, request.GET)


@login_required
@require_POST
def evidence_bulk(request):
    """One change to the ticked records, or to every record the list's filters match (bulk.bulk_change)."""
    if not can_in_any_group(request.user, Action.LOG_EVIDENCE):
        raise PermissionDenied(_("Your role in your groups does not allow changing records."))
    form = BulkActionForm(request.POST, user=request.user)
    query = QueryDict(request.POST.get("filters", ""))
    if not form.is_valid():
        return _evidence_list_page(request, query, bulk_form=form, status=400)
    filterset, matching = _filtered_records(request, query)
    if filterset.is_bound and not filterset.form.is_valid():
        # An invalid filter is dropped by the filterset, which would widen "every matching record".
        form.add_error(None, _("Correct the filters before changing every record they match."))
        return _evidence_list_page(request, query, bulk_form=form, status=400)
    data = form.cleaned_data
    if data["scope"] == "selected":
        matching = matching.filter(pk__in=data["records"])
    try:
        outcome = bulk.bulk_change(matching[:bulk.BULK_LIMIT + 1], actor=request.user, action=data["action"],
                                      tag=data["tag"], groups=list(data["groups"]), everyone=data["everyone"],
                                      target=data["target"])
    except PermissionDenied as exc:
        form.add_error("target", str(exc))
        return _evidence_list_page(request, query, bulk_form=form, status=400)
    except ValidationError as exc:
        _add_service_errors(form, exc)
        return _evidence_list_page(request, query, bulk_form=form, status=400)
    (messages.success if outcome.changed or not outcome.refused else messages.warning)(request, outcome.summary())
    return redirect(f"{reverse('evidence-list')}?{query.urlencode()}" if query else reverse("evidence-list"))


_RECORD_ACTIONS = {
    "evidence.created": gettext_lazy("Logged"),
    "evidence.updated": gettext_lazy("Edited"),
    "evidence.submit": gettext_lazy("Submitted for verification"),
    "evidence.verify": gettext_lazy("Verified"),
    "evidence.reject": gettext_lazy("Rejected"),
    "evidence.reopen": gettext_lazy("Reopened"),
    "evidence.shared": gettext_lazy("Sharing changed"),
    "evidence.attachment_added": gettext_lazy("File attached"),
}


def _record_field_label(name):
    if name in EvidenceRecordForm.Meta.labels:  # the models' own names are English only
        return str(EvidenceRecordForm.Meta.labels[name])
    try:
        field = EvidenceRecord._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    return str(getattr(field, "verbose_name", name.replace("_", " ")))


def _record_history(record):
    """The record's history for members of its group (never for receivers of a shared copy), newest first."""
    rows = []
    for entry in history_of(record)[:HISTORY_LIMIT]:
        after = entry.after or {}
        changes = ""
        if entry.action == "evidence.updated":
            changes = ", ".join(_record_field_label(name) for name in after)
        elif entry.action == "evidence.shared":
            everyone = after.get("shared_with_everyone")
            changes = (_("every group") if everyone
                       else ", ".join(after.get("shared_with") or []) or _("no longer shared"))
        elif entry.action == "evidence.attachment_added":
            changes = str(after.get("attachment", ""))
        rows.append({"when": entry.created_at, "action": _RECORD_ACTIONS.get(entry.action, entry.action),
                     "changes": changes,
                     "editor": entry.actor.username if entry.actor_id else _("an account since deleted")})
    return rows


def _citation_rows(shown):
    return [{"citation": row.citation, "source": row.source, "url": _web_link(row.source.url),
             "archive_url": _web_link(row.source.archive_url), "translator": row.translator}
            for row in shown.citations]


def _detail_record_page(request, record):
    user = request.user
    shown = disclosure.disclose(disclosure.viewer_of(user), record)
    shared_copy = shown.shared_copy
    Status = EvidenceRecord.Status
    can_log = can(user, Action.LOG_EVIDENCE, record.group)
    can_verify = can(user, Action.VERIFY_EVIDENCE, record.group)
    can_share = can(user, Action.SHARE_EVIDENCE, record.group) and record.status == Status.VERIFIED \
        and not record.protected
    context = {
        "record": record,
        "shared_copy": shared_copy,
        "citations": _citation_rows(shown),
        "institution_links": shown.institution_links,
        "tags": shown.tags,
        "submitted_by": shown.submitted_by,
        "decided_by": shown.decided_by,
        "created_by": shown.created_by,
        "can_submit": can_log and record.status in records.STEPS["submit"],
        # The two-person rule: the person who submitted a record is not offered its verification.
        "can_decide": can_verify and record.status == Status.SUBMITTED and record.submitted_by_id != user.pk,
        "can_reopen": can_verify and record.status in records.STEPS["reopen"],
        "can_edit": can_log and record.status != Status.VERIFIED,
        "upload_form": AttachmentForm() if can_log and record.status != EvidenceRecord.Status.VERIFIED else None,
        "share_form": ShareForm(record=record, user=user, initial={
            "groups": list(record.shared_with.all()), "everyone": record.shared_with_everyone,
        }) if can_share else None,
        "reject_form": RejectForm(),
        "attachments": Attachment.objects.visible_to(user).filter(record=record) if shown.files else [],
        "history": _record_history(record) if shown.history else [],
    }
    return render(request, "evidence/record_detail.html", context)


@login_required
@require_safe
def evidence_detail(request, pk):
    return _detail_record_page(request, get_for_user(_record_queryset(), request.user, pk=pk))


def _group_to_log_in(request):
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


def _add_service_errors(form, exc):
    add_service_errors(form, exc, label_of=_record_field_label)


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
        _add_service_errors(form, exc)
        return None


def _tell_shares_withdrawn(request, record):
    reason = getattr(record, "shares_withdrawn", "")
    if reason:
        messages.warning(request, _("The record is no longer shared with other groups: %(reason)s")
                         % {"reason": reason})


def _duplicate_rows(citations):
    """What the page shows of the sources a new source may duplicate, with links only to web addresses."""
    for row in citations:
        row.duplicate_rows = [{"source": source, "url": _web_link(source.url)} for source in row.duplicates]


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
    group, groups = _group_to_log_in(request)
    return _record_form_page(request, group, groups=groups)


@login_required
def evidence_edit(request, pk):
    record = get_for_writer(_record_queryset(), request.user, Action.LOG_EVIDENCE, pk=pk)
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
    return redirect(record)


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
@request_limits(throttle=UploadRateThrottle)
def attachment_upload(request, pk):
    record = get_for_writer(EvidenceRecord.objects.all(), request.user, Action.LOG_EVIDENCE, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(record)
    try:
        attachment = attachments.add_attachment(record, actor=request.user, uploaded_file=form.cleaned_data["file"])
    except ValidationError as exc:
        messages.error(request, _("The file was not attached: %(reason)s") % {"reason": " ".join(exc.messages)})
    else:
        messages.success(request, _("%(name)s was attached.") % {"name": attachment.original_name})
        if attachment.duplicates:
            titles = ", ".join(dict.fromkeys(f"“{other.record.title}”" for other in attachment.duplicates))
            messages.warning(request, _("Your group already had this file, attached to %(titles)s.")
                             % {"titles": titles})
    return redirect(record)


@login_required
@require_safe
def attachment_download(request, pk):
    # Attachment.objects.visible_to is the group's own members: receivers of a shared copy get no files.
    attachment = get_for_user(Attachment.objects.all(), request.user, pk=pk)
    return serve(attachment, actor=request.user)


#
# Importing records from a spreadsheet
#

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
        "form": form, "columns": importing.COLUMNS, "required_columns": importing.REQUIRED_COLUMNS,
        "kinds": EvidenceRecord.Kind.choices, "max_rows": importing.MAX_ROWS,
    }, status=status)


def _import_preview_page(request, *, group, preview, file_name, token=None, form=None, status=200):
    """Every row and its problems. With a token the person may import or cancel; without, only upload again."""
    response = render(request, "evidence/import_preview.html", {
        "group": group, "preview": preview, "file_name": file_name, "token": token, "form": form,
    }, status=status)
    response["Cache-Control"] = "private, no-store"  # the rows are the group's private evidence
    return response


def _remember_import(request, entry):
    pending = dict(request.session.get(IMPORTS_SESSION_KEY, {}))
    token = secrets.token_urlsafe(24)
    pending[token] = entry
    while len(pending) > MAX_PENDING_IMPORTS:
        oldest = next(iter(pending))
        importing.delete_upload(pending.pop(oldest)["file"])
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
    try:
        preview = importing.read_upload(data, group=group)
    except importing.ImportRefused as exc:
        form.add_error("file", exc.messages)
        return _import_form_page(request, form, status=400)
    file_name = display_name(upload.name)
    token = _remember_import(request, {"file": importing.store_upload(data, preview.format), "group": group.pk,
                                       "user": request.user.pk, "name": file_name})
    return _import_preview_page(request, group=group, preview=preview, file_name=file_name, token=token)


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
            importing.delete_upload(entry["file"])


def _finish_import(request, entry, action):
    if action == "cancel":
        messages.info(request, _("The import was cancelled and the file discarded; nothing was saved."))
        return redirect("evidence-import")
    user = request.user
    group = get_for_writer(Group.objects.all(), user, Action.LOG_EVIDENCE, pk=entry["group"])
    data = importing.load_upload(entry["file"])
    if data is None:
        messages.error(request, _("The uploaded file is no longer here; upload it again."))
        return redirect("evidence-import")
    try:
        # Checked again: the directory or the group's sources may have changed since the preview.
        preview = importing.read_upload(data, group=group)
    except importing.ImportRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("evidence-import")
    rows = preview.rows if action == "import_all" else preview.valid_rows
    problem = None
    if action == "import_all" and preview.invalid_rows:
        problem = _("Nothing was imported: some rows have errors.")
    elif not rows:
        problem = _("Nothing was imported: no row is ready to import.")
    elif len(rows) > settings.IMPORT_INLINE_MAX_ROWS:
        job = importing.queue_import(group, actor=user, stored_file=entry["file"], file_name=entry["name"],
                                     only_valid_rows=action == "import_valid", row_count=len(rows))
        messages.info(request, _("%(count)s rows are being imported into %(group)s in the background.")
                      % {"count": intcomma(len(rows)), "group": group.name})
        return redirect(job)
    else:
        try:
            created = importing.import_rows(group, user, rows)
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
    template = "evidence/_import_status.html" if request.htmx else "evidence/import_detail.html"
    return render(request, template, {
        "job": job,
        "can_retry": job.status == EvidenceImport.Status.FAILED and can(request.user, Action.LOG_EVIDENCE, job.group),
    })


@login_required
@require_POST
def evidence_import_retry(request, pk):
    job = get_for_writer(EvidenceImport.objects.select_related("group"), request.user, Action.LOG_EVIDENCE, pk=pk)
    try:
        importing.retry_import(job, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import is queued again."))
    return redirect(job)
