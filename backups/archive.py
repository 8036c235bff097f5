"""
Backups of one group: everything it owns (members, records, sources, files, history …) in one ZIP archive with a
manifest of SHA-256 hashes, and the restore of such an archive onto a site that does not have the group.

This module sits above the apps: each app says what it contributes in its own `backup.py` (CONTRIBUTORS, in the
order the rows load) and this one writes, checks and reads the archive. A contributor may define:
- `shared_rows()`: querysets of rows every group shares (the report, the directory) that the group's rows point to;
  with `is_shared(obj)`, which a restore keeps as the site has them;
- `group_rows(group)`: querysets of the group's own rows, each model after the ones it points to. A restore takes
  from the archive only rows these querysets would have written for the archive's group;
- `export_entry(entry)`: changes a serialised row before it is written (no sharing, no site powers);
- `left_out(obj)`: "drop" or "unlink" for a row pointing at something this site does not have.
Accounts also names the people the rows point to and their second factors.

The archive holds `manifest.json`, `data.json` (Django's JSON serialisation, rows in an order that loads) and
`files/` with the group's private files under their storage names. It is as sensitive as the database: it carries
the members' password hashes and every protected source. Sharing with other groups is not kept (those groups are
not in the archive); the shared reference data the group's rows point to is, so that an empty site can take it,
and rows the site already has are left as they are.

Export and restore hold one file at a time: files are copied into and out of the archive in chunks, hashed on the
way, and data.json is written row by row. (Its restore parses data.json at once: rows, not files; a group with
very many rows would want a JSON-lines format.)

The manifest is signed with the site's key (config.signatures: an HMAC keyed with salted_hmac on SECRET_KEY and a
salt of its own, the same scheme as briefing packs, so that the change to public-key signatures another issue plans
replaces both at once). The hashes alone proved nothing: anyone can edit data.json and recompute them. A restore
refuses an unsigned archive or one whose signature does not match, before reading anything else, so only an
archive this site wrote (or a site with the same SECRET_KEY, e.g. the rebuilt server) can be restored. Why not a
dedicated BACKUP_SIGNING_KEY: SECRET_KEY must be kept for a disaster restore anyway (sessions, packs), rotating it
keeps old archives valid through SECRET_KEY_FALLBACKS, and a second key would be one more secret to lose. The
cost: a site with another SECRET_KEY cannot restore the archive, which is the point.

A signature says who wrote the archive, not that every row in it is the group's: a restore also refuses rows
that its group's querysets would not have exported (a membership in another group on this site, a second factor
of an account it does not restore, a kind of row no app backs up), so no archive reaches beyond its group.

Nobody becomes site staff through an archive: the export writes every account as a plain one (no staff or
superuser flag, no site permissions or permission groups), and the restore clears those again whatever the archive
says (an archive signed by an older version may carry them), and reports how many it cleared. Refusing such an
archive instead would make a group whose coordinator is also site staff impossible to restore.
"""

import datetime
import hashlib
import json
import shutil
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files.base import File
from django.core.files.storage import storages
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.json import Serializer as JSONSerializer
from django.db import connection, transaction
from django.db.models import FileField, Q
from django.utils import timezone

from accounts import backup as accounts_backup
from accounts.audit import record_change
from accounts.models import Group
from campaigns import backup as campaigns_backup
from config import signatures
from evidence import backup as evidence_backup

FORMAT = "disentangle-group-backup"
VERSION = 1
# Kept from when backups lived in accounts: archives signed then stay valid.
SIGNATURE_SALT = "disentangle.accounts.backups.manifest"
# Each app's backup.py, lowest layer first: the order its rows load in.
CONTRIBUTORS = (accounts_backup, evidence_backup, campaigns_backup)
CHUNK_BYTES = 1024 * 1024
# How many ids one `pk__in` query checks (SQLite's limit on variables is far above it).
IDS_PER_QUERY = 5000


class BackupError(Exception):
    """The archive cannot be restored here; the message says why. Nothing was changed."""


def _hooks(name):
    return [getattr(app, name) for app in CONTRIBUTORS if hasattr(app, name)]


def _shared_row_sets():
    for shared_rows in _hooks("shared_rows"):
        yield from shared_rows()


def _group_row_sets(group):
    return [rows for group_rows in _hooks("group_rows") for rows in group_rows(group)]


def _is_shared(obj):
    return any(is_shared(obj) for is_shared in _hooks("is_shared"))


def _left_out(obj):
    return next((verdict for left_out in _hooks("left_out") if (verdict := left_out(obj))), None)


def sign_manifest(manifest):
    return signatures.sign(manifest, salt=SIGNATURE_SALT)


#
# Export
#


@dataclass
class ExportSummary:
    counts: dict = field(default_factory=dict)
    files: int = 0


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's encoder keeps milliseconds, and a restore must lose nothing."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


