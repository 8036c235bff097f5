"""
A capture's WACZ bundle (evidence/capture/wacz.py): beside the WARC, the worker stores one ZIP that archive players
(ReplayWeb.page) open as it is, holding the WARC, its CDXJ index naming the captured page, the page list and a
datapackage.json whose SHA-256 hashes match the files; it is shown on the capture's page, listed in a pack's
manifest and carried in packs with files.
"""

import hashlib
import io
import json
import zipfile

import pytest
from django.urls import reverse

from accounts.stored_text import in_english
from evidence.models import SourceCapture
from tests.evidence.test_captures import capturing, log_source, run, site, stored_bytes  # noqa: F401 (fixtures)
from tests.factories import CitationFactory

pytestmark = pytest.mark.django_db


def test_the_stored_wacz_holds_the_warc_an_index_naming_the_page_and_a_datapackage_whose_hashes_match(
        client_for, api_for, capturing, volunteer, site):  # noqa: F811 (fixtures)
    site.html("/product", "Emotion AI 3000")
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/product"))))
    assert capture.status == "done", in_english(capture.error)
    files = {row.kind: row for row in capture.files.all()}
    stored_wacz = files["wacz"]
    data = stored_bytes(stored_wacz)
    assert stored_wacz.size == len(data) and stored_wacz.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_wacz.content_type == "application/wacz" and stored_wacz.original_name == "capture.wacz"

    with zipfile.ZipFile(io.BytesIO(data)) as wacz:
        names = set(wacz.namelist())
        assert {"archive/capture.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                "datapackage-digest.json"} <= names
        assert wacz.read("archive/capture.warc.gz") == stored_bytes(files["warc"])
        # The WARC is stored as it is (already compressed), so that players read it by its byte ranges.
        assert wacz.getinfo("archive/capture.warc.gz").compress_type == zipfile.ZIP_STORED

        index = [line.split(" ", 2) for line in wacz.read("indexes/index.cdx").decode().splitlines()]
        entries = {json.loads(fields)["url"]: json.loads(fields) for _key, _timestamp, fields in index}
        page = entries[site.url("/product")]
        assert page["status"] == "200" and page["mime"] == "text/html" and page["filename"] == "capture.warc.gz"
        assert site.url("/logo.png") in entries  # what the page loaded is indexed too
        assert [key for key, _timestamp, _fields in index] == sorted(key for key, _timestamp, _fields in index)

        header, listed_page = (json.loads(line) for line in wacz.read("pages/pages.jsonl").decode().splitlines())
        assert header["format"] == "json-pages-1.0"
        assert listed_page["url"] == site.url("/product") and listed_page["title"] == "Emotion AI 3000"

        package_bytes = wacz.read("datapackage.json")
        package = json.loads(package_bytes)
        assert package["wacz_version"] == "1.1.1" and package["mainPageURL"] == site.url("/product")
        resources = {resource["path"]: resource for resource in package["resources"]}
        assert set(resources) == names - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in resources.items():
            content = wacz.read(path)
            assert resource["hash"] == f"sha256:{hashlib.sha256(content).hexdigest()}"
            assert resource["bytes"] == len(content)
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert digest == {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(package_bytes).hexdigest()}"}

    # On the capture's page with its SHA-256 and size, and downloadable by the group's members.
    client = client_for(volunteer)
    page = client.get(capture.get_absolute_url()).content.decode()
    download_url = reverse("capture-file-download", args=[stored_wacz.pk])
    assert "WACZ bundle" in page and stored_wacz.sha256 in page and download_url in page
    assert b"".join(client.get(download_url).streaming_content) == data
    # And on the page of a record that cites the source, with the capture's other files.
    record = CitationFactory(record__group=capturing, record__created_by=volunteer, source=capture.source).record
    page = client.get(record.get_absolute_url()).content.decode()
    assert download_url in page and stored_wacz.sha256[:10] in page
