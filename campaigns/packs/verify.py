"""
The public verify page's check: anyone holding a briefing pack (or its manifest.json) learns whether this site
signed it and, for a whole pack, how each file compares with the manifest. Reads nothing from the database.
"""

import hashlib
import json
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from campaigns.packs.manifest import MANIFEST_FORMAT, MANIFEST_NAME, signature_is_valid

# The verify page refuses a ZIP of more files than this; how much it unpacks is in settings (PACK_VERIFY_MAX_*).
VERIFY_MAX_MEMBERS = 20_000


@dataclass
class Verification:
    """What the verify page says: whether the site signed the manifest, and for a ZIP how each file compares."""

    readable: bool = False
    signature_valid: bool = False
    problem: str = ""
    checked_files: bool = False
    matching: list = field(default_factory=list)
    differing: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    extra: list = field(default_factory=list)

    @property
    def intact(self):
        return self.signature_valid and (not self.checked_files
                                         or not (self.differing or self.missing or self.extra))


def _parse_manifest(data):
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        return None
    files = manifest.get("files")
    if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("sha256"), str)
            for f in files):
        return None
    return manifest


def verify_upload(upload):
    """Check an uploaded manifest.json or a whole pack (a ZIP); reads nothing from the database."""
    upload.seek(0)
    if zipfile.is_zipfile(upload):
        upload.seek(0)
        return _verify_zip(upload)
    upload.seek(0)
    data = upload.read(10 * 1024 * 1024 + 1)
    manifest = _parse_manifest(data) if len(data) <= 10 * 1024 * 1024 else None
    if manifest is None:
        return Verification(problem=gettext("This is neither a briefing pack (a ZIP) nor its manifest.json."))
    return Verification(readable=True, signature_valid=signature_is_valid(manifest))


def _verify_zip(upload):
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError):
        return Verification(problem=gettext("The ZIP file cannot be read."))
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if len(infos) > VERIFY_MAX_MEMBERS:
            return Verification(problem=gettext("The ZIP holds too many files to be a briefing pack."))
        names = {info.filename: info for info in infos}
        if MANIFEST_NAME not in names or names[MANIFEST_NAME].file_size > 10 * 1024 * 1024:
            return Verification(problem=gettext("The ZIP has no manifest.json: it is not a briefing pack."))
        try:
            manifest = _parse_manifest(archive.read(MANIFEST_NAME))
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            manifest = None
        if manifest is None:
            return Verification(problem=gettext("The ZIP's manifest.json is not a briefing pack's manifest."))
        result = Verification(readable=True, signature_valid=signature_is_valid(manifest), checked_files=True)
        listed = {}
        for entry in manifest["files"]:
            listed[entry["name"]] = entry
        # What hashing may unpack: a zip bomb (a few MB inflating to gigabytes) costs only this much CPU. The sizes
        # the ZIP declares are checked first, then the bytes actually read, since a declared size can lie.
        budget = min(settings.PACK_VERIFY_MAX_UNPACKED_BYTES, settings.PACK_VERIFY_MAX_RATIO * max(upload.size, 1))
        if sum(info.file_size for name, info in names.items() if name in listed) > budget:
            result.problem = gettext("The ZIP unpacks to more than the verify page reads.")
            return result
        for name, entry in listed.items():
            info = names.get(name)
            if info is None:
                result.missing.append(name)
                continue
            digest, size = hashlib.sha256(), 0
            try:
                with archive.open(info) as member:
                    while chunk := member.read(1024 * 1024):
                        size += len(chunk)
                        budget -= len(chunk)
                        if budget < 0:
                            result.problem = gettext("The ZIP unpacks to more than the verify page reads.")
                            return result
                        digest.update(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
                result.differing.append(name)
                continue
            same = constant_time_compare(digest.hexdigest(), entry["sha256"]) and size == entry.get("size")
            (result.matching if same else result.differing).append(name)
        result.extra = sorted(name for name in names if name not in listed and name != MANIFEST_NAME)
        return result
