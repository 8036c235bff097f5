"""
What a briefing pack covers: the targets and the evidence of its scope (a campaign, a target, an institution or a
saved evidence search), as its requester sees them in the pack's group, before the options and redaction.
"""

from types import SimpleNamespace

from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_noop

from accounts.stored_text import stored
from campaigns.models import BriefingPack, Target, TargetEvidence
from evidence.filters import EvidenceRecordFilterSet
from evidence.models import EvidenceRecord, RecordInstitution


class PackError(Exception):
    """The pack cannot be built as asked; the message says why and is shown on the pack's page."""


def records_for_group(user, group):
    """
    The evidence a pack of `group` draws on, as `user` sees it: the group's own records and the verified copies
    shared with the group (or with everyone). Not the records of the user's other groups.
    """
    shared_with_group = EvidenceRecord.shared_with.through.objects.filter(group=group).values("evidencerecord_id")
    shared = Q(status=EvidenceRecord.Status.VERIFIED, protected=False) & (
        Q(shared_with_everyone=True) | Q(pk__in=shared_with_group))
    return EvidenceRecord.objects.visible_to(user).filter(Q(group=group) | shared)


def search_filterset(query, user, queryset):
    """The evidence list's FilterSet bound to a saved query string (the page number dropped)."""
    data = QueryDict(query or "", mutable=True)
    data.pop("page", None)
    return EvidenceRecordFilterSet(data, queryset=queryset, request=SimpleNamespace(user=user))


def clean_search_query(query):
    """Only the FilterSet's own parameters, in a stable order; '' for no filter at all."""
    data = QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for name in EvidenceRecordFilterSet.base_filters:
        values = [v for v in data.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values[:1])
    return kept.urlencode()


def describe_search(query):
    data = QueryDict(query or "")
    parts = [f"{name} “{value}”" for name, value in data.items()]
    return "Evidence search: " + ("; ".join(parts) if parts else "all evidence")


def scope_querysets(pack, user):
    """(targets queryset, records queryset) of the pack's scope, before the options and redaction."""
    pool = records_for_group(user, pack.group)
    targets = Target.objects.visible_to(user).filter(campaign__group=pack.group)
    Scope = BriefingPack.Scope
    if pack.scope == Scope.CAMPAIGN:
        if pack.campaign_id is None:
            raise PackError(stored(gettext_noop("The campaign of this pack no longer exists.")))
        targets = targets.filter(campaign_id=pack.campaign_id)
    elif pack.scope == Scope.TARGET:
        if pack.target_id is None:
            raise PackError(stored(gettext_noop("The target of this pack no longer exists.")))
        targets = targets.filter(pk=pack.target_id)
    elif pack.scope == Scope.INSTITUTION:
        if pack.institution_id is None:
            raise PackError(stored(gettext_noop("The institution of this pack no longer exists.")))
        targets = targets.filter(institution_id=pack.institution_id)
        involved = RecordInstitution.objects.filter(institution_id=pack.institution_id).values("record_id")
        linked = TargetEvidence.objects.filter(target__in=targets).values("record_id")
        return targets, pool.filter(Q(pk__in=involved) | Q(pk__in=linked))
    else:
        filterset = search_filterset(pack.search_query, user, pool)
        if not filterset.is_valid():
            raise PackError("The saved evidence search is no longer valid: " + "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()))
        return targets.none(), filterset.qs
    linked = TargetEvidence.objects.filter(target__in=targets).values("record_id")
    return targets, pool.filter(pk__in=linked)

