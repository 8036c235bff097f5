"""
Saving the checked rows of a spreadsheet (evidence.imports.preview): the new sources and one draft record per row,
through evidence.services (create_source, create_record), in one transaction, all or nothing.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.permissions import Action, ensure_can
from evidence.services import records, sources

_RECORD_FIELDS = ["title", "summary", "kind", "sector", "country", "place", "event_start", "event_end", "language",
                  "protected"]


@transaction.atomic
def import_rows(group, actor, rows):
    """
    Create the new sources and one draft record per row, in one transaction: if any row fails, nothing is saved.
    Rows with errors are refused; check them with read_upload first. Returns the records.
    """
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    invalid = [row.number for row in rows if not row.valid]
    if invalid:
        raise ValidationError(_("Rows with errors cannot be imported: %(rows)s.")
                              % {"rows": ", ".join(map(str, invalid))})
    # A new source cited by a protected record is protected too: it may name the same person at risk.
    protected_keys = {row.source_key for row in rows if row.source_is_new and row.values["protected"]}
    new_sources = {}
    created = []
    for row in rows:
        source = row.source
        if row.source_is_new:
            source = new_sources.get(row.source_key)
            if source is None:
                source = sources.create_source(group, actor=actor, protected=row.source_key in protected_keys,
                                               **row.new_source)
                new_sources[row.source_key] = source
        values = row.values
        citations = [{"source": source, **values["citation"]}] if source is not None else []
        try:
            created.append(records.create_record(
                group, actor=actor, institutions=values["institutions"], tags=values["tags"], citations=citations,
                **{name: values[name] for name in _RECORD_FIELDS},
            ))
        except ValidationError as exc:
            raise ValidationError(_("Row %(row)s: %(errors)s")
                                  % {"row": row.number, "errors": " ".join(exc.messages)}) from exc
    return created

