"""The pack verify page opens with one verdict, so a valid signature above altered files never reads as a pass."""

import hashlib
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.packs.manifest import MANIFEST_FORMAT, MANIFEST_VERSION, sign

pytestmark = pytest.mark.django_db

CSV = b"id,title\nE1,Cameras in classrooms\n"


def pack_zip(files):
    manifest = sign({"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "files": [
        {"name": "evidence.csv", "sha256": hashlib.sha256(CSV).hexdigest(), "size": len(CSV)}]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue(), json.dumps(manifest).encode()


def verdict(client, name, data):
    page = client.post(reverse("pack-verify"), {"file": SimpleUploadedFile(name, data)}).content.decode()
    start = page.index('class="verdict')
    return page, page[start:page.index("</p>", start)]


def test_a_pack_with_an_altered_file_is_not_to_be_relied_on_despite_its_valid_signature(client):
    data, _ = pack_zip({"evidence.csv": CSV.replace(b"classrooms", b"canteens")})
    page, said = verdict(client, "pack.zip", data)
    assert 'data-verdict="altered"' in said and "Altered: evidence.csv" in said
    assert page.index("Altered: evidence.csv") < page.index("Signature valid")


def test_an_untouched_pack_signed_the_old_way_is_intact(client):
    data, _ = pack_zip({"evidence.csv": CSV})
    assert 'data-verdict="signed_old_way"' in verdict(client, "pack.zip", data)[1]


def test_a_forged_manifest_is_not_to_be_relied_on(client):
    _, manifest = pack_zip({})
    forged = json.loads(manifest)
    forged["files"][0]["sha256"] = "0" * 64
    assert 'data-verdict="not_signed"' in verdict(client, "manifest.json", json.dumps(forged).encode())[1]
