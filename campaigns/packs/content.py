"""
A briefing pack's content, read from the models into plain data: the briefing, the rows of its tables and the
files it attaches.

Redaction. A pack is built from what its requester may see in the pack's group (campaigns.packs.scope): the
group's own records and the verified copies other groups shared with it. What each record shows is decided by
evidence.disclosure, asked as a member of the pack's group: shared copies never carry protected material (their
protected sources and translators' names are left out, as on the site); with `redact_protected` (the default) the
group's own protected records, protected sources and protected fields are withheld too. Withheld things are
counted in the manifest and the briefing, never named. "Protected fields" are the translators' names of citations
(the site shows them only inside the group) and the names of institutions another group keeps to itself.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.text import get_valid_filename
from django.utils.translation import gettext, gettext_noop

from accounts.stored_text import stored
from campaigns.models import BriefingPack, Interaction, StanceChange, Target, TargetEvidence
from campaigns.packs import outward
from campaigns.packs.scope import PackError, scope_querysets
from evidence import disclosure
from evidence.capture.queries import capture_files_for_pack
from evidence.models import Attachment, Citation, EvidenceRecord, RecordInstitution


def site_link(path):
    return settings.SITE_URL.rstrip("/") + path


@dataclass
class Content:
    """Everything that goes into the pack, as plain data; `attachments` are (name in the ZIP, Attachment)."""

    briefing: dict
    evidence_rows: list
    target_rows: list
    attachments: list = field(default_factory=list)
    withheld: dict = field(default_factory=dict)
    scope: dict = field(default_factory=dict)


def _name(user):
    if user is None:
        return gettext("a former member")
    return user.get_full_name() or user.username


def _iso(value):
    return value.isoformat() if value else None


def _day(value):
    """A date as the briefing shows it, in its language (23 Nov 2026, 2026年11月23日); the tables keep ISO dates."""
    return date_format(value, "DATE_FORMAT") if value else None


def _institution_ref(institution):
    return {"name": institution.name, "name_zh": institution.name_zh or None, "kind": institution.get_kind_display(),
            "url": site_link(institution.get_absolute_url())}


def collect(pack, user, *, generated_at):
    """
    Read the pack's scope from the database into a Content: scoped to `user` in the pack's group, redacted, and
    in the pack's language (statuses, kinds, priorities, directions, roles, dates), whatever language the worker
    or the request runs in.
    """
    with translation.override(pack.language):
        return _collect(pack, user, generated_at=generated_at)


def _collect_outward(pack, user, *, generated_at):
    """An outward briefing (campaigns.packs.outward): the group's own verified, unprotected evidence, read outward."""
    group = pack.group
    targets_qs, records_qs = scope_querysets(pack, user)
    records = outward.outward_records(records_qs, group, settings.PACK_MAX_RECORDS)
    included = {record.pk for record in records}
    key_ids = outward.key_record_ids(targets_qs, included)
    # The evidence marked key for a target comes first, the rest newest first as in every briefing.
    records.sort(key=lambda record: record.pk not in key_ids)
    viewer = disclosure.Viewer.outward_of(group.pk)
    # The reader gets the records numbered in the briefing's order (E1, E2 ...), not the site's ids.
    numbers = {record.pk: f"E{n}" for n, record in enumerate(records, start=1)}
    evidence, evidence_rows, institutions = [], [], {}
    for record in records:
        shown = disclosure.disclose(viewer, record)
        for link in shown.institution_links:
            institutions[link.institution.pk] = link.institution
        entry = outward.outward_evidence(record, shown, key=record.pk in key_ids, day=_day,
                                         number=numbers[record.pk])
        evidence.append(entry)
        evidence_rows.append(outward.outward_row(entry, record))

    targets = list(targets_qs.select_related("institution").prefetch_related(
        Prefetch("evidence_links", queryset=TargetEvidence.objects.order_by("-key", "added_at", "pk")),
    ).order_by("campaign__title", "priority", "institution__name", "pk"))
    target_dicts, target_rows = [], []
    for n, target in enumerate(targets, start=1):
        evidence_ids = [numbers[link.record_id] for link in target.evidence_links.all() if link.record_id in included]
        target_dicts.append(outward.outward_target(target, evidence_ids))
        target_rows.append(outward.outward_target_row(target, evidence_ids, n))

    campaign = outward.campaign_for(pack)
    briefing = {
        "kind": BriefingPack.Kind.OUTWARD.value,
        "title": outward.outward_title(pack, campaign),
        "scope_label": group.name,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        # Signed by the group: no member's name leaves with an outward briefing.
        "generated_by": group.name,
        "language": pack.language,
        "site_url": None,
        "cover": outward.letterhead(group),
        "executive_summary": pack.executive_summary or None,
        "findings": outward.key_findings(records, viewer),
        "campaign": {**_campaign(campaign), "status": None} if campaign else None,
        "targets": target_dicts,
        "evidence": evidence,
        "institutions": sorted(({**_institution_ref(i), "url": None} for i in institutions.values()),
                               key=lambda ref: ref["name"].casefold()),
        "withheld": {},
    }
    scope = {"kind": pack.scope, "label": pack.scope_label, "url": None, "query": None}
    return Content(briefing=briefing, evidence_rows=evidence_rows, target_rows=target_rows, scope=scope)


