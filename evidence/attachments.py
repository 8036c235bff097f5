"""
Checks on uploaded evidence files. The type is read from the content, never from the name or the browser's
claim; only types a campaigner needs are taken; archives are opened only as far as their table of contents;
PDFs with scripts or launch actions are refused.
"""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

import pikepdf
import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change

# Detected type -> the extension the stored file gets.
ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}
_OOXML_PARTS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# An office document that unpacks to more than this is treated as a zip bomb.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
HEAD_BYTES = 64 * 1024


@dataclass
class CheckedFile:
    content_type: str
    extension: str
    sha256: str
    size: int
    display_name: str


def display_name(name):
    """The uploader's file name without folders or characters that are unsafe in a download header."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    cleaned = get_valid_filename(base) if base.strip(". ") else ""
    return cleaned[:150] or "attachment"


def _zip_type(uploaded_file):
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            entries = archive.infolist()
            if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
                raise ValidationError(_("This archive unpacks to far more than its size; it was refused."))
            names = [entry.filename for entry in entries]
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in ALLOWED_TYPES else None
            if "[Content_Types].xml" in names:
                for prefix, content_type in _OOXML_PARTS.items():
                    if any(name.startswith(prefix) for name in names):
                        return content_type
    except zipfile.BadZipFile:
        return None
    return None


def _is_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        return exc.start >= len(head) - 3
    return True


def detect_type(uploaded_file):
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(uploaded_file)
    try:
        content_type = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        content_type = ""
    if content_type in ALLOWED_TYPES:
        return content_type
    # SVG and HTML are text but can carry scripts; they are refused like any other unlisted type.
    lowered = head.lstrip()[:512].lower()
    if not content_type and _is_text(head) and not lowered.startswith((b"<", b"\xef\xbb\xbf<")):
        return "text/plain"
    return None


# PDF names that make a reader run a script or another program: on opening the file (/OpenAction, /AA) or on a
# click (/A), the action is one of these. People open campaigners' evidence on machines the state targets, so a
# PDF that carries any is refused rather than stored: no reader's sandbox is trusted to contain it.
PDF_ACTIVE_NAMES = {"/JS", "/JavaScript", "/Launch"}
_PDF_NAME = re.compile(rb"/(?:[A-Za-z0-9]|#[0-9A-Fa-f]{2})+")
PDF_REFUSED = _("This PDF contains a script or starts another program (%(names)s), which could attack the computer "
                "of whoever opens it, so it was refused. Print it to a new PDF, or upload a screenshot, and try again.")


def _decoded_pdf_name(token):
    # In a PDF name "#4A" is "J": /J#61vaScript is /JavaScript spelt so that a plain search misses it.
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), token).decode("latin-1")


def _active_in(obj, seen):
    """The first script or launch name in a PDF object and everything it refers to (each object once)."""
    stack = [obj]
    while stack:
        obj = stack.pop()
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
            continue  # numbers, strings, names: nothing inside
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            found = PDF_ACTIVE_NAMES & set(obj.keys())
            if found:
                return sorted(found)[0]
            kind = obj.get("/S")
            if isinstance(kind, pikepdf.Name) and str(kind) in PDF_ACTIVE_NAMES:
                return str(kind)
            stack.extend(obj.values())
        elif isinstance(obj, pikepdf.Array):
            stack.extend(obj)
    return None


def _pdf_active_content(data):
    """The first script or launch action in a PDF, or None. Checks the bytes and every object qpdf finds."""
    names = set()
    for token in _PDF_NAME.findall(data):
        name = _decoded_pdf_name(token) if b"#" in token else token.decode("latin-1")
        if name in PDF_ACTIVE_NAMES:
            return name
        names.add(name)
    # Dictionaries can hide in compressed object streams, where the bytes show nothing; qpdf opens those.
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            seen = set()
            for obj in pdf.objects:
                found = _active_in(obj, seen)
                if found:
                    return found
    except pikepdf.PasswordError as exc:
        raise ValidationError(_("This PDF is locked with a password, so it cannot be checked; upload it without "
                              "the password.")) from exc
    except pikepdf.PdfError as exc:
        # Without object streams the bytes, searched above, are all there is; with them, what qpdf cannot read
        # is not known to be harmless.
        if "/ObjStm" in names:
            raise ValidationError(_("This PDF is damaged and could not be checked, so it was refused.")) from exc
    return None


def check_upload(uploaded_file):
    """Validate an upload and hash it; raises ValidationError saying why a file is refused."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(_("The file is %(size)s; the limit is %(limit)s.")
                              % {"size": filesizeformat(uploaded_file.size), "limit": filesizeformat(limit)})
    if uploaded_file.size == 0:
        raise ValidationError(_("The file is empty."))
    content_type = detect_type(uploaded_file)
    if content_type is None:
        raise ValidationError(_("This kind of file is not accepted. Upload a PDF, an image (PNG, JPEG, GIF, WebP), "
                              "an office document or plain text."))
    if content_type == "application/pdf":
        uploaded_file.seek(0)
        active = _pdf_active_content(uploaded_file.read())
        if active:
            raise ValidationError(PDF_REFUSED % {"names": active})
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return CheckedFile(content_type=content_type, extension=ALLOWED_TYPES[content_type],
                       sha256=digest.hexdigest(), size=uploaded_file.size,
                       display_name=display_name(uploaded_file.name))


def download_response(attachment, *, actor):
    """
    An uploaded file (an evidence or interaction attachment) as a download for `actor`, who has already been allowed
    to see it; 404 if storage has lost it. Every download is written to the group's audit log, whichever kind of
    file it is: who read a letter from a ministry matters as much as who read a piece of evidence. Nothing in
    between keeps a copy, and a file opened in the browser after all runs nothing.
    """
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc  # before the audit row: nothing was read
    record_change(actor=actor, obj=attachment, action="attachment.downloaded")
    response = FileResponse(handle, as_attachment=True, filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
