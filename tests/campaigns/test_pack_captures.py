"""
Captures in briefing packs: a pack that includes files carries the newest capture of each of the group's own cited
sources, listed in the manifest with its SHA-256; a shared copy's source's capture (another group's files) never
travels, and a pack without files carries none.
"""

import hashlib
import json

import pytest
from django.core.files.base import ContentFile

from accounts.files import private_storage
from evidence.models import CaptureFile, SourceCapture
from tests.campaigns.test_packs import build, request, unpack

pytestmark = pytest.mark.django_db


def captured(source, content):
    capture = SourceCapture.objects.create(group=source.group, source=source, url="https://example.org/page",
                                           status="done")
    capture_file = CaptureFile(group=source.group, capture=capture, kind="html", original_name="page.html",
                               content_type="text/html", size=len(content),
                               sha256=hashlib.sha256(content).hexdigest())
    capture_file.file.name = private_storage().save(f"{capture.storage_folder()}/page.html", ContentFile(content))
    capture_file.save()
    return capture


@pytest.fixture
def captures(pack_campaign):
    own = captured(pack_campaign.ordinary.citations.get().source, b"<p>Hangzhou Daily, as it was</p>")
    beta_source = pack_campaign.shared.citations.get(source__protected=False).source
    captured(beta_source, b"<p>Beta's capture</p>")
    return own


def test_a_pack_with_files_carries_the_groups_own_captures_in_its_manifest(
        coordinator, group, pack_campaign, captures, django_capture_on_commit_callbacks, own_private_storage):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                         include_attachments=True))
    _data, files = unpack(pack)
    name = f"captures/S{captures.source_id}/{captures.pk}-page.html"
    assert files[name] == b"<p>Hangzhou Daily, as it was</p>"
    listed = {entry["name"]: entry for entry in json.loads(files["manifest.json"])["files"]}
    assert listed[name]["sha256"] == hashlib.sha256(files[name]).hexdigest()
    assert not any(b"Beta's capture" in content for content in files.values())


def test_a_pack_without_files_carries_no_capture(coordinator, group, pack_campaign, captures,
                                                django_capture_on_commit_callbacks, own_private_storage):
    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks))
    _data, files = unpack(pack)
    assert not any(name.startswith("captures/") for name in files)


def test_a_pack_with_files_carries_the_captures_wacz_bundle_with_its_hash(
        coordinator, group, pack_campaign, captures, django_capture_on_commit_callbacks, own_private_storage):
    import datetime

    from evidence.capture.wacz import bundle

    capture = captures  # the Hangzhou Daily page: its WACZ is stored beside its HTML
    data = bundle(b"", url="https://example.org/page", title="Hangzhou Daily",
                  captured_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC))
    wacz = CaptureFile(group=group, capture=capture, kind="wacz", original_name="capture.wacz",
                       content_type="application/wacz", size=len(data), sha256=hashlib.sha256(data).hexdigest())
    wacz.file.name = wacz.file.storage.save(f"{capture.storage_folder()}/capture.wacz", ContentFile(data))
    wacz.save()

    pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                         include_attachments=True))
    _data, files = unpack(pack)
    name = f"captures/S{capture.source_id}/{capture.pk}-capture.wacz"
    assert files[name] == data
    listed = {entry["name"]: entry for entry in json.loads(files["manifest.json"])["files"]}
    assert listed[name]["sha256"] == wacz.sha256
