"""
Journey: alice (coordinator) builds a briefing pack of her group's campaign from its dashboard, watches the
progress bar while the real Celery worker builds it, downloads the ZIP, and checks it on the verify page.
"""

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect

from campaigns.models import BriefingPack
from evidence.models import Institution
from tests.factories import (
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    TargetEvidenceFactory,
    TargetFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.worker]


@pytest.fixture
def campaign(report, group):
    campaign = CampaignFactory(group=group, title="Ban emotion recognition in schools")
    for slug in ("hikvision", "hanwang-education"):
        target = TargetFactory(campaign=campaign, institution=Institution.objects.get(slug=slug))
        record = EvidenceRecordFactory(group=group, title=f"Classroom cameras sold by {target.institution.name}",
                                       status="verified")
        CitationFactory(record=record)
        TargetEvidenceFactory(target=target, record=record)
    return campaign


def test_it_builds_a_pack_and_downloads_it_while_the_progress_bar_runs(browse, coordinator, campaign,
                                                                       celery_worker_process, tmp_path):
    alice = browse("alice")
    page = alice.sign_in("alice")
    alice.goto(campaign.get_absolute_url())
    alice.follow(page.get_by_role("link", name="Briefing pack", exact=True))
    assert page.get_by_role("heading", level=1).inner_text() == f"Briefing pack of the campaign “{campaign.title}”"
    alice.follow(page.get_by_role("button", name="Build the pack"))

    # The page polls the pack's status (HTMX) until the worker is done; the bar shows while it runs.
    status = page.locator("#pack-status [data-status]")
    expect(status).to_have_attribute("data-status", "ready", timeout=90_000)
    alice.audit()
    pack = BriefingPack.objects.get()
    assert pack.status == "ready" and pack.requested_by == coordinator

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the pack").click()
    path = tmp_path / "pack.zip"
    download_info.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"briefing.pdf", "briefing.docx", "manifest.json"} <= names
        assert archive.read("briefing.pdf").startswith(b"%PDF")
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["scope"]

    alice.goto("/packs/verify/")
    page.set_input_files("input[type=file]", files=[{"name": "pack.zip", "mimeType": "application/zip",
                                                      "buffer": path.read_bytes()}])
    alice.follow(page.get_by_role("button", name="Check"))
    result = page.locator(".pack-verification")
    assert result.get_attribute("data-intact") == "yes"
    assert "Signature valid" in result.inner_text() and "Every file matches the manifest" in result.inner_text()


def test_the_verify_page_spots_an_altered_pack(browse, coordinator, campaign, celery_worker_process, tmp_path):
    from campaigns.services import request_pack

    pack = request_pack(campaign.group, actor=coordinator, scope="campaign", campaign=campaign)
    alice = browse("alice")
    page = alice.sign_in("alice")
    alice.goto(pack.get_absolute_url())
    expect(page.locator("#pack-status [data-status]")).to_have_attribute("data-status", "ready", timeout=90_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the pack").click()
    original = download_info.value.path().read_bytes()
    altered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(altered, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, content + b"\n" if name.endswith(".csv") else content)

    alice.goto("/packs/verify/")
    page.set_input_files("input[type=file]", files=[{"name": "pack.zip", "mimeType": "application/zip",
                                                      "buffer": altered.getvalue()}])
    alice.follow(page.get_by_role("button", name="Check"))
    result = page.locator(".pack-verification")
    assert result.get_attribute("data-intact") == "no"
    assert "Signature valid" in result.inner_text()  # the manifest itself is intact …
    assert result.locator(".files-differing li").all_inner_texts() == ["evidence.csv", "targets.csv"]  # … the files not
