"""
Saving the checked rows of a spreadsheet (evidence.imports.preview): the new sources and one draft record per row,
in one transaction, all or nothing, written in bulk (a few statements per thousand rows) instead of through
evidence.services' per-row verbs (create_source, create_record: about 20 statements a row), with the same result:
the same records, sources, citations, institution links, tags, history rows, captures asked for, and search
documents (tests/evidence/test_import_bulk.py compares the two).

Every check the per-row verbs make holds here, each once per file where it needs the database:
- the actor may log evidence in the group (ensure_can, as both verbs do);
- each record and new source passes its model's field validation (full_clean: lengths, choices, blanks, web
  addresses); of the checks full_clean makes with a query, the creator exists (the actor, a member of the group),
  the sector exists (read from the database for this file, and the foreign key stands behind it), no unique field
  is set, and the one constraint an import can break (the event's end before its start) is tested here in Python;
- institutions are the shared directory's or the group's own, and cited sources the group's own (_set_relations).
Signals the per-row saves sent change nothing here: the navigation's count of records waiting for verification
and the public scoreboard move only for submitted or public records, and imported records are drafts.

Search documents: PostgreSQL's triggers (evidence migration 0005) fill them whichever way rows are written. A
record's insert computes its documents from the citations and institution links already there, and each insert
of citations or links asks again for the records they name. So citations and links go in first (foreign keys are
checked at commit), and each record's documents are computed once, at its own insert, instead of three times.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_entry
from accounts.ids import in_ascending_ids
from accounts.models import AuditEntry
from accounts.permissions import Action, ensure_can
from evidence.capture.services import send_new_captures, why_not_captured
from evidence.models import Citation, EvidenceRecord, RecordInstitution, Source, SourceCapture, Tag, url_key

_RECORD_FIELDS = ["title", "summary", "kind", "sector", "country", "place", "event_start", "event_end", "language",
                  "protected"]
# Checked once for the whole file (see the module's docstring) rather than by a query per row.
_RECORD_NOT_CLEANED = ["group", "created_by", "sector"]
_SOURCE_NOT_CLEANED = ["group", "created_by", "report"]
# Rows per INSERT statement: large enough that statements cost little, small enough to bound each one's memory.
BATCH_SIZE = 1000


def _row_error(row, exc):
    return ValidationError(_("Row %(row)s: %(errors)s") % {"row": row.number, "errors": " ".join(exc.messages)})


def _check_record(record):
    record.full_clean(exclude=_RECORD_NOT_CLEANED, validate_unique=False, validate_constraints=False)
    # The model's evidence_event_range_in_order constraint, which full_clean would test with a query.
    if record.event_end and (record.event_start is None or record.event_end < record.event_start):
        raise ValidationError({"event_end": _("The end comes before the start.")})


def _check_links(group, row):
    """What create_record's _set_relations refuses: another group's institution or source."""
    for institution, _role in row.values["institutions"]:
        if institution.added_by_group_id not in (None, group.pk):
            raise ValidationError({"institutions": _("A record can only name the shared directory's institutions "
                                                     "and its own group's.")})
    if row.source is not None and row.source.group_id != group.pk:
        raise ValidationError({"citations": _("A record can only cite its own group's sources.")})


def _new_sources(group, actor, rows):
    """{source key: unsaved Source} for the sources the rows create, checked, in the order rows first cite them."""
    # A new source cited by a protected record is protected too: it may name the same person at risk.
    protected_keys = {row.source_key for row in rows if row.source_is_new and row.values["protected"]}
    new_sources = {}
    for row in rows:
        if not row.source_is_new or row.source_key in new_sources:
            continue
        source = Source(group=group, created_by=actor, protected=row.source_key in protected_keys, **row.new_source)
        try:
            source.full_clean(exclude=_SOURCE_NOT_CLEANED)
        except ValidationError as exc:
            raise _row_error(row, exc) from exc
        source.url_key = url_key(source.url)  # as Source.save() does
        new_sources[row.source_key] = source
    return new_sources


def _tags_by_name(group, names):
    """The group's tags of these names, the missing ones created (one that appears meanwhile is taken as it is)."""
    names = list(dict.fromkeys(names))

    def existing(wanted):
        found = {}
        for start in range(0, len(wanted), BATCH_SIZE):
            found.update((tag.name, tag) for tag in Tag.objects.filter(group=group,
                                                                       name__in=wanted[start:start + BATCH_SIZE]))
        return found

    tags = existing(names)
    missing = [name for name in names if name not in tags]
    if missing:
        Tag.objects.bulk_create(in_ascending_ids(Tag(group=group, name=name) for name in missing),
                                batch_size=BATCH_SIZE, ignore_conflicts=True)
        tags.update(existing(missing))
    return tags


