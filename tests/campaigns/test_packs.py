"""
Briefing packs built in this process (the task function called directly): what the ZIP holds, what redaction
withholds, the signature and the verify page, the task's idempotence and failures, expiry, roles and isolation,
and the API. The real worker builds them in test_packs_story.py and is killed in test_packs_kill.py.
"""

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import AuditEntry, Membership, Role
from accounts.stored_text import in_english
from campaigns import services
from campaigns.models import BriefingPack
from campaigns.packs import build as pack_build
from campaigns.packs.manifest import signature_is_valid
from campaigns.packs.storage import open_for_download, private_storage, prune
from campaigns.tasks import build_briefing_pack
from tests.conftest import stored_names
from tests.factories import BriefingPackFactory, CampaignFactory

pytestmark = pytest.mark.django_db


def request(coordinator, group, campaign, capture, **options):
    with capture():  # queued, not sent: the test runs the task itself
        return services.request_pack(group, actor=coordinator, scope="campaign", campaign=campaign, **options)


def build(pack):
    build_briefing_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == "ready", pack.error
    return pack


def unpack(pack):
    with open_for_download(pack) as handle:
        data = handle.read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    return data, {name: archive.read(name) for name in archive.namelist()}


def pdf_text(data):
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def docx_text(data):
    from docx import Document

    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def built(coordinator, group, pack_campaign, django_capture_on_commit_callbacks, own_private_storage):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                         include_attachments=True))
    return pack, *unpack(pack)


#
# What the pack holds
#


def test_it_holds_the_briefing_the_tables_and_a_manifest_of_every_file(built, pack_campaign, settings):
    pack, data, files = built
    manifest = json.loads(files["manifest.json"])
    assert {"briefing.pdf", "briefing.docx", "evidence.csv", "evidence.xlsx", "targets.csv", "targets.xlsx",
            "manifest.json", f"attachments/E{pack_campaign.ordinary.pk}/procurement.txt",
            "manifest.sig", "public-key.pem", "VERIFY.txt"} == set(files)
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "manifest.sig"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest() and entry["size"] == len(files[name])
    assert signature_is_valid(manifest)
    assert manifest["scope"]["kind"] == "campaign" and manifest["generated_by"] == "alice"
    assert manifest["scope"]["url"] == f"{settings.SITE_URL}/campaigns/{pack_campaign.campaign.pk}/"
    assert manifest["options"] == {"kind": "internal", "redact_protected": True, "include_attachments": True,
                                   "only_verified": False,
                                   "language": "en"}
    assert manifest["counts"] == {"targets": 2, "evidence": 4, "attachments": 1}
    assert pack.sha256 == hashlib.sha256(data).hexdigest() and pack.size == len(data)
    assert pack.file_name.startswith(f"packs/{pack.pk}/") and pack.expires_at > timezone.now()


def test_the_pdf_and_docx_contain_the_targets_and_evidence(built):
    _, _, files = built
    for text in (pdf_text(files["briefing.pdf"]), docx_text(files["briefing.docx"])):
        for expected in ("Hikvision Pack Test", "Dahua Pack Test", "Smart classroom in Hangzhou",
                         "Procurement notice for Dahua cameras", "Beta's shared deployment record",
                         "Withdraw the classroom cameras", "Letter asking Hikvision"):
            assert expected in " ".join(text.split()), expected


