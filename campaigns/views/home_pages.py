"""
The personal home (`/` after sign-in): what waits for me across my groups, each list short, counted, with a link
to all of it. It lives in campaigns, the top app, because it reads evidence (records to verify, my drafts and
rejected records) and campaigns (tasks, targets' next steps, recent interactions) alike; evidence and accounts
may not import campaigns. Every list starts from visible_to / owned_by_groups_of: only my groups' rows.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.context_processors import active_membership
from accounts.permissions import Action, can_in_any_group, groups_owing_second_factor, roles_by_group
from accounts.scoping import SecondFactorOwed
from campaigns.models import Interaction, Task
from campaigns.views.common import UPCOMING_DAYS, visible_targets
from evidence.models import EvidenceRecord
from evidence.waiting import waiting_count

# Each list on the home shows this many rows at most; its "see all" link leads to the rest.
HOME_LIST_SIZE = 10


def _section(queryset, see_all, *, count=None):
    return {"items": list(queryset[:HOME_LIST_SIZE]), "count": queryset.count() if count is None else count,
            "see_all": see_all}


def _evidence_list(**filters):
    return f"{reverse('evidence-list')}?{urlencode(filters)}"


@login_required
@require_safe
def home(request):
    if active_membership(request) is None:
        return render(request, "accounts/no_group.html")
    user = request.user
    if not roles_by_group(user):
        # Every group of theirs waits for a second factor: the home would be empty; send them to set it up.
        raise SecondFactorOwed(groups_owing_second_factor(user).values())
    today = timezone.localdate()
    until = today + timedelta(days=UPCOMING_DAYS)
    records = EvidenceRecord.objects.without_search_documents().select_related("group")
    mine = EvidenceRecord.objects.logged_by(user).without_search_documents().select_related("group")
    return render(request, "campaigns/home.html", {
        "today": today, "until": until,
        "can_log": can_in_any_group(user, Action.LOG_EVIDENCE),
        "waiting": _section(
            records.waiting_for(user).select_related("submitted_by").order_by("submitted_at", "pk"),
            _evidence_list(for_me="verify"), count=waiting_count(user)),
        "drafts": _section(mine.filter(status=EvidenceRecord.Status.DRAFT).order_by("-updated_at", "-pk"),
                           _evidence_list(for_me="logged", status="draft")),
        "rejected": _section(
            mine.filter(status=EvidenceRecord.Status.REJECTED).select_related("decided_by")
            .order_by("-decided_at", "-pk"),
            _evidence_list(for_me="logged", status="rejected")),
        "tasks": _section(Task.objects.visible_to(user).due_for(user, until).for_list()
                          .select_related("campaign__group").order_by("due_on", "created_at", "pk"),
                          reverse("my-work")),
        "targets": _section(visible_targets(user).due_for(user, until).order_by("next_step_due", "created_at", "pk"),
                            reverse("my-work")),
        "activity": _section(Interaction.objects.visible_to(user).for_list().select_related("target__campaign__group")
                             .order_by("-created_at", "-pk"), reverse("campaign-list")),
        "several_groups": len(roles_by_group(user)) > 1,
    })
