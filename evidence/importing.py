"""
Importing evidence records from a spreadsheet (CSV or Excel .xlsx), in two steps: read and check every row
without saving anything, so the person sees each row's problems first; then create the valid rows' sources and
records in one transaction, through evidence.records.create_record, all or nothing.

No request objects here: the pages (evidence/views.py) hand in the file's bytes, the group and the actor. The
uploaded file waits between the two steps in private storage under a random name (never the uploader's name).
"""

import csv
import datetime
import io
import re
import secrets
import warnings
import zipfile
from calendar import monthrange
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import Action, ensure_can
from evidence import records
from evidence.models import (
    Citation,
    EvidenceImport,
    EvidenceRecord,
    Institution,
    RecordInstitution,
    Sector,
    Source,
    Tag,
    url_key,
)

MAX_ROWS = 5_000
MAX_BYTES = 10 * 1024 * 1024
# An .xlsx is a zip of XML; one that unpacks to far more than its size is refused before it is parsed.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Rows read at most, blank ones included (a sheet can claim a million formatted empty rows), and columns.
MAX_SHEET_ROWS = 50_000
MAX_COLUMNS = 100
STORAGE_FOLDER = "imports"
CSV, XLSX = "csv", "xlsx"

REQUIRED_COLUMNS = ["title", "summary", "kind"]
COLUMNS = [
    "title", "summary", "kind", "sector", "institutions", "country", "place", "event_start", "event_end",
    "language", "tags", "protected", "source_title", "source_url", "source_publisher", "source_published_on",
    "locator", "excerpt", "excerpt_language", "translation", "translator",
]
# Lists in a cell are separated by semicolons; a Chinese keyboard's full-width ones work too, as do its colons.
LIST_SEPARATOR = re.compile(r"[;；]")
# "name:role"; the last colon counts, in case a name has one.
ROLE_PATTERN = re.compile(r"^(?P<name>.*)[:：](?P<role>[^:：]*)$")
DATE_COLUMNS = {"event_start", "event_end", "source_published_on"}
DATE_PATTERN = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
TRUE_WORDS, FALSE_WORDS = {"yes", "true", "1", "y"}, {"no", "false", "0", "n", ""}


class ImportRefused(ValidationError):
    """The whole file is refused (not a spreadsheet, no header, too many rows …); the message says why."""


def _max_length(model, name):
    return model._meta.get_field(name).max_length


#
# Reading the file into rows of text
#


@dataclass
class Table:
    """The file's cells by column name: `rows` is [(row number in the sheet, {column: value})], blanks skipped."""

    format: str
    columns: list
    ignored_columns: list
    rows: list


