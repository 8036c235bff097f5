"""
The preview the worker made of a file too large to check while the person waits (evidence.imports.worker), kept in
private storage beside the uploaded file until the person imports or cancels, for the import's page to show: what
each row would become and its problems, as evidence/import_preview.html reads them from a Preview.
"""

import json
from dataclasses import dataclass, field

from django.core.files.base import ContentFile

from evidence.imports.preview import RowsByValidity
from evidence.imports.uploads import STORAGE_FOLDER, preview_name, upload_storage


@dataclass
class StoredRow:
    """One row as the preview page shows it (evidence.imports.preview.ImportRow's displayed attributes)."""

    number: int
    title: str = ""
    kind_label: str = ""
    institution_labels: list = field(default_factory=list)
    source_label: str = ""
    source_is_new: bool = False
    errors: list = field(default_factory=list)

    @property
    def valid(self):
        return not self.errors


@dataclass
class StoredPreview(RowsByValidity):
    """A checked file as the page shows it; the worker checks the file again before it saves any row."""

    format: str
    ignored_columns: list
    rows: list
    new_source_count: int = 0


def save_preview(preview, stored_file):
    """Keep what the page shows of `preview` (an evidence.imports.preview.Preview) beside the uploaded file."""
    data = {
        "format": preview.format, "ignored_columns": preview.ignored_columns,
        "new_source_count": preview.new_source_count,
        "rows": [[row.number, row.title, str(row.kind_label), row.institution_labels, row.source_label,
                  row.source_is_new, [str(error) for error in row.errors]] for row in preview.rows],
    }
    name = preview_name(stored_file)
    storage = upload_storage()
    storage.delete(name)  # a retried check writes it again under the same name
    storage.save(name, ContentFile(json.dumps(data, ensure_ascii=False).encode()))


def load_preview(stored_file):
    """The kept preview of the upload `stored_file`, or None if it is gone."""
    name = preview_name(stored_file)
    storage = upload_storage()
    if not name.startswith(f"{STORAGE_FOLDER}/") or not storage.exists(name):
        return None
    with storage.open(name, "rb") as handle:
        data = json.loads(handle.read())
    rows = [StoredRow(number, title, kind_label, labels, source_label, source_is_new, errors)
            for number, title, kind_label, labels, source_label, source_is_new, errors in data["rows"]]
    return StoredPreview(format=data["format"], ignored_columns=data["ignored_columns"], rows=rows,
                         new_source_count=data["new_source_count"])


def delete_preview(stored_file):
    if stored_file.startswith(f"{STORAGE_FOLDER}/"):
        upload_storage().delete(preview_name(stored_file))
