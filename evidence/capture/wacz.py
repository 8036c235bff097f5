"""
A capture's WACZ bundle (Web Archive Collection Zipped, version 1.1.1 of Webrecorder's specification): one ZIP that
ReplayWeb.page and other archive players open as it is, holding

    archive/capture.warc.gz       the WARC recording, as stored beside it (ZIP_STORED: it is already compressed)
    indexes/index.cdx             its CDXJ index, one line per recorded response, sorted by SURT key
    pages/pages.jsonl             the page that was captured (its address, time and title)
    datapackage.json              every file above with its SHA-256 and size, and the capture's metadata
    datapackage-digest.json       the SHA-256 of datapackage.json

The index is made by Webrecorder's `cdxj-indexer`, the indexer the `wacz` package itself uses. The `wacz` package
is not used: its module that writes a bundle imports its validator, which needs `frictionless` (some 25 packages
more, pydantic and typer among them) for nothing a worker does; the ZIP around the index is the few lines below.
"""

import datetime
import hashlib
import io
import json
import zipfile

from cdxj_indexer.main import CDXJIndexer, SortingWriter

WACZ_VERSION = "1.1.1"
WARC_NAME = "capture.warc.gz"
SOFTWARE = "Disentangle source capture (warcio, cdxj-indexer)"


def cdxj_index(warc, filename=WARC_NAME):
    """The CDXJ index of the WARC `warc` (bytes), as the text of indexes/index.cdx: sorted lines, one a response."""
    out = io.StringIO()
    # post_append pairs each response with its request (the method; POST bodies are keyed as replay expects).
    indexer = CDXJIndexer(output=None, inputs=[], sort=True, post_append=True, fields="referrer", filename=filename)
    writer = SortingWriter(out)
    indexer.process_one(io.BytesIO(warc), writer, filename)
    writer.flush()
    return out.getvalue()


def bundle(warc, *, url, title, captured_at):
    """The WACZ (bytes) of the WARC `warc` (bytes) of one page, captured at `url` at `captured_at` (aware)."""
    when = captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    stamp = captured_at.timetuple()[:6]
    page = {"id": hashlib.sha256(f"{url} {when}".encode()).hexdigest()[:22], "url": url, "ts": when}
    if title:
        page["title"] = title
    entries = [
        (f"archive/{WARC_NAME}", warc, zipfile.ZIP_STORED),
        ("indexes/index.cdx", cdxj_index(warc).encode("utf-8"), zipfile.ZIP_DEFLATED),
        ("pages/pages.jsonl", (json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}) + "\n"
                               + json.dumps(page) + "\n").encode("utf-8"), zipfile.ZIP_DEFLATED),
    ]
    package = {
        "profile": "data-package",
        "resources": [{"name": path.rsplit("/", 1)[1], "path": path, "bytes": len(data),
                       "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"} for path, data, _compression in entries],
        "wacz_version": WACZ_VERSION,
        "title": title or url,
        "mainPageURL": url,
        "mainPageDate": when,
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": SOFTWARE,
    }
    package_bytes = json.dumps(package, indent=2).encode("utf-8")
    digest = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(package_bytes).hexdigest()}"}
    entries += [("datapackage.json", package_bytes, zipfile.ZIP_DEFLATED),
                ("datapackage-digest.json", json.dumps(digest, indent=2).encode("utf-8"), zipfile.ZIP_DEFLATED)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data, compression in entries:
            info = zipfile.ZipInfo(path, stamp)
            info.compress_type = compression
            archive.writestr(info, data)
    return out.getvalue()
