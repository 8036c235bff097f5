"""
Reading a spreadsheet (CSV or Excel .xlsx) into rows of text by column name, refusing at once a file that cannot
be imported at all: not a spreadsheet, too large, no header, too many rows. The file's kind is read from its
content, never from its name.
"""

import csv
import datetime
import io
import warnings
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook

# Rows and bytes of one file (config/settings.py: a confirmed import of this size is saved by the long queue).
MAX_ROWS = settings.IMPORT_MAX_ROWS
MAX_BYTES = settings.IMPORT_MAX_BYTES
# An .xlsx is a zip of XML; one that unpacks to more than this many times the largest file allowed is refused
# before it is parsed (read when checking, so that a lower MAX_BYTES lowers it too).
MAX_UNPACK_RATIO = 10
# Rows read at most, blank ones included (a sheet can claim a million formatted empty rows), and columns.
MAX_SHEET_ROWS = 2 * MAX_ROWS
MAX_COLUMNS = 100
CSV, XLSX = "csv", "xlsx"

REQUIRED_COLUMNS = ["title", "summary", "kind"]
COLUMNS = [
    "title", "summary", "kind", "sector", "institutions", "country", "place", "event_start", "event_end",
    "language", "tags", "protected", "source_title", "source_url", "source_publisher", "source_published_on",
    "locator", "excerpt", "excerpt_language", "translation", "translator",
]
DATE_COLUMNS = {"event_start", "event_end", "source_published_on"}


class ImportRefused(ValidationError):
    """The whole file is refused (not a spreadsheet, no header, too many rows …); the message says why."""


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
        if unpacked > MAX_UNPACK_RATIO * MAX_BYTES:
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