def _collect(pack, user, *, generated_at):
    if outward.is_outward(pack):
        return _collect_outward(pack, user, generated_at=generated_at)
    group = pack.group
    targets_qs, records_qs = scope_querysets(pack, user)
    if pack.only_verified:
        records_qs = records_qs.filter(status=EvidenceRecord.Status.VERIFIED)
    withheld = {"protected_records": 0, "protected_sources": 0, "protected_fields": 0}
    if pack.redact_protected:
        withheld["protected_records"] = records_qs.filter(group=group, protected=True).count()
        records_qs = records_qs.exclude(group=group, protected=True)
    count = records_qs.count()
    if count > settings.PACK_MAX_RECORDS:
        raise PackError(stored(gettext_noop(
            "The pack would hold %(count)s evidence records; at most %(limit)s fit in one pack. Narrow the scope "
            "(a target, a search) and make several."), count=count, limit=settings.PACK_MAX_RECORDS))
    # Read in chunks (each with its own prefetches): 10,000 records' model objects at once would stay in the worker's
    # memory as long as the pack's plain data, which is all the writers need.
    records = records_qs.select_related("group").prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("captured_at", "pk")),
        Prefetch("institution_links", queryset=RecordInstitution.objects.select_related("institution")
                 .order_by("institution__name", "pk")),
    ).order_by(F("event_start").desc(nulls_last=True), "-created_at", "-pk").iterator(chunk_size=500)
    included = set(records_qs.values_list("pk", flat=True))

    evidence, evidence_rows, withheld_sources, institutions, with_files = [], [], set(), {}, []
    captured_sources = set()  # the group's own sources the pack cites: their captures go with the files
    # The pack sees as a member of its group, withholding the group's own protected material too when asked.
    viewer = disclosure.Viewer.for_pack(pack)
    for record in records:
        shown = disclosure.disclose(viewer, record)
        shared_copy = shown.shared_copy
        if shown.files:
            with_files.append(record.pk)
            captured_sources.update(row.source.pk for row in shown.citations)
        withheld_sources |= shown.withheld_source_ids
        withheld["protected_fields"] += shown.withheld_fields
        links = []
        for link in shown.institution_links:
            institutions[link.institution.pk] = link.institution
            name, name_zh = link.institution.name, link.institution.name_zh
            links.append({"name": f"{name} ({name_zh})" if name_zh else name, "role": link.get_role_display()})
        sources, citations = {}, []
        for row in shown.citations:
            source, citation = row.source, row.citation
            sources.setdefault(source.pk, {
                "title": source.title, "publisher": source.publisher, "url": source.url or None,
                "published": _day(source.published_on), "archive_url": source.archive_url or None,
            })
            citations.append({
                "source_title": source.title, "source_number": list(sources).index(source.pk) + 1,
                "excerpt": citation.excerpt,
                "language": citation.excerpt_language or source.language, "translation": citation.translation or None,
                "translator": row.translator or None,
            })
        place = ", ".join(part for part in (record.place, record.country) if part) or None
        url = site_link(record.get_absolute_url())
        evidence.append({
            "id": f"E{record.pk}", "url": url, "title": record.title, "summary": record.summary,
            "kind": record.get_kind_display(), "status": record.get_status_display(),
            "event_date": _day(record.event_start), "place": place, "institutions": links,
            "sources": list(sources.values()), "citations": citations,
        })
        evidence_rows.append({
            "id": f"E{record.pk}", "url": url, "title": record.title, "summary": record.summary,
            "kind": record.get_kind_display(), "status": record.get_status_display(),
            "group": record.group.name, "shared_copy": "yes" if shared_copy else "no",
            "protected": "yes" if record.protected else "no",
            "event_start": _iso(record.event_start), "event_end": _iso(record.event_end),
            "place": record.place, "country": record.country,
            "institutions": "; ".join(f"{link['name']} ({link['role']})" for link in links),
            "sources": "; ".join(f"{s['title']} <{s['url']}>" if s["url"] else s["title"]
                                 for s in sources.values()),
            "excerpt": "\n\n".join(c["excerpt"] for c in citations if c["excerpt"]),
            "translation": "\n\n".join(c["translation"] for c in citations if c["translation"]),
        })
    withheld["protected_sources"] = len(withheld_sources)

    targets = list(targets_qs.select_related("institution", "owner", "campaign").prefetch_related(
        Prefetch("stance_changes", queryset=StanceChange.objects.select_related("changed_by", "interaction")
                 .order_by("changed_at", "pk")),
        Prefetch("interactions", queryset=Interaction.objects.order_by("-occurred_on", "-created_at", "-pk")),
        Prefetch("evidence_links", queryset=TargetEvidence.objects.order_by("added_at", "pk")),
    ).order_by("campaign__title", "priority", "institution__name", "pk"))
    target_dicts, target_rows = [], []
    for target in targets:
        institutions[target.institution_id] = target.institution
        evidence_ids = [f"E{link.record_id}" for link in target.evidence_links.all() if link.record_id in included]
        interactions = list(target.interactions.all())
        target_dicts.append({
            "institution": _institution_ref(target.institution), "ask": target.ask,
            "status": target.get_status_display(), "priority": target.get_priority_display(),
            "owner": _name(target.owner) if target.owner_id else None, "next_step": target.next_step,
            "next_step_due": _day(target.next_step_due),
            "timeline": [_stance_change(change, included) for change in target.stance_changes.all()],
            "interactions": [{"date": _day(i.occurred_on), "kind": i.get_kind_display(),
                              "direction": i.get_direction_display(), "summary": i.summary, "outcome": i.outcome}
                             for i in interactions],
            "evidence_ids": evidence_ids,
        })
        target_rows.append({
            "id": f"T{target.pk}", "url": site_link(target.get_absolute_url()), "campaign": target.campaign.title,
            "campaign_url": site_link(target.campaign.get_absolute_url()), "institution": target.institution.name,
            "institution_zh": target.institution.name_zh, "institution_url":
            site_link(target.institution.get_absolute_url()), "ask": target.ask,
            "status": target.get_status_display(), "priority": target.get_priority_display(),
            "owner": _name(target.owner) if target.owner_id else "", "next_step": target.next_step,
            "next_step_due": _iso(target.next_step_due), "evidence": "; ".join(evidence_ids),
            "interactions": len(interactions),
            "last_interaction": _iso(interactions[0].occurred_on) if interactions else None,
        })

    attachments = []
    if pack.include_attachments:
        used = set()
        for attachment in (Attachment.objects.visible_to(user).filter(group=group, record_id__in=with_files)
                           .order_by("record_id", "uploaded_at", "pk")):
            base = get_valid_filename(attachment.original_name) or f"file-{attachment.pk}"
            name = f"attachments/E{attachment.record_id}/{base}"
            if name in used:
                name = f"attachments/E{attachment.record_id}/{attachment.pk}-{base}"
            used.add(name)
            attachments.append((name, attachment))
        attachments += capture_files_for_pack(user, group, captured_sources)

    campaign = pack.campaign if pack.scope == BriefingPack.Scope.CAMPAIGN else None
    scope_url = _scope_url(pack)
    # The saved label is "Campaign: <title>" in English; what follows the colon is the member's own text.
    scoped = pack.scope_label.split(": ", 1)[-1]
    briefing = {
        "kind": BriefingPack.Kind.INTERNAL.value,
        "cover": outward.letterhead(group),
        "executive_summary": pack.executive_summary or None,
        "findings": None,
        "title": gettext("Briefing: %(scope)s") % {"scope": scoped},
        "scope_label": gettext("%(scope)s: %(name)s") % {"scope": pack.get_scope_display(), "name": scoped},
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "generated_by": _name(user),
        "language": pack.language,
        "site_url": settings.SITE_URL,
        "campaign": _campaign(campaign) if campaign else None,
        "targets": target_dicts,
        "evidence": evidence,
        "institutions": sorted((_institution_ref(i) for i in institutions.values()),
                               key=lambda ref: ref["name"].casefold()),
        "withheld": withheld,
    }
    scope = {"kind": pack.scope, "label": pack.scope_label, "url": scope_url,
             "query": pack.search_query if pack.scope == BriefingPack.Scope.SEARCH else None}
    return Content(briefing=briefing, evidence_rows=evidence_rows, target_rows=target_rows,
                   attachments=attachments, withheld=withheld, scope=scope)


