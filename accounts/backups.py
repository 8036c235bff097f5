"""
Backups of one group: everything it owns (members, records, sources, files, history …) in one ZIP archive with a
manifest of SHA-256 hashes, and the restore of such an archive onto a site that does not have the group.

The archive holds `manifest.json`, `data.json` (Django's JSON serialisation, rows in an order that loads) and
`files/` with the group's private files under their storage names. It is as sensitive as the database: it carries
the members' password hashes and every protected source. Sharing with other groups is not kept (those groups are
not in the archive); the shared reference data the group's rows point to (the report, the directory) is, so that an
empty site can take it, and rows the site already has are left as they are.

The manifest is signed with the site's key (config.signatures: an HMAC keyed with salted_hmac on SECRET_KEY and a
salt of its own, the same scheme as briefing packs, so that the change to public-key signatures another issue plans
replaces both at once). The hashes alone proved nothing: anyone can edit data.json and recompute them. A restore
refuses an unsigned archive or one whose signature does not match, before reading anything else, so only an
archive this site wrote (or a site with the same SECRET_KEY, e.g. the rebuilt server) can be restored. Why not a
dedicated BACKUP_SIGNING_KEY: SECRET_KEY must be kept for a disaster restore anyway (sessions, packs), rotating it
keeps old archives valid through SECRET_KEY_FALLBACKS, and a second key would be one more secret to lose. The
cost: a site with another SECRET_KEY cannot restore the archive, which is the point.

Nobody becomes site staff through an archive: the export writes every account as a plain one (no staff or
superuser flag, no site permissions or permission groups), and the restore clears those again whatever the archive
says (an archive signed by an older version may carry them), and reports how many it cleared. Refusing such an
archive instead would make a group whose coordinator is also site staff impossible to restore.
"""

import datetime
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import FileField, Q
from django.utils import timezone

from accounts.audit import record_change
from accounts.models import AuditEntry, Group, Invitation, Membership, WorkerCheck
from config import signatures

FORMAT = "disentangle-group-backup"
VERSION = 1
SIGNATURE_SALT = "disentangle.accounts.backups.manifest"
# What makes an account more than a member; never written to an archive nor taken from one.
SITE_POWERS = {"is_staff": False, "is_superuser": False}
SITE_POWER_RELATIONS = ("groups", "user_permissions")


class BackupError(Exception):
    """The archive cannot be restored here; the message says why. Nothing was changed."""


#
# What a group owns
#


def _shared_rows():
    """The report and the shared directory, which the group's rows point to."""
    from evidence.models import Institution, Recommendation, Relationship, Report, Right, Sector

    yield Report.objects.all()
    yield Recommendation.objects.all()
    yield Sector.objects.all()
    yield Right.objects.all()
    # Parents before children, so that each row loads after the one it points to.
    yield from _parents_first(Institution.objects.in_directory())
    yield Relationship.objects.all()


def _parents_first(institutions):
    remaining = list(institutions.order_by("pk"))
    loaded = set()
    while remaining:
        ready = [i for i in remaining if i.parent_id is None or i.parent_id in loaded
                 or i.parent_id not in {r.pk for r in remaining}]
        if not ready:  # a loop of parents: load the rest as they are
            ready = remaining
        loaded.update(i.pk for i in ready)
        remaining = [i for i in remaining if i.pk not in loaded]
        yield ready


def _group_rows(group):
    """The group's own rows, each model after the ones it points to."""
    from evidence.models import (
        Attachment,
        Citation,
        EvidenceImport,
        EvidenceRecord,
        Institution,
        RecordInstitution,
        Source,
        Tag,
    )

    yield Group.objects.filter(pk=group.pk)
    yield Membership.objects.filter(group=group)
    yield Invitation.objects.filter(group=group)
    yield WorkerCheck.objects.filter(group=group)
    yield Institution.objects.filter(added_by_group=group)
    yield Tag.objects.filter(group=group)
    yield Source.objects.filter(group=group)
    yield EvidenceRecord.objects.filter(group=group)
    yield RecordInstitution.objects.filter(record__group=group)
    yield Citation.objects.filter(record__group=group)
    yield Attachment.objects.filter(group=group)
    yield EvidenceImport.objects.filter(group=group)
    yield from _campaign_rows(group)
    yield AuditEntry.objects.filter(group=group)


def _campaign_rows(group):
    from campaigns.models import (
        AskBatch,
        Campaign,
        Interaction,
        InteractionAttachment,
        StanceChange,
        Target,
        TargetEvidence,
        Task,
    )

    yield Campaign.objects.filter(group=group)
    yield AskBatch.objects.filter(campaign__group=group)
    yield Target.objects.filter(campaign__group=group)
    # Links to records other groups shared come along; a site without those records drops them (import_group).
    yield TargetEvidence.objects.filter(target__campaign__group=group)
    yield Interaction.objects.filter(target__campaign__group=group)
    yield InteractionAttachment.objects.filter(group=group)
    yield StanceChange.objects.filter(target__campaign__group=group)
    yield Task.objects.filter(campaign__group=group)


