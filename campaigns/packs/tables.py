"""
The columns of a briefing pack's tables (evidence and targets, as CSV and XLSX), per kind of pack.

The CSV keeps machine names as its header (stable for scripts that read it); the XLSX is for people: headers in
the pack's language, widths, a frozen header row and filters. An outward pack's tables have only what its
briefing shows (campaigns.packs.outward): no link into the site, no group, status, owner or next step.
"""

from django.utils import translation
from django.utils.translation import pgettext_lazy

from campaigns.models import BriefingPack


def _column(key, label, width):
    return {"key": key, "label": label, "width": width}


_ID = _column("id", pgettext_lazy("briefing table", "Id"), 8)
_TITLE = _column("title", pgettext_lazy("briefing table", "Title"), 40)
_SUMMARY = _column("summary", pgettext_lazy("briefing table", "Summary"), 60)
_KIND = _column("kind", pgettext_lazy("briefing table", "Kind"), 16)
_EVENT_START = _column("event_start", pgettext_lazy("briefing table", "Event start"), 12)
_EVENT_END = _column("event_end", pgettext_lazy("briefing table", "Event end"), 12)
_PLACE = _column("place", pgettext_lazy("briefing table", "Place"), 18)
_COUNTRY = _column("country", pgettext_lazy("briefing table", "Country"), 12)
_INSTITUTIONS = _column("institutions", pgettext_lazy("briefing table", "Institutions"), 36)
_SOURCES = _column("sources", pgettext_lazy("briefing table", "Sources"), 50)
_EXCERPT = _column("excerpt", pgettext_lazy("briefing table", "Excerpts"), 60)
_TRANSLATION = _column("translation", pgettext_lazy("briefing table", "Translations"), 60)
_INSTITUTION = _column("institution", pgettext_lazy("briefing table", "Institution"), 30)
_INSTITUTION_ZH = _column("institution_zh", pgettext_lazy("briefing table", "Chinese name"), 20)
_ASK = _column("ask", pgettext_lazy("briefing table", "Ask"), 60)
_EVIDENCE = _column("evidence", pgettext_lazy("briefing table", "Evidence"), 24)

INTERNAL_EVIDENCE = [
    _ID, _column("url", pgettext_lazy("briefing table", "Link"), 36), _TITLE, _SUMMARY, _KIND,
    _column("status", pgettext_lazy("briefing table", "Status"), 12),
    _column("group", pgettext_lazy("briefing table", "Group"), 18),
    _column("shared_copy", pgettext_lazy("briefing table", "Shared copy"), 10),
    _column("protected", pgettext_lazy("briefing table", "Protected"), 10),
    _EVENT_START, _EVENT_END, _PLACE, _COUNTRY, _INSTITUTIONS, _SOURCES, _EXCERPT, _TRANSLATION,
]
INTERNAL_TARGETS = [
    _ID, _column("url", pgettext_lazy("briefing table", "Link"), 36),
    _column("campaign", pgettext_lazy("briefing table", "Campaign"), 30),
    _column("campaign_url", pgettext_lazy("briefing table", "Campaign link"), 36),
    _INSTITUTION, _INSTITUTION_ZH, _column("institution_url", pgettext_lazy("briefing table", "Institution link"), 36),
    _ASK, _column("status", pgettext_lazy("briefing table", "Status"), 14),
    _column("priority", pgettext_lazy("briefing table", "Priority"), 10),
    _column("owner", pgettext_lazy("briefing table", "Owner"), 16),
    _column("next_step", pgettext_lazy("briefing table", "Next step"), 36),
    _column("next_step_due", pgettext_lazy("briefing table", "Due"), 12), _EVIDENCE,
    _column("interactions", pgettext_lazy("briefing table", "Interactions"), 12),
    _column("last_interaction", pgettext_lazy("briefing table", "Last interaction"), 14),
]
OUTWARD_EVIDENCE = [
    _ID, _column("key", pgettext_lazy("briefing table", "Key evidence"), 10), _TITLE, _SUMMARY, _KIND,
    _EVENT_START, _EVENT_END, _PLACE, _COUNTRY, _INSTITUTIONS, _SOURCES, _EXCERPT, _TRANSLATION,
]
OUTWARD_TARGETS = [_ID, _INSTITUTION, _INSTITUTION_ZH, _ASK, _EVIDENCE]


def columns_for(kind):
    """(evidence columns, target columns) of a pack of `kind`."""
    if kind == BriefingPack.Kind.OUTWARD:
        return OUTWARD_EVIDENCE, OUTWARD_TARGETS
    return INTERNAL_EVIDENCE, INTERNAL_TARGETS


def headers(columns, language):
    """The columns' labels in the pack's language (from the .po, like every other word of the pack)."""
    with translation.override(language):
        return [str(column["label"]) for column in columns]


def sheet_title(stem, language):
    with translation.override(language):
        titles = {"evidence": pgettext_lazy("briefing table", "Evidence"),
                  "targets": pgettext_lazy("briefing table", "Targets")}
        return str(titles[stem])[:31]
