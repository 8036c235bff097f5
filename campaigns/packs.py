"""
Briefing packs: what a pack holds, how it is built, and how anyone holding one checks it.

A pack is a ZIP of
  briefing.pdf, briefing.docx   the briefing (campaigns.briefing), from the models, scoped and redacted here
  evidence.csv, evidence.xlsx   one row per evidence record, with the link back to it on the site
  targets.csv, targets.xlsx     one row per target, likewise
  attachments/                  if asked for: the files of records the pack's group owns (never of shared copies)
  manifest.json                 every other file with its SHA-256 and size, the scope, the options, what redaction
                                withheld (counts only), who generated it and when, signed with the site's key

The signature is an HMAC-SHA256 of the manifest (without its "signature" member) in canonical JSON, keyed with
django.utils.crypto.salted_hmac: a key derived from SECRET_KEY and the salt below, so it proves the site made the
manifest and nobody changed it, and only the site can check it (SECRET_KEY_FALLBACKS are accepted, so rotating the
key does not invalidate the packs already handed out).

Redaction. A pack is built from what its requester may see in the pack's group: the group's own records and the
verified copies other groups shared with it. Shared copies never carry protected material (their protected sources
and translators' names are left out, as on the site). With `redact_protected` (the default) the group's own
protected records, protected sources and protected fields are withheld too. Withheld things are counted in the
manifest and the briefing, never named. "Protected fields" are the translators' names of citations (the site shows
them only inside the group) and the names of institutions another group keeps to itself.

The build runs in the worker (campaigns.tasks.build_briefing_pack). It claims the row with a conditional update
and a fresh token; only the holder of the current token reports progress or finishes, so a run whose claim was
taken over (its worker was presumed dead and the message handed out again) changes nothing. It writes the ZIP in
a local scratch folder (config.scratch, swept if the worker is killed), saves it to private storage through
Django's storage API under a temporary name, moves it to its final name when complete, and only then marks the row
READY. No request and no Celery here.
"""

import hashlib
import json
import logging
import os
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.files import File
from django.db import OperationalError, transaction
from django.db.models import F, Prefetch, Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.text import get_valid_filename
from django.utils.translation import gettext, gettext_noop

from accounts import stored_text
from accounts.permissions import Action, can
from campaigns.models import BriefingPack, Interaction, StanceChange, Target, TargetEvidence
from config import scratch, signatures
from config.spreadsheets import CsvWriter, xlsx_row
from evidence import disclosure

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = "disentangle-briefing-pack"
MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_SALT = "disentangle.campaigns.packs.manifest"
STORAGE_FOLDER = "packs"
# A run still RUNNING this long after it started has lost its worker for good (a dead worker's message comes back
# within a minute and claims the row again, which restarts this clock).
STALE_AFTER = timedelta(minutes=10)
# The verify page refuses a ZIP of more files than this; how much it unpacks is in settings (PACK_VERIFY_MAX_*).
VERIFY_MAX_MEMBERS = 20_000

# Errors that go away by themselves (the database or the storage briefly unreachable): the task tries again later.
TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError)


class PackError(Exception):
    """The pack cannot be built as asked; the message says why and is shown on the pack's page."""


class ClaimLost(Exception):
    """Another run of the task holds the pack now: this one stops and leaves everything to it."""


def private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def site_link(path):
    return settings.SITE_URL.rstrip("/") + path


#
# What the pack covers
#


def records_for_group(user, group):
    """
    The evidence a pack of `group` draws on, as `user` sees it: the group's own records and the verified copies
    shared with the group (or with everyone). Not the records of the user's other groups.
    """
    from evidence.models import EvidenceRecord

    shared_with_group = EvidenceRecord.shared_with.through.objects.filter(group=group).values("evidencerecord_id")
    shared = Q(status=EvidenceRecord.Status.VERIFIED, protected=False) & (
        Q(shared_with_everyone=True) | Q(pk__in=shared_with_group))
    return EvidenceRecord.objects.visible_to(user).filter(Q(group=group) | shared)