def _second_factors(people):
    """The members' authenticator apps, security keys and recovery codes, so that a restore keeps them."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user__in=[p for p in people if p.has_usable_password()])


def _people(group, rows):
    """The members, and anyone else the rows name (a former member who logged a record): those without login."""
    User = get_user_model()
    members = set(Membership.objects.filter(group=group).values_list("user_id", flat=True))
    named = set()
    for obj in rows:
        for model_field in obj._meta.concrete_fields:
            if model_field.is_relation and model_field.related_model is User:
                named.add(getattr(obj, model_field.attname))
    named.discard(None)
    people = []
    for user in User.objects.filter(pk__in=members | named).order_by("pk"):
        if user.pk not in members:
            user.set_unusable_password()
            user.is_active, user.is_staff, user.is_superuser, user.email = False, False, False, ""
        people.append(user)
    return people


#
# Export
#


@dataclass
class ExportSummary:
    counts: dict = field(default_factory=dict)
    files: int = 0


def _without_other_groups_or_site_powers(group, serialized):
    """
    Keep sharing out of the archive: it names other groups, which a restore cannot have. And site powers: an
    archive makes members, never staff.
    """
    user_label = get_user_model()._meta.label_lower
    for entry in serialized:
        if entry["model"] == "evidence.evidencerecord":
            entry["fields"]["shared_with"] = []
            entry["fields"]["shared_with_everyone"] = False
        elif entry["model"] == user_label:
            entry["fields"].update(SITE_POWERS, **{name: [] for name in SITE_POWER_RELATIONS})
    return serialized


def sign_manifest(manifest):
    return signatures.sign(manifest, salt=SIGNATURE_SALT)


class _ExactJSONEncoder(DjangoJSONEncoder):
    """Times to the microsecond: Django's encoder keeps milliseconds, and a restore must lose nothing."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        return super().default(o)


def export_group(group, destination):
    """Write the group's archive to `destination` (a path or a binary file); returns an ExportSummary."""
    shared = [row for rows in _shared_rows() for row in rows]
    owned = [row for rows in _group_rows(group) for row in rows]
    people = _people(group, owned)
    rows = [*shared, *people, *_second_factors(people), *owned]
    data = serializers.serialize("json", rows, use_natural_foreign_keys=True, cls=_ExactJSONEncoder)
    data = json.dumps(_without_other_groups_or_site_powers(group, json.loads(data)), ensure_ascii=False,
                      indent=1).encode()

    summary = ExportSummary()
    for row in rows:
        label = row._meta.label_lower
        summary.counts[label] = summary.counts.get(label, 0) + 1
    files = []
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", data)
        for row in owned:
            for file_field in _file_fields(row):
                stored = getattr(row, file_field.name)
                name = stored.name
                if not name:
                    continue
                with stored.storage.open(name, "rb") as handle:
                    content = handle.read()
                archive.writestr(f"files/{name}", content)
                files.append({"path": f"files/{name}", "sha256": hashlib.sha256(content).hexdigest(),
                              "size": len(content)})
        manifest = {
            "format": FORMAT, "version": VERSION, "group": group.slug, "group_name": group.name,
            "created_at": timezone.now().isoformat(), "counts": summary.counts,
            "data": {"path": "data.json", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(sign_manifest(manifest), ensure_ascii=False, indent=1))
    summary.files = len(files)
    # A copy of everything the group has left the site: its coordinators see that in the audit log.
    record_change(actor=None, obj=group, action="group.exported", group=group,
                  after={"rows": sum(summary.counts.values()), "files": summary.files})
    return summary


def _file_fields(row):
    return [f for f in row._meta.concrete_fields if isinstance(f, FileField)]


#
# Import
#


def _read_archive(source):
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"This is not a group archive: {exc}") from exc
    with archive:
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
        wanted = [manifest["data"], *manifest.get("files", [])]
        contents, damaged = {}, []
        for entry in wanted:
            try:
                content = archive.read(entry["path"])
            except KeyError:
                damaged.append(f"{entry['path']} (missing)")
                continue
            if hashlib.sha256(content).hexdigest() != entry["sha256"]:
                damaged.append(f"{entry['path']} (changed)")
            contents[entry["path"]] = content
        if damaged:
            raise BackupError(f"The archive is damaged, nothing was restored: {', '.join(damaged)}.")
    return manifest, contents


