"""
The shared institution directory and each group's own institutions. Every signed-in member reads the directory;
coordinators (of any group) and site staff edit it, through evidence/directory.py, which checks that again.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.audit import history_of
from accounts.models import Membership
from accounts.scoping import get_for_user
from evidence.filters import InstitutionFilterSet
from evidence.forms.institutions import InstitutionCreateForm, InstitutionForm, RelationshipForm
from evidence.models import EvidenceRecord, Institution, Relationship
from evidence.network import layout
from evidence.services import directory
from evidence.views.common import HISTORY_LIMIT, PAGE_SIZE, web_link

HIDDEN_EDITOR = gettext_lazy("a coordinator of another group")


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
        "website": web_link(institution.website),
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