def search_filterset(query, user, queryset):
    """The evidence list's FilterSet bound to a saved query string (the page number dropped)."""
    from evidence.filters import EvidenceRecordFilterSet

    data = QueryDict(query or "", mutable=True)
    data.pop("page", None)
    return EvidenceRecordFilterSet(data, queryset=queryset, request=SimpleNamespace(user=user))


def clean_search_query(query):
    """Only the FilterSet's own parameters, in a stable order; '' for no filter at all."""
    from evidence.filters import EvidenceRecordFilterSet

    data = QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for name in EvidenceRecordFilterSet.base_filters:
        values = [v for v in data.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values[:1])
    return kept.urlencode()


def describe_search(query):
    data = QueryDict(query or "")
    parts = [f"{name} “{value}”" for name, value in data.items()]
    return "Evidence search: " + ("; ".join(parts) if parts else "all evidence")


def _scope(pack, user):
    """(targets queryset, records queryset) of the pack's scope, before the options and redaction."""
    from evidence.models import RecordInstitution

    pool = records_for_group(user, pack.group)
    targets = Target.objects.visible_to(user).filter(campaign__group=pack.group)
    Scope = BriefingPack.Scope
    if pack.scope == Scope.CAMPAIGN:
        if pack.campaign_id is None:
            raise PackError(stored_text.stored(gettext_noop("The campaign of this pack no longer exists.")))
        targets = targets.filter(campaign_id=pack.campaign_id)
    elif pack.scope == Scope.TARGET:
        if pack.target_id is None:
            raise PackError(stored_text.stored(gettext_noop("The target of this pack no longer exists.")))
        targets = targets.filter(pk=pack.target_id)
    elif pack.scope == Scope.INSTITUTION:
        if pack.institution_id is None:
            raise PackError(stored_text.stored(gettext_noop("The institution of this pack no longer exists.")))
        targets = targets.filter(institution_id=pack.institution_id)
        involved = RecordInstitution.objects.filter(institution_id=pack.institution_id).values("record_id")
        linked = TargetEvidence.objects.filter(target__in=targets).values("record_id")
        return targets, pool.filter(Q(pk__in=involved) | Q(pk__in=linked))
    else:
        filterset = search_filterset(pack.search_query, user, pool)
        if not filterset.is_valid():
            raise PackError("The saved evidence search is no longer valid: " + "; ".join(
                f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()))
        return targets.none(), filterset.qs
    linked = TargetEvidence.objects.filter(target__in=targets).values("record_id")
    return targets, pool.filter(pk__in=linked)


#
# The pack's content, from the models
#


@dataclass
class Content:
    """Everything that goes into the pack, as plain data; `attachments` are (name in the ZIP, Attachment)."""

    briefing: dict
    evidence_rows: list
    target_rows: list
    attachments: list = field(default_factory=list)
    withheld: dict = field(default_factory=dict)
    scope: dict = field(default_factory=dict)


def _name(user):
    if user is None:
        return gettext("a former member")
    return user.get_full_name() or user.username


def _iso(value):
    return value.isoformat() if value else None


def _day(value):
    """A date as the briefing shows it, in its language (23 Nov 2026, 2026年11月23日); the tables keep ISO dates."""
    return date_format(value, "DATE_FORMAT") if value else None


def _institution_ref(institution):
    return {"name": institution.name, "name_zh": institution.name_zh or None, "kind": institution.get_kind_display(),
            "url": site_link(institution.get_absolute_url())}


def collect(pack, user, *, generated_at):
    """
    Read the pack's scope from the database into a Content: scoped to `user` in the pack's group, redacted, and
    in the pack's language (statuses, kinds, priorities, directions, roles, dates), whatever language the worker
    or the request runs in.
    """
    with translation.override(pack.language):
        return _collect(pack, user, generated_at=generated_at)


