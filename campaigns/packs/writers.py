"""
The files of a briefing pack, written in a local scratch folder: the briefing as PDF and DOCX, the evidence and
the targets as CSV and XLSX, the attached files, and the ZIP holding them all with its signed manifest.
"""

import hashlib
import os
import time
import zipfile

from django.conf import settings
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from campaigns.briefing.docx import render_docx
from campaigns.briefing.pdf import render_pdf
from campaigns.packs.manifest import build_manifest
from campaigns.packs.scope import PackError
from campaigns.packs.signature import write_signed_manifest, write_verification_files
from campaigns.packs.tables import INTERNAL_EVIDENCE, INTERNAL_TARGETS, columns_for, headers, sheet_title
from config.spreadsheets import CsvWriter, xlsx_row

# The internal pack's CSV columns (machine names); campaigns.packs.tables has every kind's columns.
EVIDENCE_COLUMNS = [column["key"] for column in INTERNAL_EVIDENCE]
TARGET_COLUMNS = [column["key"] for column in INTERNAL_TARGETS]


def write_csv(path, columns, rows):
    # UTF-8 with a byte-order mark, or Excel reads the Chinese text as Latin-1.
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = CsvWriter(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(column) for column in columns])


def write_xlsx(path, title, columns, rows, *, language="en"):
    """
    A sheet for people: `columns` (campaigns.packs.tables) give each header in the pack's language and its width;
    the header row stays in view and has filters.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for n, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = column["width"]
    sheet.freeze_panes = "A2"
    sheet.append(xlsx_row(headers(columns, language)))
    count = 0
    for row in rows:
        sheet.append(xlsx_row([row.get(column["key"]) for column in columns]))
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    workbook.save(path)


def file_digest(path):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def pause_for_tests(step):
    """
    The tests that kill a worker in the middle of a pack make it wait here, at a known step, for as long as a file
    exists (settings.PACK_TEST_PAUSE = (step, path), set only by tests/campaigns/pack_worker_settings.py).
    """
    pause = getattr(settings, "PACK_TEST_PAUSE", None)
    if not pause or pause[0] != step:
        return
    deadline = time.monotonic() + 60
    while os.path.exists(pause[1]) and time.monotonic() < deadline:
        time.sleep(0.05)


def write_pack(content, folder, progress, *, pack, generated_at):
    """Write the pack's files and its ZIP in `folder` (local scratch); return the ZIP's path."""
    folder = str(folder)
    files = []  # (name in the ZIP, local path)

    def local(name):
        return os.path.join(folder, name)

    render_pdf(content.briefing, local("briefing.pdf"), scratch=folder)
    files.append(("briefing.pdf", local("briefing.pdf")))
    progress.step("pdf")
    render_docx(content.briefing, local("briefing.docx"))
    files.append(("briefing.docx", local("briefing.docx")))
    progress.step("docx")
    evidence_columns, target_columns = columns_for(pack.kind)
    for stem, columns, rows in (("evidence", evidence_columns, content.evidence_rows),
                                ("targets", target_columns, content.target_rows)):
        write_csv(local(f"{stem}.csv"), [column["key"] for column in columns], rows)
        write_xlsx(local(f"{stem}.xlsx"), sheet_title(stem, pack.language), columns, rows, language=pack.language)
        files += [(f"{stem}.csv", local(f"{stem}.csv")), (f"{stem}.xlsx", local(f"{stem}.xlsx"))]
        progress.step("tables")

    zip_path = local("pack.zip")
    entries = []
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in files:
            archive.write(path, name)
            digest, size = file_digest(path)
            entries.append({"name": name, "size": size, "sha256": digest})
        pause_for_tests("zip")
        for name, attachment in content.attachments:
            digest, size = hashlib.sha256(), 0
            try:
                source = attachment.file.open("rb")
            except FileNotFoundError as exc:
                raise PackError(f"The file “{attachment.original_name}” is missing from storage.") from exc
            with source, archive.open(name, "w", force_zip64=True) as target:
                while chunk := source.read(1024 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            entries.append({"name": name, "size": size, "sha256": digest.hexdigest()})
            progress.step("attachment")
        entries += write_verification_files(archive, language=pack.language)
        write_signed_manifest(archive, build_manifest(content, entries, pack=pack, generated_at=generated_at))
    progress.step("manifest")
    return zip_path