class _ArchiveSerializer(JSONSerializer):
    """Django's JSON serialiser, with each app's export_entry applied to each row as it is written."""

    def get_dump_object(self, obj):
        entry = super().get_dump_object(obj)
        for export_entry in _hooks("export_entry"):
            export_entry(entry)
        return entry


class _Hashing:
    """A writable stream that passes bytes on and keeps their SHA-256 and size."""

    def __init__(self, stream):
        self.stream, self.sha256, self.size = stream, hashlib.sha256(), 0

    def write(self, data):
        data = data.encode() if isinstance(data, str) else data
        self.sha256.update(data)
        self.size += len(data)
        return self.stream.write(data)

    def entry(self, path):
        return {"path": path, "sha256": self.sha256.hexdigest(), "size": self.size}


def _counted(row_sets, counts):
    for rows in row_sets:
        iterable = rows.iterator(chunk_size=2000) if hasattr(rows, "iterator") else rows
        for row in iterable:
            label = row._meta.label_lower
            counts[label] = counts.get(label, 0) + 1
            yield row


def export_group(group, destination):
    """Write the group's archive to `destination` (a path or a binary file); returns an ExportSummary."""
    owned = _group_row_sets(group)
    people = accounts_backup.people(group, owned)
    row_sets = [*_shared_row_sets(), people, accounts_backup.second_factors(people), *owned]
    summary = ExportSummary()
    files = []
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(_member("data.json", zipfile.ZIP_DEFLATED), "w", force_zip64=True) as member:
            data = _Hashing(member)
            _ArchiveSerializer().serialize(_counted(row_sets, summary.counts), stream=data, indent=1,
                                           use_natural_foreign_keys=True, cls=_ExactJSONEncoder)
        for rows in owned:
            file_fields = [f.name for f in rows.model._meta.concrete_fields if isinstance(f, FileField)]
            for row in rows.iterator(chunk_size=2000) if file_fields else ():
                for name in file_fields:
                    if stored := getattr(row, name):
                        files.append(_copy_into(archive, stored))
        manifest = {
            "format": FORMAT, "version": VERSION, "group": group.slug, "group_name": group.name,
            "created_at": timezone.now().isoformat(), "counts": summary.counts,
            "data": data.entry("data.json"), "files": files,
        }
        archive.writestr("manifest.json", json.dumps(sign_manifest(manifest), ensure_ascii=False, indent=1))
    summary.files = len(files)
    # A copy of everything the group has left the site: its coordinators see that in the audit log.
    record_change(actor=None, obj=group, action="group.exported", group=group,
                  after={"rows": sum(summary.counts.values()), "files": summary.files})
    return summary


def _member(path, compress_type):
    info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = compress_type
    return info


def _copy_into(archive, stored):
    """
    One stored file into the archive, a chunk at a time; returns its manifest entry. Stored, not deflated: the
    files are mostly PDFs, images and office documents, compressed already, and deflating 2 GB of them took
    most of an export's eight minutes (bench/backups.py) to gain nothing.
    """
    path = f"files/{stored.name}"
    with (stored.storage.open(stored.name, "rb") as source,
          archive.open(_member(path, zipfile.ZIP_STORED), "w", force_zip64=True) as member):
        copy = _Hashing(member)
        shutil.copyfileobj(source, copy, CHUNK_BYTES)
    return copy.entry(path)


#
# Import
#