def _collect(pack, user, *, generated_at):
    from evidence.models import Attachment, Citation, EvidenceRecord, RecordInstitution

    group = pack.group
    targets_qs, records_qs = _scope(pack, user)
    if pack.only_verified:
        records_qs = records_qs.filter(status=EvidenceRecord.Status.VERIFIED)
    withheld = {"protected_records": 0, "protected_sources": 0, "protected_fields": 0}
    if pack.redact_protected:
        withheld["protected_records"] = records_qs.filter(group=group, protected=True).count()
        records_qs = records_qs.exclude(group=group, protected=True)
    count = records_qs.count()
    if count > settings.PACK_MAX_RECORDS:
        raise PackError(stored_text.stored(gettext_noop(
            "The pack would hold %(count)s evidence records; at most %(limit)s fit in one pack. Narrow the scope "
            "(a target, a search) and make several."), count=count, limit=settings.PACK_MAX_RECORDS))
    records = list(
        records_qs.select_related("group").prefetch_related(
            Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("captured_at", "pk")),
            Prefetch("institution_links", queryset=RecordInstitution.objects.select_related("institution")
                     .order_by("institution__name", "pk")),
        ).order_by(F("event_start").desc(nulls_last=True), "-created_at", "-pk"))
    included = {record.pk for record in records}

    evidence, evidence_rows, withheld_sources, institutions, with_files = [], [], set(), {}, []
    # The pack sees as a member of its group, withholding the group's own protected material too when asked.
    viewer = disclosure.Viewer.for_pack(pack)
    for record in records:
        shown = disclosure.disclose(viewer, record)
        shared_copy = shown.shared_copy
        if shown.files:
            with_files.append(record.pk)
        withheld_sources |= shown.withheld_source_ids
        withheld["protected_fields"] += shown.withheld_fields
        links = []
        for link in shown.institution_links:
            institutions[link.institution.pk] = link.institution
            name, name_zh = link.institution.name, link.institution.name_zh
            links.append({"name": f"{name} ({name_zh})" if name_zh else name, "role": link.get_role_display()})
        sources, citations = {}, []
        for row in shown.citations:
            source, citation = row.source, row.citation
            sources.setdefault(source.pk, {
                "title": source.title, "publisher": source.publisher, "url": source.url or None,
                "published": _day(source.published_on), "archive_url": source.archive_url or None,
            })
            citations.append({
                "source_title": source.title, "excerpt": citation.excerpt,
                "language": citation.excerpt_language or source.language, "translation": citation.translation or None,
                "translator": row.translator or None,
            })
        place = ", ".join(part for part in (record.place, record.country) if part) or None
        url = site_link(record.get_absolute_url())
        evidence.append({
            "id": f"E{record.pk}", "url": url, "title": record.title, "summary": record.summary,
            "kind": record.get_kind_display(), "status": record.get_status_display(),
            "event_date": _day(record.event_start), "place": place, "institutions": links,
            "sources": list(sources.values()), "citations": citations,
        })
        evidence_rows.append({
            "id": f"E{record.pk}", "url": url, "title": record.title, "summary": record.summary,
            "kind": record.get_kind_display(), "status": record.get_status_display(),
            "group": record.group.name, "shared_copy": "yes" if shared_copy else "no",
            "protected": "yes" if record.protected else "no",
            "event_start": _iso(record.event_start), "event_end": _iso(record.event_end),
            "place": record.place, "country": record.country,
            "institutions": "; ".join(f"{link['name']} ({link['role']})" for link in links),
            "sources": "; ".join(f"{s['title']} <{s['url']}>" if s["url"] else s["title"]
                                 for s in sources.values()),
        })
    withheld["protected_sources"] = len(withheld_sources)

    targets = list(targets_qs.select_related("institution", "owner", "campaign").prefetch_related(
        Prefetch("stance_changes", queryset=StanceChange.objects.select_related("changed_by", "interaction")
                 .order_by("changed_at", "pk")),
        Prefetch("interactions", queryset=Interaction.objects.order_by("-occurred_on", "-created_at", "-pk")),
        Prefetch("evidence_links", queryset=TargetEvidence.objects.order_by("added_at", "pk")),
    ).order_by("campaign__title", "priority", "institution__name", "pk"))
    target_dicts, target_rows = [], []
    for target in targets:
        institutions[target.institution_id] = target.institution
        evidence_ids = [f"E{link.record_id}" for link in target.evidence_links.all() if link.record_id in included]
        interactions = list(target.interactions.all())
        target_dicts.append({
            "institution": _institution_ref(target.institution), "ask": target.ask,
            "status": target.get_status_display(), "priority": target.get_priority_display(),
            "owner": _name(target.owner) if target.owner_id else None, "next_step": target.next_step,
            "next_step_due": _day(target.next_step_due),
            "timeline": [_stance_change(change, included) for change in target.stance_changes.all()],
            "interactions": [{"date": _day(i.occurred_on), "kind": i.get_kind_display(),
                              "direction": i.get_direction_display(), "summary": i.summary, "outcome": i.outcome}
                             for i in interactions],
            "evidence_ids": evidence_ids,
        })
        target_rows.append({
            "id": f"T{target.pk}", "url": site_link(target.get_absolute_url()), "campaign": target.campaign.title,
            "campaign_url": site_link(target.campaign.get_absolute_url()), "institution": target.institution.name,
            "institution_zh": target.institution.name_zh, "institution_url":
            site_link(target.institution.get_absolute_url()), "ask": target.ask,
            "status": target.get_status_display(), "priority": target.get_priority_display(),
            "owner": _name(target.owner) if target.owner_id else "", "next_step": target.next_step,
            "next_step_due": _iso(target.next_step_due), "evidence": "; ".join(evidence_ids),
            "interactions": len(interactions),
            "last_interaction": _iso(interactions[0].occurred_on) if interactions else None,
        })

    attachments = []
    if pack.include_attachments:
        used = set()
        for attachment in (Attachment.objects.visible_to(user).filter(group=group, record_id__in=with_files)
                           .order_by("record_id", "uploaded_at", "pk")):
            base = get_valid_filename(attachment.original_name) or f"file-{attachment.pk}"
            name = f"attachments/E{attachment.record_id}/{base}"
            if name in used:
                name = f"attachments/E{attachment.record_id}/{attachment.pk}-{base}"
            used.add(name)
            attachments.append((name, attachment))

    campaign = pack.campaign if pack.scope == BriefingPack.Scope.CAMPAIGN else None
    scope_url = _scope_url(pack)
    # The saved label is "Campaign: <title>" in English; what follows the colon is the member's own text.
    scoped = pack.scope_label.split(": ", 1)[-1]
    briefing = {
        "title": gettext("Briefing: %(scope)s") % {"scope": scoped},
        "scope_label": gettext("%(scope)s: %(name)s") % {"scope": pack.get_scope_display(), "name": scoped},
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "generated_by": _name(user),
        "language": pack.language,
        "site_url": settings.SITE_URL,
        "campaign": _campaign(campaign) if campaign else None,
        "targets": target_dicts,
        "evidence": evidence,
        "institutions": sorted((_institution_ref(i) for i in institutions.values()),
                               key=lambda ref: ref["name"].casefold()),
        "withheld": withheld,
    }
    scope = {"kind": pack.scope, "label": pack.scope_label, "url": scope_url,
             "query": pack.search_query if pack.scope == BriefingPack.Scope.SEARCH else None}
    return Content(briefing=briefing, evidence_rows=evidence_rows, target_rows=target_rows,
                   attachments=attachments, withheld=withheld, scope=scope)


