"""
An outward briefing's content: what a group hands a target, a ministry or the press.

Its records are the group's own verified, unprotected ones (evidence.disclosure.outward_records), each read as
the outward reader sees it (`disclose(Viewer.outward_of(group), record)`): no files, tags, history, translators'
names or member names. Targets show only who they are and what the campaign asks of them: no status, priority,
owner, next step, due date, stance history or interactions, which are the group's inner workings. No link points
back into the site (its pages are private to the group), and the briefing is signed by the group, not by a member.

It adds what an internal briefing has no need of: the executive summary the campaigner wrote, key findings
counted from the evidence, the evidence marked key for a target first, and a cover with the group's letterhead.
"""

from collections import Counter

from django.db.models import F, Prefetch
from django.utils.translation import gettext, gettext_noop, pgettext

from accounts.stored_text import stored
from campaigns.models import BriefingPack, TargetEvidence
from campaigns.packs.scope import PackError
from evidence import disclosure
from evidence.models import Citation, RecordInstitution

# Key findings list the institutions named most often; a long tail helps no reader.
TOP_INSTITUTIONS = 10


def letterhead(group, *, with_logo=True):
    """The cover's group name, contact line and logo (its bytes as a list of numbers, for Typst's JSON input)."""
    logo = None
    if with_logo and group.logo:
        try:
            with group.logo.open("rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            data = b""
        if data:
            logo = {"format": "svg" if group.logo_type == "image/svg+xml" else "png", "data": list(data)}
    return {"group": group.name, "contact": group.contact_line or None, "logo": logo}


def outward_records(records_qs, group, limit):
    """The records of the scope that may leave the group, with what the disclosure policy reads prefetched."""
    records_qs = disclosure.outward_records(records_qs, group)
    count = records_qs.count()
    if count > limit:
        raise PackError(stored(gettext_noop(
            "The pack would hold %(count)s evidence records; at most %(limit)s fit in one pack. Narrow the scope "
            "(a target, a search) and make several."), count=count, limit=limit))
    return list(records_qs.prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("captured_at", "pk")),
        Prefetch("institution_links", queryset=RecordInstitution.objects.select_related("institution")
                 .prefetch_related("institution__sectors").order_by("institution__name", "pk")),
    ).order_by(F("event_start").desc(nulls_last=True), "-created_at", "-pk"))


def key_record_ids(targets_qs, included):
    """The records marked key evidence for any of the pack's targets."""
    return set(TargetEvidence.objects.filter(target__in=targets_qs, key=True, record_id__in=included)
               .values_list("record_id", flat=True))


def key_findings(records, viewer):
    """
    Counts drawn from the records the briefing holds: by kind, by year of the event, by sector and by institution
    (the ones the outward reader may see named). Each is a list of [label, count], largest first.
    """
    kinds, years, sectors, institutions = Counter(), Counter(), Counter(), Counter()
    undated = pgettext("briefing", "Undated")
    for record in records:
        kinds[record.get_kind_display()] += 1
        years[str(record.event_start.year) if record.event_start else undated] += 1
        named, record_sectors = set(), set()
        for link in disclosure.visible_institution_links(viewer, record):
            named.add(link.institution.name)
            record_sectors |= {sector.name for sector in link.institution.sectors.all()}
        institutions.update(named)
        sectors.update(record_sectors)

    def ranked(counter, limit=None):
        return [[label, count] for label, count in sorted(counter.items(), key=lambda i: (-i[1], i[0]))[:limit]]

    by_year = sorted(years.items(), key=lambda item: (item[0] == undated, item[0]))
    return {"records": len(records), "by_kind": ranked(kinds), "by_year": [[y, n] for y, n in by_year],
            "by_sector": ranked(sectors), "by_institution": ranked(institutions, TOP_INSTITUTIONS)}


def outward_evidence(record, shown, *, key, day, number):
    """One record as the outward reader sees it (`shown`, from disclose): no link, no names of people."""
    links = []
    for link in shown.institution_links:
        name, name_zh = link.institution.name, link.institution.name_zh
        links.append({"name": f"{name} ({name_zh})" if name_zh else name, "role": link.get_role_display()})
    sources, citations = {}, []
    for row in shown.citations:
        source, citation = row.source, row.citation
        sources.setdefault(source.pk, {
            "title": source.title, "publisher": source.publisher, "url": source.url or None,
            "published": day(source.published_on), "archive_url": source.archive_url or None,
        })
        citations.append({"source_title": source.title, "source_number": list(sources).index(source.pk) + 1,
                "excerpt": citation.excerpt,
                          "language": citation.excerpt_language or source.language,
                          "translation": citation.translation or None, "translator": None})
    place = ", ".join(part for part in (record.place, record.country) if part) or None
    return {
        "id": number, "url": None, "key": key, "title": record.title, "summary": record.summary,
        "kind": record.get_kind_display(), "status": record.get_status_display(),
        "event_date": day(record.event_start), "place": place, "institutions": links,
        "sources": list(sources.values()), "citations": citations,
    }


def outward_row(evidence, record):
    """The evidence table's row of one outward record: what the briefing shows, in columns."""
    first = evidence["citations"][0] if evidence["citations"] else {}
    return {
        "id": evidence["id"], "key": pgettext("briefing", "yes") if evidence["key"] else "",
        "title": evidence["title"], "summary": evidence["summary"], "kind": evidence["kind"],
        "event_start": record.event_start.isoformat() if record.event_start else None,
        "event_end": record.event_end.isoformat() if record.event_end else None,
        "place": record.place, "country": record.country,
        "institutions": "; ".join(f"{i['name']} ({i['role']})" for i in evidence["institutions"]),
        "sources": "; ".join(f"{s['title']} <{s['url']}>" if s["url"] else s["title"] for s in evidence["sources"]),
        "excerpt": "\n\n".join(c["excerpt"] for c in evidence["citations"] if c["excerpt"]) or first.get("excerpt"),
        "translation": "\n\n".join(c["translation"] for c in evidence["citations"] if c["translation"]),
    }


def outward_target(target, evidence_ids):
    """A target as the outward reader sees it: the institution and the ask, and its evidence in the briefing."""
    institution = target.institution
    return {
        "institution": {"name": institution.name, "name_zh": institution.name_zh or None,
                        "kind": institution.get_kind_display(), "url": None},
        "ask": target.ask, "status": None, "priority": None, "owner": None, "next_step": "",
        "next_step_due": None, "timeline": [], "interactions": [], "evidence_ids": evidence_ids,
    }


def outward_target_row(target, evidence_ids, number):
    return {"id": f"T{number}", "institution": target.institution.name,
            "institution_zh": target.institution.name_zh, "ask": target.ask, "evidence": "; ".join(evidence_ids)}


def campaign_for(pack):
    """The campaign whose goal and recommendations an outward briefing carries (a target's, for a target pack)."""
    if pack.scope == BriefingPack.Scope.CAMPAIGN:
        return pack.campaign
    if pack.scope == BriefingPack.Scope.TARGET and pack.target_id:
        return pack.target.campaign
    return None


def outward_title(pack, campaign):
    scoped = campaign.title if campaign else pack.scope_label.split(": ", 1)[-1]
    return gettext("Briefing: %(scope)s") % {"scope": scoped}


def is_outward(pack):
    return pack.kind == BriefingPack.Kind.OUTWARD

