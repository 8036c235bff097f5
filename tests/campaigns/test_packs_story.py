"""
The issue's story, with the real worker: alice, coordinator of Alpha Watch, builds a briefing pack of her campaign
from its page, watches the progress bar, downloads the ZIP; its PDF and DOCX hold the targets and the evidence, the
manifest's hashes match the files, the verify page says the site signed it and names a file she changed; the
protected sources are not in it. victor (volunteer) and vera (viewer) cannot start or download packs, and bob of
Beta Rights gets 404 for all of it.
"""

import hashlib
import io
import json
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from campaigns.models import BriefingPack
from tests.campaigns.test_packs import docx_text, pdf_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_coordinator_builds_watches_downloads_and_verifies_a_campaign_pack(
        celery_worker_process, client_for, coordinator, volunteer, viewer, outsider, group, pack_campaign):
    client = client_for(coordinator)
    campaign = pack_campaign.campaign
    start = reverse("pack-create-campaign", args=[campaign.pk])
    assert start in client.get(campaign.get_absolute_url()).content.decode()
    assert "Include protected material" in client.get(start).content.decode()

    response = client.post(start, {"language": "en"})
    pack = BriefingPack.objects.get()
    assert response.status_code == 302 and response["Location"] == pack.get_absolute_url()
    assert pack.redact_protected and pack.requested_by == coordinator

    # The page polls its own fragment until the pack is ready; then the fragment stops polling and links the file.
    seen, deadline = set(), time.monotonic() + 60
    while True:
        fragment = client.get(pack.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
        seen.add(re.search(r'data-status="(\w+)"', fragment).group(1))
        if "hx-trigger" not in fragment:
            break
        assert "<progress" in fragment
        assert time.monotonic() < deadline, (
            f"the worker never finished the pack; its log:\n{celery_worker_process.log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    assert 'data-status="ready"' in fragment, fragment
    assert seen & {"queued", "running"}
    download = reverse("pack-download", args=[pack.pk])
    assert download in fragment

    response = client.get(download)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    files = {info.filename: zipfile.ZipFile(io.BytesIO(data)).read(info) for info in
             zipfile.ZipFile(io.BytesIO(data)).infolist()}
    pdf, docx = " ".join(pdf_text(files["briefing.pdf"]).split()), docx_text(files["briefing.docx"])
    for text in (pdf, docx):
        for expected in ("Hikvision Pack Test", "Dahua Pack Test", "Smart classroom in Hangzhou",
                         "Beta's shared deployment record"):
            assert expected in text, expected
        for secret in ("Insider chat log", "Beta's protected source", "Whistleblower"):
            assert secret not in text, secret
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"], entry["name"]
    assert AuditEntry.objects.filter(action="pack.downloaded", object_id=str(pack.pk)).count() == 1

    # Anyone holding it checks it, signed in or not; a changed file is named.
    from django.test import Client

    stranger = Client()
    page = stranger.post(reverse("pack-verify"), {"file": SimpleUploadedFile("pack.zip", data)}).content.decode()
    assert 'data-signature="valid"' in page and 'data-intact="yes"' in page
    altered = io.BytesIO()
    with zipfile.ZipFile(altered, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content.replace(b"Hangzhou", b"Hangzhuo") if name == "evidence.csv" else content)
    page = stranger.post(reverse("pack-verify"),
                         {"file": SimpleUploadedFile("pack.zip", altered.getvalue())}).content.decode()
    assert 'data-intact="no"' in page and "<li><code>evidence.csv</code></li>" in page

    for member in (volunteer, viewer):
        other = client_for(member)
        assert other.get(start).status_code == 403
        assert other.get(download).status_code == 403
        assert other.get(pack.get_absolute_url()).status_code == 403
    bob = client_for(outsider)
    for url in (start, download, pack.get_absolute_url()):
        assert bob.get(url).status_code == 404