def _scope_url(pack):
    Scope = BriefingPack.Scope
    if pack.scope == Scope.CAMPAIGN and pack.campaign_id:
        return site_link(reverse("campaign-detail", args=[pack.campaign_id]))
    if pack.scope == Scope.TARGET and pack.target_id:
        return site_link(reverse("target-detail", args=[pack.target_id]))
    if pack.scope == Scope.INSTITUTION and pack.institution_id:
        return site_link(pack.institution.get_absolute_url())
    if pack.scope == Scope.SEARCH:
        return site_link(reverse("evidence-list")) + (f"?{pack.search_query}" if pack.search_query else "")
    return None


def _campaign(campaign):
    return {
        "title": campaign.title, "goal": campaign.goal, "summary": campaign.public_summary,
        "status": campaign.get_status_display(),
        "recommendations": [{"code": r.code, "text": r.summary or r.ask, "addressee": r.addressee or None}
                            for r in campaign.recommendations.order_by("order", "pk")],
    }


def _stance_change(change, included):
    why = [change.note] if change.note else []
    if change.interaction_id:
        why.append(gettext("%(kind)s of %(date)s") % {"kind": change.interaction.get_kind_display(),
                                                      "date": _day(change.interaction.occurred_on)})
    # A cited record the pack leaves out (protected, or no longer shared) is not mentioned at all.
    if change.evidence_id and change.evidence_id in included:
        why.append(gettext("Evidence E%(id)s") % {"id": change.evidence_id})
    return {"at": change.changed_at.isoformat(timespec="seconds"),
            "from_status": str(Target.Status(change.from_status).label),
            "to_status": str(Target.Status(change.to_status).label),
            "by": _name(change.changed_by), "justification": " · ".join(why)}


