"""
Cells of the spreadsheets the site writes (the audit CSV, the CSV and Excel files of briefing packs): every cell
goes through here, so that text a member typed (a name, a title, a summary) is shown and never run.

A cell starting with = + - @ (or a tab or carriage return, which some programs skip before reading a formula) is
run as a formula by Excel and LibreOffice (CSV injection: `=HYPERLINK(...)` leaks the sheet, `=cmd|...` starts a
program). Such a cell gets a leading apostrophe, the spreadsheet convention for "this is text", as OWASP advises.
The writers below neutralise every cell of every row, so a new column cannot be forgotten.
"""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 has no place for these control characters; openpyxl refuses a cell holding one.
_NOT_XML = str.maketrans({c: None for c in [*range(0, 9), 11, 12, *range(14, 32)]})
XLSX_MAX_CELL = 32_767


def neutralise(value):
    """A cell's text as a spreadsheet must show it: never a formula."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class CsvWriter:
    """csv.writer whose every cell is neutralised."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, cells):
        self._writer.writerow([neutralise(cell) for cell in cells])


def xlsx_row(cells):
    """A row for openpyxl: neutralised, without the characters XML cannot hold, each cell within Excel's limit."""
    return [neutralise(cell).translate(_NOT_XML)[:XLSX_MAX_CELL] for cell in cells]