def _sha256_of_member(archive, path):
    digest = hashlib.sha256()
    with archive.open(path) as member:
        while chunk := member.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _read_manifest(archive):
    """The manifest, once its signature and every hash it lists are checked (a chunk at a time)."""
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise BackupError("The archive has no readable manifest.json.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("The archive is not a group backup of this version.")
    # Before anything else is read: a hash proves nothing that whoever changed the data could not recompute.
    if not signatures.is_signed(manifest):
        raise BackupError("The archive is not signed. Nothing was restored.")
    if not signatures.signature_is_valid(manifest, salt=SIGNATURE_SALT):
        raise BackupError("The archive's signature does not match: it was not written by this site, or it was "
                          "changed since. Nothing was restored.")
    present = set(archive.namelist())
    damaged = []
    for entry in [manifest["data"], *manifest.get("files", [])]:
        if entry["path"] not in present:
            damaged.append(f"{entry['path']} (missing)")
        elif _sha256_of_member(archive, entry["path"]) != entry["sha256"]:
            damaged.append(f"{entry['path']} (changed)")
    if damaged:
        raise BackupError(f"The archive is damaged, nothing was restored: {', '.join(damaged)}.")
    return manifest


@dataclass
class RestoreSummary:
    group: Group
    # What pointed at records other groups had shared, which this site does not have.
    dropped_links: int = 0
    dropped_moves: int = 0
    unlinked_moves: int = 0
    # Accounts the archive marked as site staff or superusers, or with site permissions: restored as plain ones.
    powers_cleared: int = 0


def import_group(source):
    """
    Restore an archive onto this site, all or nothing. Refuses (BackupError) a damaged archive, a group the site
    already has, rows that are not the group's, and rows or files that would overwrite what is here. Returns a
    RestoreSummary.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"This is not a group archive: {exc}") from exc
    with archive:
        manifest = _read_manifest(archive)
        return _restore(archive, manifest)


def _restore(archive, manifest):
    if Group.objects.filter(Q(slug=manifest["group"]) | Q(name=manifest["group_name"])).exists():
        raise BackupError(f"This site already has the group “{manifest['group_name']}”.")
    # Every file a group owns is private (evidence files, interaction files, packs): it goes back there.
    storage = storages["private"]
    clashes = [entry["path"] for entry in manifest["files"] if storage.exists(entry["path"].removeprefix("files/"))]
    if clashes:
        raise BackupError(f"Files of the archive are already stored here: {', '.join(clashes[:5])}.")
    written = []
    try:
        with transaction.atomic():
            summary = RestoreSummary(group=None)
            with archive.open(manifest["data"]["path"]) as data:
                restored = _restore_rows(data, summary)
            summary.group = Group.objects.filter(slug=manifest["group"]).first()
            if summary.group is None:
                raise BackupError(f"The archive does not hold the group “{manifest['group_name']}”.")
            _refuse_rows_of_others(summary.group, restored)
            _reset_sequences(restored)
            for entry in manifest["files"]:
                written.append(_copy_out(archive, entry, storage))
            record_change(actor=None, obj=summary.group, action="group.restored", group=summary.group,
                          after={"archive_created_at": manifest["created_at"]})
            return summary
    except Exception:
        for name in written:  # a refused restore leaves no files behind
            storage.delete(name)
        raise


def _restore_rows(data, summary):
    """Save the archive's rows; returns the ids restored, by model."""
    User = get_user_model()
    restored = defaultdict(set)
    for item in serializers.deserialize("json", data):
        obj = item.object
        model = type(obj)
        existing = model._default_manager.filter(pk=obj.pk).first()
        if _is_shared(obj):
            if existing is None:
                item.save()
            elif getattr(existing, "slug", None) != getattr(obj, "slug", None):
                raise BackupError(f"This site's {model._meta.verbose_name} #{obj.pk} is not the archive's.")
            continue
        verdict = _left_out(obj)
        if verdict == "drop":
            summary.dropped_links += model._meta.model_name == "targetevidence"
            summary.dropped_moves += model._meta.model_name == "stancechange"
            continue
        summary.unlinked_moves += verdict == "unlink"
        if existing is not None or (model is User and User.objects.filter(username=obj.username).exists()):
            raise BackupError(f"This site already has {model._meta.verbose_name} “{obj}”; restore onto a site "
                              f"without the group.")
        if model is User:
            summary.powers_cleared += accounts_backup.as_plain_account(item)
        item.save()
        restored[model].add(obj.pk)
    return restored


def _refuse_rows_of_others(group, restored):
    """
    Every restored row must be one the export would have written for `group`: the app's own querysets decide,
    so that no archive adds a member, a record or a second factor anywhere else on this site.
    """
    User = get_user_model()
    allowed = {User: User.objects.filter(pk__in=restored[User]),
               Authenticator: Authenticator.objects.filter(user__in=restored[User])}
    allowed.update((rows.model, rows) for rows in _group_row_sets(group))
    strangers = Counter()
    for model, pks in restored.items():
        if model not in allowed:
            strangers[model._meta.verbose_name] += len(pks)
            continue
        pks = sorted(pks)
        for start in range(0, len(pks), IDS_PER_QUERY):
            chunk = pks[start:start + IDS_PER_QUERY]
            strangers[model._meta.verbose_name] += len(chunk) - allowed[model].filter(pk__in=chunk).count()
    if strangers := +strangers:
        raise BackupError(f"The archive has rows that are not {group.name}'s: "
                          f"{', '.join(f'{count} {name}' for name, count in sorted(strangers.items()))}. "
                          f"Nothing was restored.")


def _copy_out(archive, entry, storage):
    """One file from the archive into storage under its own name, a chunk at a time; returns the name."""
    name = entry["path"].removeprefix("files/")
    with archive.open(entry["path"]) as member:
        content = File(member, name=name)
        content.size = entry["size"]
        stored = storage.save(name, content)
    if stored != name:
        storage.delete(stored)
        raise BackupError(f"The file {name} could not be stored under its own name.")
    return stored


def _reset_sequences(models):
    # Rows came with their ids; PostgreSQL's id counters must move past them, as after loaddata.
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