#
# Writing the files
#

EVIDENCE_COLUMNS = ["id", "url", "title", "summary", "kind", "status", "group", "shared_copy", "protected",
                    "event_start", "event_end", "place", "country", "institutions", "sources"]
TARGET_COLUMNS = ["id", "url", "campaign", "campaign_url", "institution", "institution_zh", "institution_url", "ask",
                  "status", "priority", "owner", "next_step", "next_step_due", "evidence", "interactions",
                  "last_interaction"]


def write_csv(path, columns, rows):
    # UTF-8 with a byte-order mark, or Excel reads the Chinese text as Latin-1.
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = CsvWriter(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(column) for column in columns])


def write_xlsx(path, title, columns, rows):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(columns)
    for row in rows:
        sheet.append(xlsx_row([row.get(column) for column in columns]))
    workbook.save(path)


def file_digest(path):
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class Progress:
    """Counts the build's steps on the row; raises ClaimLost once another run holds the pack."""

    def __init__(self, pack_id, claim, total):
        self.pack_id, self.claim = pack_id, claim
        self._update(progress_total=total, progress_done=0)

    def _update(self, **values):
        if not BriefingPack.objects.filter(pk=self.pack_id, claim=self.claim,
                                           status=BriefingPack.Status.RUNNING).update(**values):
            raise ClaimLost()

    def step(self, name, count=1):
        self._update(progress_done=F("progress_done") + count)
        pause_for_tests(name)


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
    from campaigns.briefing.docx import render_docx
    from campaigns.briefing.pdf import render_pdf

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
    for stem, columns, rows in (("evidence", EVIDENCE_COLUMNS, content.evidence_rows),
                                ("targets", TARGET_COLUMNS, content.target_rows)):
        write_csv(local(f"{stem}.csv"), columns, rows)
        write_xlsx(local(f"{stem}.xlsx"), stem.capitalize(), columns, rows)
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
        manifest = sign(build_manifest(content, entries, pack=pack, generated_at=generated_at))
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2))
    progress.step("manifest")
    return zip_path


#
# The manifest and its signature
#


def build_manifest(content, entries, *, pack, generated_at):
    briefing = content.briefing
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "site": settings.SITE_URL,
        "pack": pack.pk,
        "group": pack.group.name,
        "generated_at": briefing["generated_at"],
        "generated_by": briefing["generated_by"],
        "scope": content.scope,
        "options": pack.options(),
        "withheld": content.withheld,
        "counts": {"targets": len(briefing["targets"]), "evidence": len(briefing["evidence"]),
                   "attachments": len(content.attachments)},
        "files": entries,
    }


def sign(manifest):
    return signatures.sign(manifest, salt=SIGNATURE_SALT)


def signature_is_valid(manifest):
    return signatures.signature_is_valid(manifest, salt=SIGNATURE_SALT)


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


#
# Storage: a temporary name, then the final one
#


