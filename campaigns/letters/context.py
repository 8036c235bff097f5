"""
What one target's letter is merged with: plain values only (merge.py), read for an audience outside the site.

The evidence goes through the disclosure policy's outward reader (evidence/disclosure.py): only the group's own
verified, unprotected records, and of them only what `disclose(Viewer.outward_of(group))` shows — no protected
source, no member's name, no file. Its links are the public sources' own URLs, never a page of this site, which
the reader of a letter cannot open.
"""

from django.db.models import F, OuterRef, Subquery
from django.utils import formats, translation

from campaigns.briefing import is_web_url
from campaigns.models import TargetEvidence
from evidence.disclosure import Viewer, disclose, outward_records
from evidence.models import EvidenceRecord


def letter_evidence_records(target, *, user, group):
    """
    The records a target's letter cites: every linked record the outward reader may see, the ones the campaigner
    marked key against this target first, then the most recently linked. `user` is who asked for the letters: the
    rows are scoped to what they may see before the outward policy narrows them.
    """
    links = TargetEvidence.objects.filter(target=target, record=OuterRef("pk"))
    records = (EvidenceRecord.objects.visible_to(user).filter(target_links__target=target)
               .annotate(link_key=Subquery(links.values("key")[:1]), linked_at=Subquery(links.values("added_at")[:1])))
    return (outward_records(records, group).prefetch_related("citations__source", "institution_links__institution")
            .order_by(F("link_key").desc(), F("linked_at").desc(), "pk"))


def _day(value, language):
    if value is None:
        return ""
    with translation.override(language):
        return formats.date_format(value, "Y年n月j日" if language.startswith("zh") else "j F Y")


def _evidence_item(shown, language):
    record = shown.record
    source = next((c.source for c in shown.citations if is_web_url(c.source.url) or is_web_url(c.source.archive_url)),
                  shown.citations[0].source if shown.citations else None)
    url = ""
    if source is not None:
        url = source.url if is_web_url(source.url) else source.archive_url if is_web_url(source.archive_url) else ""
    return {
        "title": record.title,
        "source": source.title if source is not None else "",
        "date": _day(record.event_start or (source.published_on if source is not None else None), language),
        "url": url,
    }


def letter_context(target, *, user, group, sender, language, today):
    """The merge fields (merge.FIELDS) of `target`'s letter, in `language`, sent by `sender` on `today`."""
    viewer = Viewer.outward_of(group.pk)
    evidence = [_evidence_item(disclose(viewer, record), language)
                for record in letter_evidence_records(target, user=user, group=group)]
    campaign = target.campaign
    recommendations = [{"code": r.code, "ask": r.ask, "summary": r.summary}
                       for r in campaign.recommendations.order_by("report", "order")]
    institution = target.institution
    return {
        "institution": institution.name,
        "institution_zh": institution.name_zh,
        "ask": target.ask or campaign.goal,
        "evidence": evidence,
        "recommendations": recommendations,
        "date": _day(today, language),
        "sender": sender,
        "group": group.name,
        "campaign": campaign.title,
    }