@transaction.atomic
def import_rows(group, actor, rows, *, progress=None):
    """
    Create the new sources and one draft record per row, in one transaction: if any row fails, nothing is saved.
    Rows with errors are refused; check them with read_upload first. Returns the records. `progress(count)`, if
    given, is called as each batch of records is written.
    """
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    invalid = [row.number for row in rows if not row.valid]
    if invalid:
        raise ValidationError(_("Rows with errors cannot be imported: %(rows)s.")
                              % {"rows": ", ".join(map(str, invalid))})
    new_sources = _new_sources(group, actor, rows)
    records = []
    for row in rows:
        record = EvidenceRecord(group=group, created_by=actor,
                                **{name: row.values[name] for name in _RECORD_FIELDS})
        try:
            _check_record(record)
            _check_links(group, row)
        except ValidationError as exc:
            raise _row_error(row, exc) from exc
        records.append(record)
    if not records:
        return []

    Source.objects.bulk_create(in_ascending_ids(new_sources.values()), batch_size=BATCH_SIZE)
    in_ascending_ids(records)  # ids now, so that citations and links can go in before the records (see above)
    tags = _tags_by_name(group, (name for row in rows for name in row.values["tags"]))
    citations, links, tag_links = [], [], []
    TagLink = EvidenceRecord.tags.through
    for row, record in zip(rows, records, strict=True):
        source = new_sources[row.source_key] if row.source_is_new else row.source
        if source is not None:
            citations.append(Citation(record_id=record.pk, source=source, captured_by=actor,
                                      **row.values["citation"]))
        links.extend(RecordInstitution(record_id=record.pk, institution=institution, role=role)
                     for institution, role in dict.fromkeys(row.values["institutions"]))
        tag_links.extend(TagLink(evidencerecord_id=record.pk, tag=tags[name])
                         for name in dict.fromkeys(row.values["tags"]))
    Citation.objects.bulk_create(in_ascending_ids(citations), batch_size=BATCH_SIZE)
    RecordInstitution.objects.bulk_create(in_ascending_ids(links), batch_size=BATCH_SIZE)
    TagLink.objects.bulk_create(tag_links, batch_size=BATCH_SIZE)
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start:start + BATCH_SIZE]
        EvidenceRecord.objects.bulk_create(batch)
        if progress is not None:
            progress(len(batch))

    _write_history(group, actor, rows, records, new_sources)
    return records


def _created_dict(record, row):
    """
    record.to_dict() of a record just imported, from what the row gave rather than by reading its links back (a
    few queries a record); test_import_bulk holds the two equal.
    """
    return {
        "title": record.title, "summary": record.summary, "kind": record.kind,
        "sector": record.sector.slug if record.sector_id else None, "country": record.country,
        "place": record.place,
        "event_start": record.event_start.isoformat() if record.event_start else None,
        "event_end": record.event_end.isoformat() if record.event_end else None,
        "language": record.language, "protected": record.protected, "status": record.status,
        "decision_reason": record.decision_reason,
        "institutions": sorted(f"{institution.slug}:{role}"
                               for institution, role in dict.fromkeys(row.values["institutions"])),
        "recommendations": [], "rights": [],
        "tags": sorted(dict.fromkeys(row.values["tags"])),
    }


def _write_history(group, actor, rows, records, new_sources):
    """
    The history rows the per-row verbs write, in the same order: for each row, its new source's (and the capture
    asked for, when the group captures sources), then its record's. Captures go to the worker after the commit.
    """
    captures = {}
    for source in new_sources.values():
        if not why_not_captured(source):
            captures[source.pk] = SourceCapture(group=group, source=source, url=source.url, requested_by=actor)
    SourceCapture.objects.bulk_create(in_ascending_ids(captures.values()), batch_size=BATCH_SIZE)
    entries, written = [], set()
    for row, record in zip(rows, records, strict=True):
        source = new_sources.get(row.source_key) if row.source_is_new else None
        if source is not None and source.pk not in written:
            written.add(source.pk)
            entries.append(audit_entry(actor=actor, obj=source, action="source.created", before=None,
                                       after=source.to_dict()))
            if source.pk in captures:
                entries.append(audit_entry(actor=actor, obj=source, action="source.capture_requested",
                                           after={"url": source.url}))
        entries.append(audit_entry(actor=actor, obj=record, action="evidence.created", before=None,
                                   after=_created_dict(record, row)))
    AuditEntry.objects.bulk_create(in_ascending_ids(entries), batch_size=BATCH_SIZE)
    send_new_captures(captures.values())
