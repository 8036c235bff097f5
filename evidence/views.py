"""
Pages of the reports and of the shared institution directory. Every signed-in member reads them; coordinators
(of any group) and site staff edit the directory, through evidence/services.py, which checks that again.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.audit import history_of
from accounts.models import Membership
from accounts.permissions import Action, can_in_any_group
from accounts.scoping import get_for_user
from evidence import services
from evidence.filters import InstitutionFilterSet
from evidence.forms import InstitutionCreateForm, InstitutionForm, RelationshipForm
from evidence.models import Institution, Relationship, Report
from evidence.network import layout

PAGE_SIZE = 50
HISTORY_LIMIT = 50
HIDDEN_EDITOR = "a coordinator of another group"


def _web_link(url):
    """`url` if it is safe to put in an href. Imported datasets skip form validation, so check the scheme."""
    return url if urlsplit(url or "").scheme in ("http", "https") else ""


#
# Reports
#


@login_required
def report_list(request):
    return render(request, "evidence/report_list.html", {"reports": Report.objects.all()})


@login_required
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


def _can_edit(user):
    return can_in_any_group(user, Action.EDIT_DIRECTORY)


@login_required
def institution_list(request):
    filterset = InstitutionFilterSet(
        request.GET or None, queryset=Institution.objects.visible_to(request.user).for_list()
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "evidence/institution_list.html", {
        "filterset": filterset, "form": filterset.form, "page_obj": page, "can_edit": _can_edit(request.user),
    })


def _detail_queryset():
    return Institution.objects.select_related("parent", "source_report").prefetch_related("sectors")


def _relationship_rows(institution, relationships):
    rows = []
    for relationship in relationships:
        outgoing = relationship.source_institution_id == institution.pk
        other = relationship.target_institution if outgoing else relationship.source_institution
        rows.append({"relationship": relationship, "outgoing": outgoing, "other": other})
    return sorted(rows, key=lambda row: (row["other"].name.casefold(), row["relationship"].kind))


_ACTION_LABELS = {
    "institution.created": "Added to the directory",
    "institution.updated": "Edited",
    "relationship.added": "Relationship added",
    "relationship.removed": "Relationship removed",
}


def _field_label(name):
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
            editor = "an account since deleted"
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


def _detail_page(request, institution, relationship_form=None, status=200):
    user = request.user
    visible = Institution.objects.visible_to(user)
    relationships = list(
        Relationship.objects.filter(Q(source_institution=institution) | Q(target_institution=institution))
        .filter(source_institution__in=visible, target_institution__in=visible)
        .select_related("source_institution", "target_institution")
    )
    can_edit = _can_edit(user)
    if can_edit and relationship_form is None:
        relationship_form = RelationshipForm(institution=institution, user=user)
    return render(request, "evidence/institution_detail.html", {
        "institution": institution,
        "website": _web_link(institution.website),
        "children": visible.filter(parent=institution).only("slug", "name"),
        "relationships": _relationship_rows(institution, relationships),
        "network": layout(institution, relationships),
        "history": _history_rows(institution, user),
        "can_edit": can_edit,
        "relationship_form": relationship_form if can_edit else None,
    }, status=status)


@login_required
def institution_detail(request, slug):
    return _detail_page(request, get_for_user(_detail_queryset(), request.user, slug=slug))


def _form_page(request, form, institution=None, status=200):
    countries = (Institution.objects.visible_to(request.user).exclude(country="").order_by("country")
                 .values_list("country", flat=True).distinct())
    return render(request, "evidence/institution_form.html",
                  {"form": form, "institution": institution, "countries": countries}, status=status)


@login_required
def institution_create(request):
    services.ensure_directory_editor(request.user)
    if request.method != "POST":
        return _form_page(request, InstitutionCreateForm(user=request.user))
    form = InstitutionCreateForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            institution = services.create_institution(actor=request.user, **form.cleaned_data)
        except IntegrityError:  # someone took the slug since the form checked it
            form.add_error("slug", "An institution with this short name already exists.")
        else:
            messages.success(request, f"{institution.name} was added to the directory.")
            return redirect(institution)
    return _form_page(request, form, status=400)


@login_required
def institution_edit(request, slug):
    institution = get_for_user(Institution, request.user, slug=slug)
    services.ensure_directory_editor(request.user)
    if request.method != "POST":
        return _form_page(request, InstitutionForm(instance=institution, user=request.user), institution)
    # The form writes the submitted values onto its instance while validating; keep the page's own copy clean.
    unsaved = Institution.objects.get(pk=institution.pk)
    form = InstitutionForm(request.POST, instance=unsaved, user=request.user)
    if form.is_valid():
        institution = services.update_institution(institution, actor=request.user, **form.cleaned_data)
        messages.success(request, f"{institution.name} was saved.")
        return redirect(institution)
    return _form_page(request, form, institution, status=400)


@login_required
@require_POST
def relationship_add(request, slug):
    institution = get_for_user(_detail_queryset(), request.user, slug=slug)
    services.ensure_directory_editor(request.user)
    form = RelationshipForm(request.POST, institution=institution, user=request.user)
    if not form.is_valid():
        messages.error(request, "The relationship was not added; see the form below.")
        return _detail_page(request, institution, relationship_form=form, status=400)
    relationship = services.add_relationship(actor=request.user, **form.relationship_values())
    messages.success(request, f"Added: {relationship}.")
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
    services.ensure_directory_editor(request.user)
    services.remove_relationship(relationship, actor=request.user)
    messages.success(request, f"Removed: {relationship}.")
    # Back to the page the button was on: either end of the relationship, nowhere else.
    if request.POST.get("back") == relationship.target_institution.slug:
        return redirect(relationship.target_institution)
    return redirect(relationship.source_institution)
