"""
The evidence list, with its filters and search, and the bulk changes made from it (evidence/records.py
bulk_change makes them, record by record, and says which it refused).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.context_processors import active_membership
from accounts.permissions import Action, can, can_in_any_group
from evidence import bulk as provided_actions
from evidence import disclosure
from evidence.filters import EvidenceRecordFilterSet
from evidence.forms.bulk import BulkActionForm
from evidence.models import EvidenceRecord, SavedSearch
from evidence.search import RANKED_MATCHES, SearchPaginator
from evidence.services import bulk
from evidence.views.common import PAGE_SIZE
from evidence.views.record_detail import add_record_errors
from evidence.views.record_rows import record_rows


def _filtered_records(request, query):
    # The rows show each record's institutions, not its tags: for_list() also prefetches those, for other pages.
    records = (EvidenceRecord.objects.visible_to(request.user).for_list().prefetch_related(None)
               .prefetch_related("institution_links__institution"))
    filterset = EvidenceRecordFilterSet(query or None, queryset=records, request=request)
    matching = filterset.qs
    if not (filterset.is_bound and filterset.form.cleaned_data.get("q")):
        matching = matching.order_by("-created_at", "-pk")  # with a search, its relevance order stands
    return filterset, matching


def _evidence_list_page(request, query, *, bulk_form=None, status=200):
    user = request.user
    filterset, matching = _filtered_records(request, query)
    page = SearchPaginator(matching, PAGE_SIZE, rank_at_most=RANKED_MATCHES).get_page(query.get("page"))
    viewer = disclosure.viewer_of(user)
    membership = active_membership(request)
    can_change = can_in_any_group(user, Action.LOG_EVIDENCE)
    ticked = set(bulk_form.cleaned_data.get("records", ())) if bulk_form and bulk_form.is_bound else set()
    return render(request, "evidence/record_list.html", {
        "filterset": filterset, "form": filterset.form, "page_obj": page,
        "rows": record_rows(viewer, page, ticked=ticked, selectable=can_change),
        "can_log": membership is not None and can(user, Action.LOG_EVIDENCE, membership.group),
        "bulk_form": (bulk_form or BulkActionForm(initial={"filters": query.urlencode()}, user=user))
        if can_change else None,
        "bulk_limit": bulk.BULK_LIMIT,
        "saved_search_frequencies": SavedSearch.Frequency.choices,
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
                                      **provided_actions.inputs(data))
    except PermissionDenied as exc:
        form.add_error("target", str(exc))
        return _evidence_list_page(request, query, bulk_form=form, status=400)
    except ValidationError as exc:
        add_record_errors(form, exc)
        return _evidence_list_page(request, query, bulk_form=form, status=400)
    (messages.success if outcome.changed or not outcome.refused else messages.warning)(request, outcome.summary())
    return redirect(f"{reverse('evidence-list')}?{query.urlencode()}" if query else reverse("evidence-list"))