def _is_shared(obj):
    from evidence.models import Institution, Recommendation, Relationship, Report, Right, Sector

    if isinstance(obj, Institution):
        return obj.added_by_group_id is None
    return isinstance(obj, Report | Recommendation | Sector | Right | Relationship)


def _cites_a_record_not_here(obj):
    """
    For a link to, or a status move citing, a record another group shared: whether that record is missing here.
    A move that also cites an interaction loses only the record; one that cites nothing else is left out.
    Returns "drop", "unlink" or None.
    """
    from campaigns.models import StanceChange, TargetEvidence
    from evidence.models import EvidenceRecord

    if isinstance(obj, TargetEvidence) and not EvidenceRecord.objects.filter(pk=obj.record_id).exists():
        return "drop"
    if isinstance(obj, StanceChange) and obj.evidence_id and not EvidenceRecord.objects.filter(
            pk=obj.evidence_id).exists():
        return "unlink" if obj.interaction_id else "drop"
    return None


@dataclass
class RestoreSummary:
    group: Group
    # What pointed at records other groups had shared, which this site does not have.
    dropped_links: int = 0
    dropped_moves: int = 0
    unlinked_moves: int = 0
    # Accounts the archive marked as site staff or superusers, or with site permissions: restored as plain ones.
    powers_cleared: int = 0


def _as_plain_account(item):
    """Clear what would make a restored account more than a member; True if the archive asked for any of it."""
    user = item.object
    asked = any(getattr(user, name) for name in SITE_POWERS) or any(
        item.m2m_data.get(name) for name in SITE_POWER_RELATIONS)
    for name, value in SITE_POWERS.items():
        setattr(user, name, value)
    for name in SITE_POWER_RELATIONS:
        item.m2m_data[name] = []
    return asked


def import_group(source):
    """
    Restore an archive onto this site, all or nothing. Refuses (BackupError) a damaged archive, a group the site
    already has, and rows or files that would overwrite what is here. Returns a RestoreSummary.
    """
    manifest, contents = _read_archive(source)
    # Every file a group owns is private (evidence files, interaction files, packs): it goes back there.
    if Group.objects.filter(Q(slug=manifest["group"]) | Q(name=manifest["group_name"])).exists():
        raise BackupError(f"This site already has the group “{manifest['group_name']}”.")
    storage = storages["private"]
    clashes = [entry["path"] for entry in manifest["files"] if storage.exists(entry["path"].removeprefix("files/"))]
    if clashes:
        raise BackupError(f"Files of the archive are already stored here: {', '.join(clashes[:5])}.")
    User = get_user_model()
    written = []
    summary = None
    try:
        with transaction.atomic():
            restored_models = set()
            summary = RestoreSummary(group=None)
            for item in serializers.deserialize("json", contents[manifest["data"]["path"]]):
                obj = item.object
                model = type(obj)
                existing = model._default_manager.filter(pk=obj.pk).first()
                if _is_shared(obj):
                    if existing is None:
                        item.save()
                    elif getattr(existing, "slug", None) != getattr(obj, "slug", None):
                        raise BackupError(f"This site's {model._meta.verbose_name} #{obj.pk} is not the archive's.")
                    continue
                foreign = _cites_a_record_not_here(obj)
                if foreign == "drop":
                    summary.dropped_links += model._meta.model_name == "targetevidence"
                    summary.dropped_moves += model._meta.model_name == "stancechange"
                    continue
                if foreign == "unlink":
                    obj.evidence_id = None
                    summary.unlinked_moves += 1
                if existing is not None or (model is User and User.objects.filter(username=obj.username).exists()):
                    raise BackupError(f"This site already has {model._meta.verbose_name} “{obj}”; restore onto a site "
                                      f"without the group.")
                if model is User:
                    summary.powers_cleared += _as_plain_account(item)
                item.save()
                restored_models.add(model)
            _reset_sequences(restored_models)
            for entry in manifest["files"]:
                name = entry["path"].removeprefix("files/")
                stored = storage.save(name, ContentFile(contents[entry["path"]]))
                written.append(stored)
                if stored != name:
                    raise BackupError(f"The file {name} could not be stored under its own name.")
            summary.group = Group.objects.get(slug=manifest["group"])
            record_change(actor=None, obj=summary.group, action="group.restored", group=summary.group,
                          after={"archive_created_at": manifest["created_at"]})
            return summary
    except Exception:
        for name in written:  # a refused restore leaves no files behind
            storage.delete(name)
        raise


def _reset_sequences(models):
    # Rows came with their ids; PostgreSQL's id counters must move past them, as after loaddata.
    from django.core.management.color import no_style
    from django.db import connection

    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def archive_bytes(group):
    """The archive in memory (for the tests and small groups)."""
    buffer = io.BytesIO()
    export_group(group, buffer)
    return buffer.getvalue()
