"""
Checks on uploaded evidence files. The type is read from the content, never from the name or the browser's
claim; only types a campaigner needs are taken; archives are opened only as far as their table of contents;
PDFs and office documents with active content (scripts, macros, actions that reach out, embedded files and objects)
are refused, as found by evidence/inspector.py in a child process with time and memory limits.
"""

import hashlib
import json
import logging
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from evidence.inspector import REASONS

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
_PACKAGE_TYPES = {content_type for content_type in ALLOWED_TYPES if "officedocument" in content_type
                  or "opendocument" in content_type}
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


# Why a PDF or office document was refused, by the reason evidence/inspector.py gives. People open campaigners'
# evidence on machines the state targets, and the sender of a file learns who opened it from a beacon, so a file
# with any active content is refused rather than stored with a warning: no reader's sandbox is trusted to contain it.
PDF_REFUSED = _("This PDF contains a script or starts another program (%(names)s), which could attack the computer "
                "of whoever opens it, so it was refused. Print it to a new PDF, or upload a screenshot, and try again.")
REFUSALS = {
    "script": PDF_REFUSED,
    "automatic": _("This PDF runs actions when it is opened or read (it would %(what)s), which would tell its sender "
                   "who opened it, and when, so it was refused. Print it to a new PDF, or upload a screenshot, and "
                   "try again."),
    "sends": _("This PDF can send what is typed into it, or open files elsewhere (%(names)s), which would tell its "
               "sender who opened it, so it was refused. Print it to a new PDF and try again."),
    "xfa": _("This PDF is an XFA form, which runs scripts of its own, so it was refused. Print it to a new PDF and "
             "try again."),
    "macros": _("This document contains macros or commands that run when it is opened (%(names)s), so it was "
                "refused. Save it again without macros (as .docx, .xlsx or .pptx), or as a PDF, and try again."),
    "external": _("This document fetches content from the internet when it is opened (%(names)s), which would tell "
                  "its sender who opened it, and when, so it was refused. Save it as a PDF, or remove the linked "
                  "picture or template, and try again."),
    "password": _("This PDF is locked with a password, so it cannot be checked; upload it without the password."),
    "bomb": _("This archive unpacks to far more than its size; it was refused."),
    "limits": _("This file could not be checked within the time and memory allowed, so it was refused. If it is an "
                "ordinary document, save it again, or as a PDF, and try again."),
}
REFUSALS_BY_KIND = {
    ("pdf", "embedded"): _("This PDF carries other files inside it (%(names)s), which could attack the computer of "
                           "whoever opens them, so it was refused. Print it to a new PDF and try again."),
    ("pdf", "damaged"): _("This PDF is damaged and could not be checked, so it was refused."),
    ("package", "embedded"): _("This document contains embedded objects or controls (%(names)s), which can run "
                               "programs on the computer of whoever opens it, so it was refused. Remove them, or "
                               "save the document as a PDF, and try again."),
    ("package", "damaged"): _("This document is damaged and could not be checked, so it was refused."),
}
# What an automatic PDF action would do, by its type.
AUTOMATIC_ACTIONS = {
    "/URI": _("open a web address"),
    "/SubmitForm": _("send the form to an address"),
    "/GoToR": _("open another file"),
    "/GoToE": _("open another file"),
    "/ImportData": _("open another file"),
    "/Launch": _("start another program"),
    "/JavaScript": _("run a script"),
}
INSPECTOR = Path(__file__).with_name("inspector.py")
logger = logging.getLogger(__name__)


def _run_inspector(data, kind):
    """The inspector's verdict on `data`, or "limits" if it ran out of time or memory (or died otherwise)."""
    command = [sys.executable, "-I", str(INSPECTOR), kind, str(settings.UPLOAD_CHECK_MEMORY_MB * 1024 * 1024),
               str(settings.UPLOAD_CHECK_SECONDS)]
    try:
        # No environment: the child needs none, and the site's secrets are no business of a parser of hostile files.
        finished = subprocess.run(command, input=data, capture_output=True, timeout=settings.UPLOAD_CHECK_SECONDS,
                                  env={}, check=False)
    except subprocess.TimeoutExpired:
        return {"refused": "limits", "names": []}
    try:
        verdict = json.loads(finished.stdout)
    except ValueError:
        verdict = None
    if finished.returncode != 0 or not isinstance(verdict, dict) or verdict.get("refused", "") not in (None, *REASONS):
        # Killed at a limit (out of memory, SIGXCPU) or broken; the log says which for whoever looks after the site.
        logger.warning("Upload check ended with %s: %s", finished.returncode, finished.stderr[-2000:])
        return {"refused": "limits", "names": []}
    return verdict


def inspect_content(uploaded_file, content_type):
    """Raise ValidationError saying why if a PDF or office document has active content; other types have none."""
    if content_type == "application/pdf":
        kind = "pdf"
    elif content_type in _PACKAGE_TYPES:
        kind = "package"
    else:
        return
    uploaded_file.seek(0)
    verdict = _run_inspector(uploaded_file.read(), kind)
    reason = verdict["refused"]
    if reason is None:
        return
    names = [str(name)[:80] for name in verdict.get("names", [])]
    message = REFUSALS_BY_KIND.get((kind, reason)) or REFUSALS[reason]
    what = ", ".join(dict.fromkeys(str(AUTOMATIC_ACTIONS.get(name, _("do something by itself"))) for name in names))
    raise ValidationError(message % {"names": ", ".join(names), "what": what})


def check_upload(uploaded_file):
    """Validate an upload and hash it; raises ValidationError saying why a file is refused, on the field "file"."""
    try:
        return _checked(uploaded_file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc


def _checked(uploaded_file):
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
    inspect_content(uploaded_file, content_type)
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return CheckedFile(content_type=content_type, extension=ALLOWED_TYPES[content_type],
                       sha256=digest.hexdigest(), size=uploaded_file.size,
                       display_name=display_name(uploaded_file.name))
