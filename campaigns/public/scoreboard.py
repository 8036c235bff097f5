"""
What the public scoreboard shows, read for the public reader only (`Viewer.public()`): nothing here depends on
who asks, so the pages built from it can be cached once for everyone (cache.py).

Of a published campaign: its title, status, group, public summary, the recommendations it asks for, and each
target's institution, ask, current stance and the history of its stance changes, each change with the records it
cites that are public now (evidence/disclosure.py `public_records`: verified, not protected, marked public by their
group), disclosed as the public column says. Never: who changed what, a change's note, interactions, owners,
next steps, priorities, tasks, batches or any record that is not public. A decisive change (committed, complied,
refused, backslid) whose justification is not public says only that: the database already requires one, so
saying it reveals nothing the stance does not.
"""

from collections import defaultdict

from django.db.models import Prefetch

from campaigns.models import Campaign, StanceChange, Target
from evidence.disclosure import Viewer, cited_record_public, disclose, public_records
from evidence.models import Citation, RecordInstitution
from evidence.views.common import web_link

# The Atom feed's length: the newest changes, across the campaign's targets.
FEED_LENGTH = 50


def published_campaigns():
    """Every group's published campaigns, newest published first."""
    return Campaign.objects.filter(published_at__isnull=False).select_related("group").order_by("-published_at",
                                                                                                  "-pk")


def published_campaign(pk):
    """The published campaign `pk`, or None: an unpublished one is the same as a missing one."""
    return published_campaigns().filter(pk=pk).first()


def _shown_records(ids):
    """{record id: RecordShown} of the public records among `ids`, as the public reader sees them."""
    if not ids:
        return {}
    records = public_records().filter(pk__in=ids).prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("pk")),
        Prefetch("institution_links", queryset=RecordInstitution.objects.select_related("institution")))
    viewer, shown = Viewer.public(), {}
    for record in records:
        shown[record.pk] = disclose(viewer, record)
        # Only web addresses become links (a source's URL is typed by a member).
        shown[record.pk].sources = [{"title": row.source.title, "url": web_link(row.source.url),
                                     "excerpt": row.citation.excerpt} for row in shown[record.pk].citations]
    return shown


def public_changes(campaign, *, newest_first=False, limit=None):
    """The campaign's stance changes with the public record each cites (`shown`, or None), oldest first."""
    changes = (StanceChange.objects.filter(target__campaign=campaign)
               .annotate(cites_public=cited_record_public())
               .select_related("target__institution")
               .only("pk", "target_id", "from_status", "to_status", "changed_at", "evidence_id", "interaction_id",
                     "cited_record_deleted", "target__institution__name", "target__institution__name_zh"))
    changes = changes.order_by("-changed_at", "-pk") if newest_first else changes.order_by("changed_at", "pk")
    changes = list(changes[:limit] if limit else changes)
    shown = _shown_records({change.evidence_id for change in changes if change.cites_public})
    for change in changes:
        change.shown = shown.get(change.evidence_id) if change.cites_public else None
        change.justification_withheld = change.to_status in Target.NEEDS_JUSTIFICATION and change.shown is None
    return changes


def scoreboard(campaign):
    """Everything the campaign's public page shows, for `campaigns/public/campaign_body.html`."""
    from campaigns.views.campaign_pages import status_chart

    targets = list(Target.objects.filter(campaign=campaign).select_related("institution")
                   .only("pk", "ask", "status", "status_changed_at", "institution__name", "institution__name_zh")
                   .order_by("institution__name", "pk"))
    history = defaultdict(list)
    for change in public_changes(campaign):
        history[change.target_id].append(change)
    counts = defaultdict(int)
    for target in targets:
        target.public_history = history.get(target.pk, [])
        counts[target.status] += 1
    return {
        "campaign": campaign,
        "recommendations": list(campaign.recommendations.select_related("report")),
        "targets": targets,
        "chart": status_chart(dict(counts)),
    }