def _folder(pack_id):
    return f"{STORAGE_FOLDER}/{pack_id}"


def move_into_place(storage, temporary, final):
    """
    Give a complete file its final name. On a local file system that is one atomic rename; object storage (S3
    via django-storages) has no rename, so the file is copied (an object appears whole or not at all) and the
    temporary one deleted.
    """
    try:
        source, target = storage.path(temporary), storage.path(final)
    except NotImplementedError:
        with storage.open(temporary, "rb") as handle:
            final = storage.save(final, handle)
        storage.delete(temporary)
        return final
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)
    return final


def remove_files(storage, pack_id, keep=""):
    """Delete what a pack's runs left in storage, except `keep` (the ready pack's file)."""
    folder = _folder(pack_id)
    try:
        _, names = storage.listdir(folder)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{folder}/{name}"
        if path != keep:
            storage.delete(path)
            removed += 1
    return removed


#
# The run: claim, build, store, finish
#


def claim(pack_id, token):
    """
    Take the pack for this run: a queued pack, or a running one whose run died (its message came back). A pack
    that is gone, ready, failed or expired is left alone; one whose runs died too often is marked failed.
    """
    Status = BriefingPack.Status
    now = timezone.now()
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, attempts__lt=settings.PACK_MAX_ATTEMPTS)
    taken = BriefingPack.objects.filter(claimable, pk=pack_id).update(
        status=Status.RUNNING, claim=token, attempts=F("attempts") + 1, started_at=now, progress_done=0,
        progress_total=0, error="")
    if not taken:
        BriefingPack.objects.filter(pk=pack_id, status=Status.RUNNING).update(
            status=Status.FAILED, claim="", finished_at=now,
            error=stored_text.stored(gettext_noop(
                "The worker stopped %(count)s times while building this pack. Try again; if it fails again, make a "
                "smaller pack."), count=settings.PACK_MAX_ATTEMPTS))
        return None
    return (BriefingPack.objects.select_related("group", "requested_by", "campaign", "target", "institution")
            .get(pk=pack_id))


def fail(pack_id, error, *, token=None):
    """Mark a pack failed with the reason; with a token, only if that run still holds it."""
    packs = BriefingPack.objects.filter(pk=pack_id, status__in=BriefingPack.ACTIVE)
    if token is not None:
        packs = packs.filter(claim=token)
    return packs.update(status=BriefingPack.Status.FAILED, error=error[:2000], finished_at=timezone.now(), claim="")


def requeue(pack_id, token, reason):
    """Give the pack back to the queue after a passing error; the task's retry will claim it again."""
    return BriefingPack.objects.filter(pk=pack_id, claim=token, status=BriefingPack.Status.RUNNING).update(
        status=BriefingPack.Status.QUEUED, claim="", attempts=0, error=f"Trying again after: {reason}"[:2000])


def _finish(pack_id, token, name, size, digest):
    now = timezone.now()
    return BriefingPack.objects.filter(pk=pack_id, claim=token, status=BriefingPack.Status.RUNNING).update(
        status=BriefingPack.Status.READY, file_name=name, size=size, sha256=digest, finished_at=now,
        expires_at=now + timedelta(days=settings.PACK_MAX_AGE_DAYS), progress_done=F("progress_total"), error="",
        claim="")