def test_every_row_links_back_to_its_record_on_the_site(built, pack_campaign, settings):
    _, _, files = built
    rows = list(csv.DictReader(io.StringIO(files["evidence.csv"].decode("utf-8-sig"))))
    assert {row["url"] for row in rows} == {f"{settings.SITE_URL}/evidence/{r.pk}/" for r in (
        pack_campaign.ordinary, pack_campaign.with_protected_source, pack_campaign.formula, pack_campaign.shared)}
    targets = list(csv.DictReader(io.StringIO(files["targets.csv"].decode("utf-8-sig"))))
    assert {row["url"] for row in targets} == {f"{settings.SITE_URL}/targets/{t.pk}/"
                                               for t in (pack_campaign.hik, pack_campaign.dah)}
    sheet = load_workbook(io.BytesIO(files["evidence.xlsx"]), read_only=True).active
    header, *cells = list(sheet.values)
    # The sheet is for people: its headers are words, its header row frozen and filtered.
    assert {dict(zip(header, row, strict=True))["Link"] for row in cells} == {row["url"] for row in rows}
    assert header[:3] == ("Id", "Link", "Title") and "Excerpts" in header and "Translations" in header
    workbook = load_workbook(io.BytesIO(files["evidence.xlsx"]))
    assert workbook.active.freeze_panes == "A2" and workbook.active.auto_filter.ref.startswith("A1:")
    assert workbook.active.column_dimensions["C"].width == 40


def test_cells_that_look_like_formulas_are_neutralised(built, pack_campaign):
    _, _, files = built
    row = next(r for r in csv.DictReader(io.StringIO(files["evidence.csv"].decode("utf-8-sig")))
               if "HYPERLINK" in r["title"])
    assert row["title"].startswith("'=HYPERLINK") and row["summary"].startswith("'+cmd")
    workbook = load_workbook(io.BytesIO(files["evidence.xlsx"]))
    values = [cell.value for row in workbook.active.iter_rows() for cell in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in values)
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_redaction_withholds_protected_material_and_only_counts_it(built, pack_campaign):
    _, _, files = built
    manifest = json.loads(files["manifest.json"])
    # The protected record, both protected sources (Alpha's, and Beta's on its shared copy), two translators.
    assert manifest["withheld"] == {"protected_records": 1, "protected_sources": 2, "protected_fields": 2}
    for name, content in files.items():
        if name.endswith((".pdf", ".docx", ".xlsx")):
            content = (pdf_text(content) if name.endswith(".pdf") else docx_text(content) if name.endswith(".docx")
                       else " ".join(str(v) for row in load_workbook(io.BytesIO(content)).active.values
                                     for v in row)).encode()
        for secret in ("Whistleblower", "Insider chat log", "Beta's protected source", "Mei the translator",
                       "Beta translator", "whistleblower.txt", "beta-file.txt"):
            assert secret.encode() not in content, (secret, name)
    text = " ".join(pdf_text(files["briefing.pdf"]).split())
    assert "1 protected record · 2 protected sources · 2 protected fields" in text


def test_protected_material_is_included_only_when_asked_and_that_is_audited(
        coordinator, group, pack_campaign, django_capture_on_commit_callbacks, own_private_storage):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                         redact_protected=False, include_attachments=True))
    _, files = unpack(pack)
    text = " ".join(pdf_text(files["briefing.pdf"]).split())
    assert "Whistleblower account" in text and "Insider chat log" in text and "Mei the translator" in text
    assert f"attachments/E{pack_campaign.secret.pk}/whistleblower.txt" in files
    # A copy another group shared never carries its protected material, whatever the option.
    assert "Beta's protected source" not in text and "Beta translator" not in text
    assert not any("beta-file" in name for name in files)
    assert json.loads(files["manifest.json"])["withheld"] == {"protected_records": 0, "protected_sources": 1,
                                                              "protected_fields": 1}
    actions = set(AuditEntry.objects.filter(object_id=str(pack.pk)).values_list("action", flat=True))
    assert {"pack.requested", "pack.protected_included"} <= actions


def test_only_verified_evidence_when_asked(coordinator, group, pack_campaign, django_capture_on_commit_callbacks,
                                           own_private_storage):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                         only_verified=True, language="zh-hans"))
    _, files = unpack(pack)
    titles = {row["title"] for row in csv.DictReader(io.StringIO(files["evidence.csv"].decode("utf-8-sig")))}
    assert titles == {"Smart classroom in Hangzhou", "Beta's shared deployment record"}
    assert "倡导对象" in " ".join(pdf_text(files["briefing.pdf"]).split())  # the headings are in Chinese