def _scope_url(pack):
    Scope = BriefingPack.Scope
    if pack.scope == Scope.CAMPAIGN and pack.campaign_id:
        return site_link(reverse("campaign-detail", args=[pack.campaign_id]))
    if pack.scope == Scope.TARGET and pack.target_id:
        return site_link(reverse("target-detail", args=[pack.target_id]))
    if pack.scope == Scope.INSTITUTION and pack.institution_id:
        return site_link(pack.institution.get_absolute_url())
    if pack.scope == Scope.SEARCH:
        return site_link(reverse("evidence-list")) + (f"?{pack.search_query}" if pack.search_query else "")
    return None


def _campaign(campaign):
    return {
        "title": campaign.title, "goal": campaign.goal, "summary": campaign.public_summary,
        "status": campaign.get_status_display(),
        "recommendations": [{"code": r.code, "text": r.summary or r.ask, "addressee": r.addressee or None}
                            for r in campaign.recommendations.order_by("order", "pk")],
    }


def _stance_change(change, included):
    why = [change.note] if change.note else []
    if change.interaction_id:
        why.append(gettext("%(kind)s of %(date)s") % {"kind": change.interaction.get_kind_display(),
                                                      "date": _day(change.interaction.occurred_on)})
    # A cited record the pack leaves out (protected, or no longer shared) is not mentioned at all.
    if change.evidence_id and change.evidence_id in included:
        why.append(gettext("Evidence E%(id)s") % {"id": change.evidence_id})
    return {"at": change.changed_at.isoformat(timespec="seconds"),
            "from_status": str(Target.Status(change.from_status).label),
            "to_status": str(Target.Status(change.to_status).label),
            "by": _name(change.changed_by), "justification": " · ".join(why)}