def build(pack_id):
    """
    Build the pack `pack_id`, idempotently: a pack that is gone, ready or finished is left alone, and a run after
    a crash starts again from nothing. Returns the stored file's name when this run made the pack ready. Passing
    errors (TRANSIENT_ERRORS) are raised for the task to retry, after the pack is put back in the queue.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    token = secrets.token_hex(16)
    pack = claim(pack_id, token)
    if pack is None:
        return None
    storage = private_storage()
    # Nothing of a pack that is not ready is kept: whatever an earlier run left (a partial upload, its scratch
    # folder if its worker was killed) goes.
    remove_files(storage, pack.pk)
    scratch.sweep(f"pack-{pack.pk}-", older_than=None)
    stored = []
    try:
        user = pack.requested_by
        if user is None or not user.is_active or not can(user, Action.GENERATE_PACKS, pack.group):
            raise PackError(stored_text.stored(gettext_noop(
                "The person who asked for this pack may no longer generate packs in this group.")))
        generated_at = timezone.now()
        content = collect(pack, user, generated_at=generated_at)
        # Steps: read, PDF, DOCX, two tables, each attachment, manifest, stored.
        progress = Progress(pack.pk, token, total=7 + len(content.attachments))
        progress.step("collected")
        with scratch.folder(f"pack-{pack.pk}-{token}") as folder:
            zip_path = write_pack(content, folder, progress, pack=pack, generated_at=generated_at)
            digest, size = file_digest(zip_path)
            with open(zip_path, "rb") as handle:
                stored.append(storage.save(f"{_folder(pack.pk)}/partial-{token}.zip", File(handle)))
        progress.step("stored")
        final = move_into_place(storage, stored[0], f"{_folder(pack.pk)}/{token}.zip")
        stored[0] = final
        if not _finish(pack.pk, token, final, size, digest):
            raise ClaimLost()
        return final
    except ClaimLost:
        _delete(storage, stored)
        return None
    except PackError as exc:
        _delete(storage, stored)
        fail(pack.pk, str(exc), token=token)
    except SoftTimeLimitExceeded:
        _delete(storage, stored)
        fail(pack.pk, stored_text.stored(gettext_noop(
            "Building the pack took longer than the time limit; make a smaller pack (a target, a narrower search, or "
            "without attachments).")), token=token)
    except TRANSIENT_ERRORS as exc:
        _delete(storage, stored)
        requeue(pack.pk, token, f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        logger.exception("Briefing pack %s failed", pack.pk)
        _delete(storage, stored)
        fail(pack.pk, stored_text.stored(gettext_noop("The pack could not be built (%(error)s)."),
                             error=f"{type(exc).__name__}: {exc}"), token=token)
    return None


def _delete(storage, names):
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s", name, exc_info=True)


#
# Expiry and clean-up
#


def prune(now=None):
    """
    The periodic clean-up: ready packs past their date lose their file and are marked expired; packs whose worker
    died for good are marked failed; files that no pack owns any more are removed. Returns how many expired.
    """
    Status = BriefingPack.Status
    now = now or timezone.now()
    storage = private_storage()
    expired = 0
    for pack in BriefingPack.objects.filter(status=Status.READY, expires_at__lte=now).only("pk").order_by("pk"):
        with transaction.atomic():
            if BriefingPack.objects.filter(pk=pack.pk, status=Status.READY).update(
                    status=Status.EXPIRED, file_name="", size=None):
                expired += 1
        remove_files(storage, pack.pk)
    BriefingPack.objects.filter(status=Status.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=Status.FAILED, claim="", finished_at=now,
        error=stored_text.stored(gettext_noop(
            "The worker building this pack stopped and did not come back. Try again.")))
    _remove_orphans(storage)
    return expired


def _remove_orphans(storage):
    try:
        folders, _ = storage.listdir(STORAGE_FOLDER)
    except FileNotFoundError:
        return
    ids = [int(name) for name in folders if name.isdigit()]
    packs = {pk: (status, file_name) for pk, status, file_name in
             BriefingPack.objects.filter(pk__in=ids).values_list("pk", "status", "file_name")}
    for pk in ids:
        status, file_name = packs.get(pk, (None, ""))
        if status in BriefingPack.ACTIVE:
            continue  # a run may be writing there now
        remove_files(storage, pk, keep=file_name if status == BriefingPack.Status.READY else "")


def open_for_download(pack):
    """The ready pack's file, opened from storage; FileNotFoundError if it is gone."""
    if pack.status != BriefingPack.Status.READY or not pack.file_name:
        raise FileNotFoundError(pack.file_name)
    return private_storage().open(pack.file_name, "rb")


def read_member(handle, name):
    """One file of a pack's ZIP, for tests and tools."""
    with zipfile.ZipFile(handle) as archive:
        return archive.read(name)