def detect_format(data):
    """CSV or XLSX, read from the content (never the file's name); ImportRefused for anything else."""
    if not data:
        raise ImportRefused(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("The file is larger than %(size)s MB; split it into smaller files.")
                            % {"size": MAX_BYTES // (1024 * 1024)})
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                entries = archive.infolist()
                names = {entry.filename for entry in entries}
                unpacked = sum(entry.file_size for entry in entries)
        except zipfile.BadZipFile as exc:
            raise ImportRefused(_("The file looks like an Excel workbook but is damaged.")) from exc
        if "xl/workbook.xml" not in names:
            raise ImportRefused(_("Only CSV files and Excel workbooks (.xlsx) can be imported; this is another kind "
                                "of archive or document."))
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportRefused(_("This workbook unpacks to far more than its size; it was refused."))
        return XLSX
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportRefused(_("This is an old Excel .xls file. Save it as an Excel workbook (.xlsx) or as "
                            "“CSV UTF-8”, then import that."))
    if data.startswith(b"%PDF-"):
        raise ImportRefused(_("This is a PDF. Only CSV files and Excel workbooks (.xlsx) can be imported; attach a "
                            "PDF to a record instead."))
    head = data[:4096]
    # Text has no NUL and no control characters other than tab and line breaks; images and random bytes do.
    if any(byte < 32 and byte not in b"\t\r\n" for byte in head):
        raise ImportRefused(_("This file is neither a CSV file nor an Excel workbook (.xlsx)."))
    return CSV


def _decode(data):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(_("The CSV file is not in UTF-8, so its Chinese or other non-Latin text would be "
                            "garbled. In Excel, save it as “CSV UTF-8”; in LibreOffice, choose the UTF-8 "
                            "character set.")) from exc


def _csv_rows(data):
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    # Column names hold none of these, so the header line says which one separates the columns.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:MAX_COLUMNS]
            if number > MAX_SHEET_ROWS:
                return
    except csv.Error as exc:
        raise ImportRefused(_("The CSV file could not be read near row %(row)s: %(error)s.")
                            % {"row": reader.line_num, "error": exc}) from exc


def _xlsx_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 2018 typed in a cell comes back as 2018.0
    return str(value)


def _xlsx_rows(data):
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise ImportRefused(_("The workbook has no sheet."))
                sheet = workbook.worksheets[0]
                rows = sheet.iter_rows(min_row=1, max_row=MAX_SHEET_ROWS + 1, max_col=MAX_COLUMNS,
                                       values_only=True)
                # Read it all now, while the workbook is open; the limits above bound how much that is.
                return [(number, [_xlsx_cell(value) for value in cells])
                        for number, cells in enumerate(rows, start=1)]
            finally:
                workbook.close()
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error on a damaged file; all mean the same here
        raise ImportRefused(_("The workbook could not be read; it may be damaged. Save it again as .xlsx, or as "
                            "“CSV UTF-8”, and import that.")) from exc


def _column_name(cell):
    return " ".join(str(cell).split()).casefold().replace(" ", "_").replace("-", "_")


def _is_blank(cells):
    return all(cell == "" or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def read_table(data):
    """The file's rows by column name; ImportRefused if the whole file cannot be imported."""
    file_format = detect_format(data)
    physical = iter(_csv_rows(data) if file_format == CSV else _xlsx_rows(data))
    first = next(physical, None)
    header = [_column_name(cell) for cell in first[1]] if first else []
    known = [name for name in header if name in COLUMNS]
    if not known:
        raise ImportRefused(_("The first row must be a header naming the columns, e.g. title, summary, kind, "
                            "institutions, source_url."))
    duplicated = sorted({name for name in known if known.count(name) > 1})
    if duplicated:
        raise ImportRefused(_("These columns appear more than once: %(columns)s. Keep one of each.")
                            % {"columns": ", ".join(duplicated)})
    missing = [name for name in REQUIRED_COLUMNS if name not in known]
    if missing:
        raise ImportRefused(_("The header row has no %(columns)s column; every record needs a title, a summary "
                              "and a kind.") % {"columns": ", ".join(missing)})
    positions = {name: index for index, name in enumerate(header) if name in COLUMNS}
    rows = []
    for number, cells in physical:
        if number > MAX_SHEET_ROWS:
            raise ImportRefused(_("The sheet runs past row %(row)s, even if those rows look empty; copy the "
                                  "records into a new file.") % {"row": intcomma(MAX_SHEET_ROWS)})
        if _is_blank(cells):
            continue
        if len(rows) == MAX_ROWS:
            raise ImportRefused(_("The file has more than %(rows)s rows; split it into smaller files.")
                                % {"rows": intcomma(MAX_ROWS)})
        values = {}
        for name, index in positions.items():
            value = cells[index] if index < len(cells) else ""
            if isinstance(value, datetime.date) and name not in DATE_COLUMNS:
                value = value.isoformat()  # a date cell in a text column reads as it shows
            values[name] = value.strip() if isinstance(value, str) else value
        rows.append((number, values))
    if not rows:
        raise ImportRefused(_("The file has a header row but no records below it."))
    ignored = [name for name in dict.fromkeys(header) if name and name not in COLUMNS]
    return Table(format=file_format, columns=known, ignored_columns=ignored, rows=rows)


#
# Checking each row
#


@dataclass
class ImportRow:
    """One row of the file: its number in the sheet, what it would become, and what is wrong with it."""

    number: int
    values: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    # Which source the row cites: an existing Source, or the key of a new one (shared by rows with that key).
    source: Source | None = None
    source_key: tuple | None = None
    new_source: dict | None = None

    @property
    def valid(self):
        return not self.errors

    @property
    def title(self):
        return self.values.get("title", "")

    @property
    def kind_label(self):
        kind = self.values.get("kind")
        return EvidenceRecord.Kind(kind).label if kind else ""

    @property
    def institution_labels(self):
        return [f"{institution.name} ({RecordInstitution.Role(role).label.lower()})"
                for institution, role in self.values.get("institutions", [])]

    @property
    def source_label(self):
        if self.source is not None:
            return self.source.title
        return self.new_source["title"] if self.new_source else ""

    @property
    def source_is_new(self):
        return self.source is None and self.new_source is not None


@dataclass
class Preview:
    """A checked file: every row, and what importing would create."""

    format: str
    ignored_columns: list
    rows: list

    @property
    def valid_rows(self):
        return [row for row in self.rows if row.valid]

    @property
    def invalid_rows(self):
        return [row for row in self.rows if not row.valid]

    @property
    def new_source_count(self):
        return len({row.source_key for row in self.valid_rows if row.source_is_new})


def _by_name(objects, *names):
    """{casefolded name: [objects]} over the given attributes, for matching a name someone typed."""
    index = {}
    for obj in objects:
        for name in {getattr(obj, attribute).casefold() for attribute in names if getattr(obj, attribute)}:
            index.setdefault(name, []).append(obj)
    return index


class _Lookups:
    """
    The institutions the group may name, sectors and the group's sources, read once per file rather than once per
    row.
    """

    def __init__(self, group):
        institutions = list(Institution.objects.available_to(group).only("pk", "slug", "name", "name_zh"))
        self.institutions_by_slug = {institution.slug: institution for institution in institutions}
        self.institutions_by_name = _by_name(institutions, "name", "name_zh")
        sectors = list(Sector.objects.all())
        self.sectors_by_slug = {sector.slug: sector for sector in sectors}
        self.sectors_by_name = _by_name(sectors, "name")
        # The group was checked by the caller (the actor may log evidence in it); only its sources are reused.
        sources = list(Source.objects.filter(group=group).order_by("created_at", "pk"))  # the oldest first
        self.sources_by_url = {}
        self.sources_by_title = {}
        for source in sources:
            if source.url_key:
                self.sources_by_url.setdefault(source.url_key, source)
            self.sources_by_title.setdefault(source.title.casefold(), source)


KINDS = {**{value: value for value in EvidenceRecord.Kind.values},
         **{label.casefold(): value for value, label in EvidenceRecord.Kind.choices}}
ROLES = {**{value: value for value in RecordInstitution.Role.values},
         **{label.casefold(): value for value, label in RecordInstitution.Role.choices}}


def parse_date(value, *, end=False):
    """
    A date from YYYY, YYYY-MM or YYYY-MM-DD (or a date cell). A partial date means its first day, or its last
    when it ends a period, so "2018-05" to "2018" is the rest of 2018, not an end before the start.
    """
    if isinstance(value, datetime.date):
        return value
    match = DATE_PATTERN.match(value)
    if not match:
        raise ValueError(_("“%(value)s” is not a date; write YYYY, YYYY-MM or YYYY-MM-DD") % {"value": value})
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            return datetime.date(year, 12, 31) if end else datetime.date(year, 1, 1)
        if day is None:
            return datetime.date(year, month, monthrange(year, month)[1] if end else 1)
        return datetime.date(year, month, day)
    except ValueError as exc:  # month 13, 30 February … (calendar's IllegalMonthError is a ValueError)
        raise ValueError(_("“%(value)s” is not a date that exists") % {"value": value}) from exc


def _text(row, values, name, *, required=False, model=EvidenceRecord, model_field=None):
    value = values.get(name, "")
    if required and not value:
        row.errors.append(_("%(column)s: missing; every record needs one.") % {"column": name})
        return ""
    limit = _max_length(model, model_field or name) if model else None
    if limit and len(value) > limit:
        row.errors.append(_("%(column)s: too long (%(length)s characters; at most %(limit)s).")
                          % {"column": name, "length": len(value), "limit": limit})
    return value


def _date(row, values, name, *, end=False):
    value = values.get(name, "")
    if value == "":
        return None
    try:
        return parse_date(value, end=end)
    except ValueError as exc:
        row.errors.append(f"{name}: {exc}.")
        return None


def _one_by_name(name, by_slug, by_name, *, missing=None):
    """(object, None) or (None, what is wrong) for a slug or a name someone typed."""
    found = by_slug.get(name.casefold()) or by_slug.get(name)
    if found is not None:
        return found, None
    matches = by_name.get(name.casefold(), [])
    if len(matches) > 1:
        slugs = ", ".join(match.slug for match in matches)
        return None, _("“%(name)s” matches %(count)s entries; use its short name (%(slugs)s)") % {
            "name": name, "count": len(matches), "slugs": slugs}
    if matches:
        return matches[0], None
    return None, (missing or _("“%(name)s” is not in the directory")) % {"name": name}


def _institutions(row, values, lookups):
    links = []
    for item in LIST_SEPARATOR.split(values.get("institutions", "")):
        item = item.strip()
        if not item:
            continue
        name, role = item, RecordInstitution.Role.OTHER
        with_role = ROLE_PATTERN.match(item)
        if with_role:
            name, typed_role = with_role["name"].strip(), with_role["role"].strip()
            role = ROLES.get(typed_role.casefold())
            if role is None:
                row.errors.append(_("institutions: unknown role “%(role)s” for %(name)s; use vendor, deployer, "
                                    "partner or funder.") % {"role": typed_role, "name": name})
                continue
        institution, problem = _one_by_name(name, lookups.institutions_by_slug, lookups.institutions_by_name)
        if problem:
            row.errors.append(_("institutions: %(problem)s.") % {"problem": problem})
            continue
        links.append((institution, role))
    return list(dict.fromkeys(links))


def _tags(row, values):
    tags = []
    for name in LIST_SEPARATOR.split(values.get("tags", "")):
        name = " ".join(name.split())
        if not name or name in tags:
            continue
        if len(name) > _max_length(Tag, "name"):
            row.errors.append(_("tags: “%(tag)s…” is too long (at most %(limit)s characters).")
                              % {"tag": name[:20], "limit": _max_length(Tag, "name")})
        tags.append(name)
    return tags


def _url(row, values):
    url = values.get("source_url", "")
    if not url:
        return ""
    if "://" not in url:
        url = f"https://{url}"  # as the record form does: people paste "example.org/page"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        row.errors.append(_("source_url: “%(url)s” is not a web address.") % {"url": url[:80]})
        return ""
    if len(url) > _max_length(Source, "url"):
        row.errors.append(_("source_url: too long (at most %(limit)s characters).")
                          % {"limit": _max_length(Source, "url")})
    return url


def _source(row, values, lookups):
    """Which source the row cites: one the group has (same address, or same title without one) or a new one."""
    url = _url(row, values)
    title = _text(row, values, "source_title", model=Source, model_field="title")
    publisher = _text(row, values, "source_publisher", model=Source, model_field="publisher")
    published_on = _date(row, values, "source_published_on")
    citation = {
        "locator": _text(row, values, "locator", model=Citation),
        "excerpt": _text(row, values, "excerpt", model=Citation),
        "excerpt_language": _text(row, values, "excerpt_language", model=Citation),
        "translation": _text(row, values, "translation", model=Citation),
        "translator": _text(row, values, "translator", model=Citation),
    }
    if not url and not title:
        if any(citation.values()):
            row.errors.append(_("source_title: missing; an excerpt needs the source it is from (give source_title "
                              "or source_url)."))
        return None
    row.values["citation"] = citation
    if url:
        row.source_key = ("url", url_key(url))
        row.source = lookups.sources_by_url.get(url_key(url))
    else:
        row.source_key = ("title", title.casefold())
        row.source = lookups.sources_by_title.get(title.casefold())
    if row.source is None:
        if not title:
            row.errors.append(_("source_title: missing; your group has no source at this address yet, so give "
                              "the new source a title."))
            return None
        row.new_source = {"title": title, "url": url, "publisher": publisher, "published_on": published_on}
    return row.source


def check_row(number, values, lookups):
    """An ImportRow with the cleaned values and every problem found, each naming its column."""
    row = ImportRow(number=number)
    cleaned = row.values
    cleaned["title"] = _text(row, values, "title", required=True)
    cleaned["summary"] = _text(row, values, "summary", required=True)
    kind = values.get("kind", "")
    kinds = ", ".join(EvidenceRecord.Kind.values)
    cleaned["kind"] = KINDS.get(kind.casefold()) or KINDS.get(re.sub(r"[\s-]+", "_", kind.casefold()))
    if not kind:
        row.errors.append(_("kind: missing; use one of %(kinds)s.") % {"kinds": kinds})
    elif cleaned["kind"] is None:
        row.errors.append(_("kind: unknown kind “%(kind)s”; use one of %(kinds)s.") % {"kind": kind, "kinds": kinds})
    sector = values.get("sector", "")
    cleaned["sector"] = None
    if sector:
        cleaned["sector"], problem = _one_by_name(sector, lookups.sectors_by_slug, lookups.sectors_by_name,
                                                  missing=_("“%(name)s” is not in the list of sectors"))
        if problem:
            row.errors.append(_("sector: %(problem)s.") % {"problem": problem})
    cleaned["institutions"] = _institutions(row, values, lookups)
    cleaned["country"] = _text(row, values, "country")
    cleaned["place"] = _text(row, values, "place")
    cleaned["event_start"] = _date(row, values, "event_start")
    cleaned["event_end"] = _date(row, values, "event_end", end=True)
    start, end = cleaned["event_start"], cleaned["event_end"]
    if end and not start and not values.get("event_start"):
        row.errors.append(_("event_end: given without event_start; fill event_start, or use it alone for one day."))
    elif start and end and end < start:
        row.errors.append(_("event_end: the end comes before the start."))
    cleaned["language"] = _text(row, values, "language")
    cleaned["tags"] = _tags(row, values)
    protected = values.get("protected", "").casefold()
    if protected in TRUE_WORDS | FALSE_WORDS:
        cleaned["protected"] = protected in TRUE_WORDS
    else:
        row.errors.append(_("protected: “%(value)s” is not yes or no.") % {"value": values["protected"]})
    _source(row, values, lookups)
    return row


def check_table(table, group):
    """Every row of `table` checked for `group`, nothing saved."""
    lookups = _Lookups(group)
    rows = [check_row(number, values, lookups) for number, values in table.rows]
    return Preview(format=table.format, ignored_columns=table.ignored_columns, rows=rows)


def read_upload(data, *, group):
    """Read and check a file's bytes for `group`: a Preview, or ImportRefused saying why the file cannot be used."""
    return check_table(read_table(data), group)


#
# Importing the checked rows
#

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
                source = Source.objects.create(group=group, created_by=actor,
                                               protected=row.source_key in protected_keys, **row.new_source)
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


#
# Imports too large to save while the person waits: a row, and the worker's task that takes its id
#


def queue_import(group, *, actor, stored_file, file_name, only_valid_rows, row_count):
    """Hand a confirmed import to the worker once the row is committed; the stored file now belongs to it."""
    ensure_can(actor, Action.LOG_EVIDENCE, group)
    with transaction.atomic():
        job = EvidenceImport.objects.create(group=group, requested_by=actor, stored_file=stored_file,
                                            file_name=file_name, only_valid_rows=only_valid_rows,
                                            row_count=row_count)
        transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()  # failed already, if the queue could not be reached
    return job


def _enqueue(import_id):
    from config.celery import enqueue
    from evidence.tasks import import_evidence

    # The broker unreachable: the row says so, and can be retried later.
    enqueue(import_evidence, import_id, fail=lambda reason: _fail(import_id, reason))


def _fail(import_id, error):
    EvidenceImport.objects.filter(pk=import_id).exclude(status=EvidenceImport.Status.DONE).update(
        status=EvidenceImport.Status.FAILED, error=error, finished_at=timezone.now())


def retry_import(job, *, actor):
    """Queue a failed import again, if its file is still kept."""
    ensure_can(actor, Action.LOG_EVIDENCE, job.group)
    if job.status != EvidenceImport.Status.FAILED:
        raise ValidationError(_("Only a failed import is tried again."))
    if load_upload(job.stored_file) is None:
        raise ValidationError(_("The uploaded file is no longer kept; upload it again."))
    with transaction.atomic():
        EvidenceImport.objects.filter(pk=job.pk, status=EvidenceImport.Status.FAILED).update(
            status=EvidenceImport.Status.QUEUED, error="", finished_at=None)
        transaction.on_commit(lambda: _enqueue(job.pk))


def run_import(import_id):
    """
    The worker's part: check the file again and save its rows, all or nothing. Running it twice saves the rows
    once: the rows and the DONE status are committed together, and a done import is left alone.
    """
    job = EvidenceImport.objects.select_related("group", "requested_by").filter(pk=import_id).first()
    if job is None or job.status == EvidenceImport.Status.DONE:
        return
    EvidenceImport.objects.filter(pk=job.pk).exclude(status=EvidenceImport.Status.DONE).update(
        status=EvidenceImport.Status.RUNNING)
    data = load_upload(job.stored_file)
    if data is None:
        return _fail(job.pk, _("The uploaded file is no longer kept; upload it again."))
    if job.requested_by is None:
        return _fail(job.pk, _("The account that asked for the import no longer exists."))
    try:
        # Checked again: the directory or the group's sources may have changed since the preview.
        preview = read_upload(data, group=job.group)
    except ImportRefused as exc:
        return _fail(job.pk, " ".join(exc.messages))
    rows = preview.valid_rows if job.only_valid_rows else preview.rows
    if not job.only_valid_rows and preview.invalid_rows:
        numbers = ", ".join(str(row.number) for row in preview.invalid_rows[:20])
        return _fail(job.pk, _("Nothing was imported: rows %(rows)s have errors now (the directory or the group's "
                               "sources changed since the preview). Upload the file again to see them.")
                     % {"rows": numbers})
    try:
        with transaction.atomic():
            locked = EvidenceImport.objects.select_for_update().get(pk=job.pk)
            if locked.status == EvidenceImport.Status.DONE:
                return
            created = import_rows(job.group, job.requested_by, rows)
            locked.status, locked.imported_count = EvidenceImport.Status.DONE, len(created)
            locked.error, locked.finished_at = "", timezone.now()
            locked.save(update_fields=["status", "imported_count", "error", "finished_at"])
    except (ValidationError, PermissionDenied) as exc:
        return _fail(job.pk, _("Nothing was imported. %(reason)s")
                     % {"reason": " ".join(getattr(exc, "messages", [str(exc)]))})
    except SoftTimeLimitExceeded:
        # The transaction is rolled back; a retry would take as long, so say what helps instead.
        return _fail(job.pk, _("Nothing was imported: saving %(rows)s rows took longer than a background job may "
                               "run. Split the file into smaller ones and import them one by one.")
                     % {"rows": intcomma(len(rows))})
    delete_upload(job.stored_file)


#
# The uploaded file between the preview and the import
#


def _storage():
    from django.core.files.storage import storages

    return storages["private"]


def store_upload(data, file_format):
    """Keep a checked file until the person confirms; returns its stored name (random, never the upload's)."""
    from django.core.files.base import ContentFile

    name = f"{STORAGE_FOLDER}/{secrets.token_hex(16)}.{file_format}"
    return _storage().save(name, ContentFile(data))


def load_upload(name):
    """The stored file's bytes, or None if it is gone."""
    storage = _storage()
    if not name.startswith(f"{STORAGE_FOLDER}/") or not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        return handle.read()


def delete_upload(name):
    if name.startswith(f"{STORAGE_FOLDER}/"):
        _storage().delete(name)


def delete_stale_uploads(max_age=datetime.timedelta(days=1), older_than=None):
    """
    Remove files of previews nobody confirmed or cancelled (a closed tab, an expired session), and of failed
    imports nobody retried, but never the file of an import still waiting for the worker. Meant for a periodic
    task; returns how many were removed.
    """
    storage = _storage()
    try:
        _, names = storage.listdir(STORAGE_FOLDER)
    except FileNotFoundError:
        return 0
    cutoff = older_than or timezone.now() - max_age
    waiting = set(EvidenceImport.objects.filter(
        status__in=[EvidenceImport.Status.QUEUED, EvidenceImport.Status.RUNNING]).values_list("stored_file", flat=True))
    removed = 0
    for name in names:
        path = f"{STORAGE_FOLDER}/{name}"
        if path not in waiting and storage.get_modified_time(path) < cutoff:
            storage.delete(path)
            removed += 1
    return removed
