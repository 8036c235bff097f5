"""
The quick record a volunteer logs from a phone (evidence/views/quick.py): one transaction through the same verbs
as the full form (create_source, create_record, add_attachment), so the same roles, rules, upload checks and
history rows apply. Anything refused rolls the whole of it back: no record, source or stored file is left behind.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction

from evidence.models import EvidenceRecord, RecordInstitution, Source, url_key
from evidence.services import attachments, records, sources

# A phone report is most often a sighting of a system in use; the kind can be changed from the full form.
QUICK_KIND = EvidenceRecord.Kind.DEPLOYMENT


def _source_title(url):
    """A new source's title, until someone gives it a better one: the address without its scheme."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".rstrip("/")[:300] or url[:300]


def _cite(group, *, actor, source_url, protected):
    """The group's source at this address (two spellings of one page are one source), or a new one."""
    existing = Source.objects.filter(group=group, url_key=url_key(source_url)).order_by("pk").first()
    if existing is not None:
        return existing
    # A protected report's new source is protected too: the address may be what must not leave the group.
    return sources.create_source(group, actor=actor, title=_source_title(source_url), url=source_url,
                                 kind=Source.Kind.OTHER, protected=protected)


@transaction.atomic
def log_quick_record(group, *, actor, title, summary, place="", event_start=None, protected=False, institution=None,
                     source_url="", photo=None):
    """A new draft of `group` with at most one institution, one cited link and one photo. Returns the record."""
    citations = [{"source": _cite(group, actor=actor, source_url=source_url, protected=protected)}] \
        if source_url else []
    record = records.create_record(
        group, actor=actor, title=title, summary=summary, kind=QUICK_KIND, place=place, event_start=event_start,
        protected=protected, citations=citations,
        institutions=[(institution, RecordInstitution.Role.OTHER)] if institution is not None else [],
    )
    if photo is not None:
        try:
            attachments.add_attachment(record, actor=actor, uploaded_file=photo)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from exc
    return record
