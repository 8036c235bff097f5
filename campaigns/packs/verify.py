"""
The check of the public verify page and of `manage.py verify_pack`: anyone holding a briefing pack (or its
manifest.json) learns whether this site signed it and, for a whole pack, how each file compares with the manifest.
Reads nothing from the database.

A pack made since issue 18 carries manifest.sig, the Ed25519 signature of manifest.json by one of the site's keys
(campaigns/packs/keys.py; its manifest names the key), and maybe a timestamp of it. One made before carries only the
HMAC inside its manifest ("signed the old way"), which the site alone can check; it still verifies.
"""

import hashlib
import json
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext

from campaigns.packs import keys, timestamps
from campaigns.packs.manifest import MANIFEST_FORMAT, MANIFEST_NAME, signature_is_valid
from campaigns.packs.signature import SIGNATURE_NAME, UNLISTED
from campaigns.packs.verdict import timestamp_line, verdict_headline

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
    # Which of the site's keys signed manifest.sig (None for a pack signed the old way, or not by the site).
    signed_by: keys.SiteKey | None = None
    signed_old_way: bool = False
    # The manifest names one of the site's keys: if the signature does not match, manifest.json or manifest.sig was
    # changed (or removed) after signing, rather than made elsewhere.
    claims_site_key: bool = False
    timestamp: timestamps.TimestampCheck | None = None

    @property
    def intact(self):
        return self.signature_valid and not self.problem and (
            not self.checked_files or not (self.differing or self.missing or self.extra))

    @property
    def manifest_altered(self):
        return self.claims_site_key and not self.signature_valid and SIGNATURE_NAME not in self.missing

    @property
    def altered_files(self):
        return [*([MANIFEST_NAME] if self.manifest_altered else []), *self.differing, *self.missing, *self.extra]

    @property
    def headline(self):
        return verdict_headline(self)

    @property
    def timestamp_text(self):
        return timestamp_line(self.timestamp) if self.timestamp else ""

    @property
    def verdict(self):
        """One word for the one-line verdict (campaigns/packs/verdict.py words it)."""
        if not self.readable:
            return "unreadable"
        if not self.signature_valid:
            return "altered" if self.claims_site_key else "not_signed"
        if self.altered_files:
            return "altered"
        if self.problem:
            return "unchecked"
        if self.signed_by is not None:
            return "signed"
        return "signed_old_way" if self.checked_files else "manifest_signed"


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
            raw_manifest = archive.read(MANIFEST_NAME)
            manifest = _parse_manifest(raw_manifest)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            manifest = None
        if manifest is None:
            return Verification(problem=gettext("The ZIP's manifest.json is not a briefing pack's manifest."))
        result = _check_signature(archive, names, manifest, raw_manifest)
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
        result.extra = sorted(name for name in names if name not in listed and name not in UNLISTED)
        return result


def _read_small(archive, names, name, limit=1024 * 1024):
    info = names.get(name)
    if info is None or info.file_size > limit:
        return None
    try:
        with archive.open(info) as member:
            return member.read(limit + 1)[:limit]
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return None


def _check_signature(archive, names, manifest, data):
    """
    The signature's part of a ZIP's verification. A manifest naming a signing key must carry a valid manifest.sig
    (its HMAC alone does not do: stripping the .sig must not turn a pack into one "signed the old way").
    """
    result = Verification(readable=True, checked_files=True)
    if "signing_key" not in manifest:
        result.signature_valid = result.signed_old_way = signature_is_valid(manifest)
        return result
    signature = _read_small(archive, names, SIGNATURE_NAME, limit=1024)
    if signature is None:
        result.missing.append(SIGNATURE_NAME)
    result.signed_by = keys.key_that_signed(data, signature) if signature else None
    result.signature_valid = result.signed_by is not None
    declared = manifest["signing_key"]
    result.claims_site_key = (isinstance(declared, dict)
                              and keys.key_by_fingerprint(declared.get("fingerprint")) is not None)
    if not result.signature_valid:
        return result
    stamp = _read_small(archive, names, timestamps.TIMESTAMP_NAME)
    if stamp is not None:
        result.timestamp = timestamps.check_timestamp(stamp, signature)
    return result