def test_a_pack_of_a_saved_search_reruns_the_evidence_lists_filters(
        coordinator, group, pack_campaign, django_capture_on_commit_callbacks, own_private_storage):
    with django_capture_on_commit_callbacks():
        pack = services.request_pack(group, actor=coordinator, scope="search",
                                     search_query="q=Hangzhou&page=3&nonsense=1")
    assert pack.search_query == "q=Hangzhou" and pack.scope_label == "Evidence search: q “Hangzhou”"
    pack = build(pack)
    _, files = unpack(pack)
    rows = list(csv.DictReader(io.StringIO(files["evidence.csv"].decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == ["Smart classroom in Hangzhou"]
    assert files["targets.csv"].decode("utf-8-sig").strip().count("\n") == 0  # a header, no target


def test_a_pack_of_an_institution_holds_its_targets_and_evidence(
        coordinator, group, pack_campaign, django_capture_on_commit_callbacks, own_private_storage):
    with django_capture_on_commit_callbacks():
        pack = services.request_pack(group, actor=coordinator, scope="institution",
                                     institution=pack_campaign.hikvision)
    _, files = unpack(build(pack))
    titles = {row["title"] for row in csv.DictReader(io.StringIO(files["evidence.csv"].decode("utf-8-sig")))}
    assert "Smart classroom in Hangzhou" in titles and "Procurement notice for Dahua cameras" not in titles
    targets = list(csv.DictReader(io.StringIO(files["targets.csv"].decode("utf-8-sig"))))
    assert [t["institution"] for t in targets] == ["Hikvision Pack Test"]


#
# The task: idempotent, restartable, and saying why it failed
#


def test_running_the_task_again_leaves_a_ready_pack_alone(built, own_private_storage):
    pack, data, _ = built
    build_briefing_pack(pack.pk)
    fresh = BriefingPack.objects.get(pk=pack.pk)
    assert (fresh.status, fresh.file_name, fresh.sha256, fresh.attempts) == ("ready", pack.file_name, pack.sha256, 1)
    assert build_briefing_pack(123456789) is None  # a pack that is gone


def test_a_run_after_a_crash_starts_from_nothing(coordinator, group, pack_campaign, own_private_storage,
                                                 django_capture_on_commit_callbacks):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    # What a run killed after uploading its ZIP leaves: the row RUNNING, a partial file under a temporary name.
    BriefingPack.objects.filter(pk=pack.pk).update(status="running", claim="dead-run", attempts=1,
                                                   progress_done=5, progress_total=7)
    storage = private_storage()
    storage.save(f"packs/{pack.pk}/partial-dead-run.zip", ContentFile(b"half a zip"))
    pack = build(pack)
    assert pack.attempts == 2
    assert storage.listdir(f"packs/{pack.pk}")[1] == [pack.file_name.rsplit("/", 1)[1]]
    assert signature_is_valid(json.loads(unpack(pack)[1]["manifest.json"]))


def test_a_pack_whose_worker_keeps_dying_is_failed_not_retried_forever(coordinator, group, pack_campaign,
                                                                        django_capture_on_commit_callbacks):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    BriefingPack.objects.filter(pk=pack.pk).update(status="running", claim="dead", attempts=3)
    build_briefing_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == "failed" and "stopped 3 times" in in_english(pack.error)


def test_a_run_that_lost_its_claim_changes_nothing(coordinator, group, pack_campaign, own_private_storage,
                                                   django_capture_on_commit_callbacks, monkeypatch):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    original = pack_build.collect

    def taken_over(pack, user, **kwargs):
        content = original(pack, user, **kwargs)
        # Meanwhile the message was handed to another worker, which claimed the pack.
        BriefingPack.objects.filter(pk=pack.pk).update(claim="another-run")
        return content

    monkeypatch.setattr(pack_build, "collect", taken_over)
    assert build_briefing_pack(pack.pk) is None
    pack.refresh_from_db()
    assert pack.status == "running" and pack.claim == "another-run" and not pack.file_name
    assert not any(name.endswith(".zip") for name in stored_names(own_private_storage))


def test_a_failed_pack_says_why_and_can_be_tried_again(client_for, coordinator, group, pack_campaign,
                                                       django_capture_on_commit_callbacks, own_private_storage):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    Membership.objects.filter(user=coordinator, group=group).update(role=Role.CAMPAIGNER)
    build_briefing_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == "failed" and "may no longer generate packs" in pack.error
    assert not any(name.endswith(".zip") for name in stored_names(own_private_storage))

    Membership.objects.filter(user=coordinator, group=group).update(role=Role.COORDINATOR)
    client = client_for(coordinator)
    page = client.get(pack.get_absolute_url()).content.decode()
    assert "may no longer generate packs" in page and reverse("pack-retry", args=[pack.pk]) in page
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert client.post(reverse("pack-retry", args=[pack.pk])).status_code == 302
    assert len(queued) == 1
    pack.refresh_from_db()
    assert (pack.status, pack.error, pack.attempts) == ("queued", "", 0)
    build(pack)
    assert AuditEntry.objects.filter(action="pack.retried", object_id=str(pack.pk)).exists()


def test_a_deleted_campaign_fails_the_pack_with_the_reason(coordinator, group, pack_campaign,
                                                           django_capture_on_commit_callbacks):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    BriefingPack.objects.filter(pk=pack.pk).update(campaign=None)
    build_briefing_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == "failed" and in_english(pack.error) == "The campaign of this pack no longer exists."


def test_passing_errors_put_the_pack_back_in_the_queue_for_a_retry(coordinator, group, pack_campaign, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    from django.db import OperationalError

    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pack_build, "collect", database_gone)
    with pytest.raises(OperationalError):
        pack_build.build_pack(pack.pk)
    pack.refresh_from_db()
    assert pack.status == "queued" and "Trying again" in pack.error
    # The task retries (Celery's Retry); once its retries are spent, the pack fails with the reason.
    from celery.exceptions import Retry

    with pytest.raises(Retry):
        build_briefing_pack.apply(args=[pack.pk], throw=True)
    build_briefing_pack.apply(args=[pack.pk], retries=3)
    pack.refresh_from_db()
    assert pack.status == "failed" and "server closed the connection" in pack.error


def test_an_unreachable_queue_fails_the_pack_with_the_reason(coordinator, group, pack_campaign, dead_broker,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.request_pack(group, actor=coordinator, scope="campaign", campaign=pack_campaign.campaign)
    pack.refresh_from_db()
    assert pack.status == "failed" and "could not be reached" in pack.error


#
# Expiry
#


def test_expired_packs_lose_their_file_and_stale_runs_are_failed(built, own_private_storage, coordinator, group):
    pack, _, _ = built
    storage = private_storage()
    assert storage.exists(pack.file_name)
    stuck = BriefingPackFactory(campaign=pack.campaign, status="running",
                                started_at=timezone.now() - timedelta(hours=1))
    orphan = f"packs/{stuck.pk + 1000}/left-behind.zip"
    storage.save(orphan, ContentFile(b"x"))
    assert prune(now=timezone.now()) == 0  # not yet expired
    assert storage.exists(pack.file_name) and not storage.exists(orphan)
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "did not come back" in stuck.error

    out = io.StringIO()
    BriefingPack.objects.filter(pk=pack.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("prune_packs", stdout=out)
    assert out.getvalue().strip() == "1 pack expired."
    fresh = BriefingPack.objects.get(pk=pack.pk)
    assert (fresh.status, fresh.file_name) == ("expired", "")
    assert not storage.exists(pack.file_name)
    client = Client()
    client.force_login(coordinator)
    assert client.get(reverse("pack-download", args=[pack.pk])).status_code == 404
    assert "has expired" in client.get(pack.get_absolute_url()).content.decode()


def test_the_maximum_age_is_a_setting(settings, built):
    pack, _, _ = built
    assert abs((pack.expires_at - pack.finished_at) - timedelta(days=settings.PACK_MAX_AGE_DAYS)) < timedelta(
        seconds=1)


#
# The verify page: public, and it says only whether the site signed it and which files differ
#


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def verify(client, name, content):
    return client.post(reverse("pack-verify"), {"file": SimpleUploadedFile(name, content)})


def test_anyone_can_verify_a_pack_without_an_account(client, built):
    _, data, files = built
    assert client.get(reverse("pack-verify")).status_code == 200
    page = verify(client, "pack.zip", data).content.decode()
    assert 'data-signature="valid"' in page and "Every file matches the manifest (9 files)" in page
    page = verify(client, "manifest.json", files["manifest.json"]).content.decode()
    assert 'data-signature="valid"' in page and "Only the manifest was checked" in page


def test_the_verify_page_names_the_files_that_differ_are_missing_or_extra(client, built):
    _, _, files = built
    tampered = {**files, "evidence.csv": files["evidence.csv"] + b"E999,forged\n", "notes.txt": b"added"}
    del tampered["targets.xlsx"]
    response = verify(client, "pack.zip", zip_of(tampered))
    page = response.content.decode()
    assert 'data-signature="valid"' in page  # the manifest itself is intact …
    assert '<ul class="files-differing"><li><code>evidence.csv</code>' in page  # … but not the files
    assert '<ul class="files-missing"><li><code>targets.xlsx</code>' in page
    assert '<ul class="files-extra"><li><code>notes.txt</code>' in page
    assert 'data-intact="no"' in page


def test_a_changed_manifest_or_another_sites_key_fails_the_signature(client, built, settings):
    _, _, files = built
    manifest = json.loads(files["manifest.json"])
    manifest["withheld"]["protected_records"] = 0
    page = verify(client, "manifest.json", json.dumps(manifest).encode()).content.decode()
    assert 'data-signature="invalid"' in page
    settings.SECRET_KEY = "another-site-entirely-another-key"
    assert 'data-signature="invalid"' in verify(client, "manifest.json", files["manifest.json"]).content.decode()
    settings.SECRET_KEY_FALLBACKS = ["development-only-key-never-use-in-production"]
    assert 'data-signature="valid"' in verify(client, "manifest.json", files["manifest.json"]).content.decode()


@pytest.mark.parametrize("name, content", [
    ("junk.bin", b"\x00\x01 not a pack"), ("manifest.json", b'{"format": "something-else"}'),
    ("pack.zip", zip_of({"readme.txt": b"no manifest"})), ("pack.zip", b"PK\x03\x04 broken zip"),
    ("manifest.json", b'{"format": "disentangle-briefing-pack", "files": [1, 2]}'),
])
def test_the_verify_page_refuses_what_is_not_a_pack_without_an_error(client, name, content):
    response = verify(client, name, content)
    assert response.status_code == 400 and b"data-signature" not in response.content


def test_the_verify_page_needs_a_file(client):
    assert client.post(reverse("pack-verify"), {}).status_code == 400


#
# Pages: who may start, see, download and retry packs
#


def test_a_coordinator_starts_a_pack_from_each_page_it_is_offered_on(client_for, coordinator, group, pack_campaign,
                                                                     django_capture_on_commit_callbacks):
    client = client_for(coordinator)
    campaign, target = pack_campaign.campaign, pack_campaign.hik
    campaign_page = client.get(campaign.get_absolute_url()).content.decode()
    assert reverse("pack-create-campaign", args=[campaign.pk]) in campaign_page
    assert reverse("pack-create-target", args=[target.pk]) in client.get(target.get_absolute_url()).content.decode()
    institution_page = client.get(pack_campaign.hikvision.get_absolute_url()).content.decode()
    assert reverse("pack-create-institution", args=[pack_campaign.hikvision.slug]) in institution_page
    evidence_page = client.get(reverse("evidence-list") + "?q=Hangzhou&kind=deployment").content.decode()
    assert reverse("pack-create-search") + "?q=Hangzhou&amp;kind=deployment" in evidence_page

    starts = [
        (reverse("pack-create-campaign", args=[campaign.pk]), {}),
        (reverse("pack-create-target", args=[target.pk]), {}),
        (reverse("pack-create-institution", args=[pack_campaign.hikvision.slug]), {"group": group.pk}),
        (reverse("pack-create-search"), {"group": group.pk, "query": "q=Hangzhou&kind=deployment"}),
    ]
    for url, data in starts:
        assert client.get(url).status_code == 200
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = client.post(url, {**data, "language": "en", "include_attachments": "on"})
        pack = BriefingPack.objects.latest("created_at")
        assert response.status_code == 302 and response["Location"] == pack.get_absolute_url(), url
        assert len(queued) == 1 and pack.redact_protected and pack.include_attachments
    scopes = [pack.scope for pack in BriefingPack.objects.order_by("created_at")]
    assert scopes == ["campaign", "target", "institution", "search"]
    assert BriefingPack.objects.get(scope="search").search_query == "q=Hangzhou&kind=deployment"
    assert BriefingPack.objects.get(scope="target").scope_label == (
        "Target: Hikvision Pack Test (No emotion recognition in classrooms)")


def test_the_pack_page_shows_a_progress_bar_that_polls_until_ready(client_for, coordinator, group, pack_campaign,
                                                                   django_capture_on_commit_callbacks,
                                                                   own_private_storage):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    BriefingPack.objects.filter(pk=pack.pk).update(status="running", progress_done=3, progress_total=7)
    client = client_for(coordinator)
    page = client.get(pack.get_absolute_url()).content.decode()
    assert '<progress id="pack-progress" max="7" value="3">43%</progress>' in page
    assert 'hx-trigger="every 1s"' in page and "style=" not in page and "<script>" not in page
    fragment = client.get(pack.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "<progress" in fragment
    BriefingPack.objects.filter(pk=pack.pk).update(status="queued", claim="", progress_done=0, progress_total=0)
    build(pack)
    fragment = client.get(pack.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment and reverse("pack-download", args=[pack.pk]) in fragment


def test_every_download_is_checked_and_written_to_the_audit_log(client_for, built, coordinator, group):
    pack, data, _ = built
    client = client_for(coordinator)
    for _ in range(2):
        response = client.get(reverse("pack-download", args=[pack.pk]))
        assert response.status_code == 200 and b"".join(response.streaming_content) == data
        assert response["Content-Disposition"].startswith('attachment; filename="briefing-pack-')
    assert AuditEntry.objects.filter(action="pack.downloaded", object_id=str(pack.pk), actor=coordinator).count() == 2
    # The role is checked at each download, not when the pack was made.
    Membership.objects.filter(user=coordinator, group=group).update(role=Role.CAMPAIGNER)
    assert client_for(coordinator).get(reverse("pack-download", args=[pack.pk])).status_code == 403
    audit = client_for(coordinator)
    Membership.objects.filter(user=coordinator, group=group).update(role=Role.COORDINATOR)
    assert "pack.downloaded" in audit.get(reverse("audit-log", args=[group.slug])).content.decode()


def pack_urls(pack, pack_campaign):
    return [
        ("get", reverse("pack-create-campaign", args=[pack_campaign.campaign.pk])),
        ("post", reverse("pack-create-campaign", args=[pack_campaign.campaign.pk])),
        ("get", reverse("pack-create-target", args=[pack_campaign.hik.pk])),
        ("get", reverse("pack-create-institution", args=[pack_campaign.hikvision.slug])),
        ("get", reverse("pack-create-search")),
        ("get", reverse("pack-list", args=[pack.group.slug])),
        ("get", pack.get_absolute_url()),
        ("get", reverse("pack-download", args=[pack.pk])),
        ("post", reverse("pack-retry", args=[pack.pk])),
    ]


@pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
def test_members_who_do_not_coordinate_get_403_for_every_pack_page(client_for, actors, actor, built,
                                                                   pack_campaign):
    pack, _, _ = built
    client = client_for(actors[actor])
    for method, url in pack_urls(pack, pack_campaign):
        assert getattr(client, method)(url).status_code == 403, (actor, method, url)
    assert "Briefing pack" not in client.get(pack_campaign.campaign.get_absolute_url()).content.decode()


def test_another_groups_coordinator_gets_404_and_no_hint(client_for, outsider, built, pack_campaign):
    pack, _, _ = built
    client = client_for(outsider)
    for method, url in pack_urls(pack, pack_campaign):
        if "institutions/" in url or url == reverse("pack-create-search"):
            continue  # the directory's institutions and the search are his too: he gets his own group's form
        response = getattr(client, method)(url)
        assert response.status_code == 404, (method, url)
        assert b"classrooms" not in response.content


def test_the_start_form_refuses_bad_input(client_for, coordinator, group, other_group, pack_campaign):
    client = client_for(coordinator)
    url = reverse("pack-create-campaign", args=[pack_campaign.campaign.pk])
    assert client.post(url, {"language": "klingon"}).status_code == 400
    response = client.post(reverse("pack-create-search"), {"group": other_group.pk, "language": "en"})
    assert response.status_code == 400  # not one of her groups
    response = client.post(reverse("pack-create-search"), {"group": group.pk, "language": "en",
                                                           "query": "happened_after=notadate"})
    assert response.status_code == 400 and "happened_after" in response.content.decode()
    assert not BriefingPack.objects.exists()


def test_the_pack_list_runs_a_fixed_number_of_queries(client_for, coordinator, group, pack_campaign,
                                                      count_queries):
    client = client_for(coordinator)
    url = reverse("pack-list", args=[group.slug])
    BriefingPackFactory.create_batch(2, campaign=pack_campaign.campaign, requested_by=coordinator)
    client.get(url)
    few = count_queries(lambda: client.get(url))
    BriefingPackFactory.create_batch(40, campaign=pack_campaign.campaign, requested_by=coordinator, status="ready")
    many = count_queries(lambda: client.get(url))
    assert few == many <= 10, (few, many)
    assert "Campaign: No emotion recognition" in client.get(url).content.decode()


#
# API
#


def test_the_api_starts_lists_retrieves_retries_and_downloads_packs(api_for, coordinator, group, pack_campaign,
                                                                     django_capture_on_commit_callbacks,
                                                                     own_private_storage):
    api = api_for(coordinator)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = api.post(reverse("api:pack-list"), {"scope": "campaign", "campaign": pack_campaign.campaign.pk,
                                                      "include_attachments": True}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["redact_protected"] is True and len(queued) == 1
    assert body["group"] == group.slug and body["download_url"] is None
    pack = BriefingPack.objects.get(pk=body["id"])
    url = reverse("api:pack-detail", args=[pack.pk])
    assert api.get(reverse("api:pack-download", args=[pack.pk])).status_code == 409
    assert api.post(reverse("api:pack-retry", args=[pack.pk])).status_code == 400  # not failed

    build(pack)
    body = api.get(url).json()
    assert body["status"] == "ready" and body["sha256"] == pack.sha256
    download = api.get(body["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).read("manifest.json")
    assert AuditEntry.objects.filter(action="pack.downloaded", object_id=str(pack.pk)).count() == 1
    assert [p["id"] for p in api.get(reverse("api:pack-list")).json()["results"]] == [pack.pk]

    BriefingPack.objects.filter(pk=pack.pk).update(status="failed", error="Worker lost")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert api.post(reverse("api:pack-retry", args=[pack.pk])).json()["status"] == "queued"
    assert len(queued) == 1


def test_the_api_needs_the_scopes_object_and_a_group(api_for, coordinator, group, other_group, pack_campaign):
    api = api_for(coordinator)
    url = reverse("api:pack-list")
    assert "campaign" in api.post(url, {"scope": "campaign"}, format="json").json()
    assert "group" in api.post(url, {"scope": "search", "search_query": "q=x"}, format="json").json()
    assert "group" in api.post(url, {"scope": "search", "group": other_group.slug}, format="json").json()
    beta = CampaignFactory(group=other_group)
    assert "campaign" in api.post(url, {"scope": "campaign", "campaign": beta.pk}, format="json").json()
    response = api.post(url, {"scope": "search", "group": group.slug, "search_query": "status=bogus"}, format="json")
    assert response.status_code == 400 and "search_query" in response.json()
    assert not BriefingPack.objects.exists()


@pytest.mark.parametrize("actor", ["campaigner", "volunteer", "viewer"])
def test_the_api_refuses_packs_to_members_who_do_not_coordinate(api_for, actors, actor, built, pack_campaign):
    pack, _, _ = built
    api = api_for(actors[actor])
    assert api.get(reverse("api:pack-list")).status_code == 403
    assert api.post(reverse("api:pack-list"), {"scope": "campaign", "campaign": pack_campaign.campaign.pk},
                    format="json").status_code == 403
    for name, method in (("api:pack-detail", "get"), ("api:pack-download", "get"), ("api:pack-retry", "post")):
        assert getattr(api, method)(reverse(name, args=[pack.pk])).status_code == 403, name


def test_the_api_hides_another_groups_packs(api_for, outsider, built):
    pack, _, _ = built
    api = api_for(outsider)
    assert api.get(reverse("api:pack-list")).json()["results"] == []
    for name, method in (("api:pack-detail", "get"), ("api:pack-download", "get"), ("api:pack-retry", "post")):
        assert getattr(api, method)(reverse(name, args=[pack.pk])).status_code == 404, name


def test_the_api_list_runs_a_fixed_number_of_queries(api_for, coordinator, pack_campaign, count_queries):
    api = api_for(coordinator)
    url = reverse("api:pack-list")
    BriefingPackFactory.create_batch(2, campaign=pack_campaign.campaign, requested_by=coordinator)
    api.get(url)
    few = count_queries(lambda: api.get(url))
    BriefingPackFactory.create_batch(40, campaign=pack_campaign.campaign, requested_by=coordinator)
    many = count_queries(lambda: api.get(url))
    assert few == many <= 8, (few, many)


def test_the_openapi_schema_describes_the_pack_endpoints(api_for, coordinator):
    schema = api_for(coordinator).get(reverse("api:schema"), {"format": "json"}).json()
    for path in ["/api/packs/", "/api/packs/{id}/", "/api/packs/{id}/retry/", "/api/packs/{id}/download/"]:
        assert path in schema["paths"], path
    assert "application/zip" in schema["paths"]["/api/packs/{id}/download/"]["get"]["responses"]["200"]["content"]


#
# The broker settings that bring a dead worker's pack back
#


def test_a_dead_workers_task_comes_back_within_a_minute_and_never_while_it_runs(settings):
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    # kombu restores an unacknowledged message once older than the visibility timeout, at its next sweep.
    assert options["visibility_timeout"] + options["unacked_restore_interval"] * options["unacked_restore_throttle"] \
        <= 60
    # A task still running is never handed out twice: it is stopped before its message could come back.
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT < options["visibility_timeout"]
    # The longest job, a 5,000-row evidence import, takes about 30 s.
    assert settings.CELERY_TASK_SOFT_TIME_LIMIT >= 45


def test_settings_refuse_a_visibility_timeout_below_the_time_limit(tmp_path):
    from tests.test_settings import run_manage

    result = run_manage(["check"], {"CELERY_TASK_TIME_LIMIT": "50", "CELERY_VISIBILITY_TIMEOUT": "30"}, tmp_path)
    assert result.returncode != 0 and "CELERY_VISIBILITY_TIMEOUT" in result.stderr
