"""
Source capture (evidence/capture/): Alpha Watch's coordinator turns it on, victor logs a web page as a source, and
the worker keeps a screenshot, a PDF print, the HTML and a WARC of it, each with its SHA-256; the page changes and
the stored capture does not. Pages are served from 127.0.0.1 with the test-only CAPTURE_ALLOW_LOOPBACK; without it,
and through redirects, private and loopback addresses are refused. Failures say why and store nothing.
"""

import gzip
import hashlib
import http.server
import threading
import time

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.files import private_storage
from accounts.models import AuditEntry
from accounts.stored_text import in_english
from evidence.capture import services
from evidence.models import CaptureFile, Source, SourceCapture
from evidence.tasks import capture_source
from tests.conftest import needs_system_program
from tests.factories import CitationFactory, SourceFactory

pytestmark = pytest.mark.django_db


class Site:
    """A small web site on 127.0.0.1 whose pages a test sets: path -> (status, headers, body) or a callable."""

    def __init__(self):
        self.pages = {}
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                page = site.pages.get(self.path)
                if callable(page):
                    page = page()
                status, headers, body = page or (404, {"Content-Type": "text/plain"}, b"missing")
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def html(self, path, text):
        body = (f"<!doctype html><html><head><title>{text}</title></head><body><h1>{text}</h1>"
                f"<img src='/logo.png' alt=''></body></html>").encode()
        self.pages[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def redirect(self, path, location):
        self.pages[path] = (302, {"Location": location}, b"")


@pytest.fixture
def site(settings):
    settings.CAPTURE_ALLOW_LOOPBACK = True  # test-only: the site is on 127.0.0.1
    served = Site()
    served.pages["/logo.png"] = (200, {"Content-Type": "image/png"}, _png())
    yield served
    served.server.shutdown()


def _png(color=(200, 30, 30), size=(40, 20)):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def capturing(group, coordinator):
    services.set_source_capture(group, enabled=True, actor=coordinator)
    group.refresh_from_db()
    return group


def log_source(api, group, url, **fields):
    response = api.post(reverse("api:source-list"), {"group": group.slug, "title": "Vendor page", "kind": "company",
                                                     "url": url, **fields}, format="json")
    assert response.status_code == 201, response.content
    return Source.objects.get(pk=response.json()["id"])


def run(capture):
    """What the long queue's worker does with the capture's id."""
    needs_system_program(settings.CAPTURE_CHROMIUM, "chromium")
    capture_source(capture.pk)
    capture.refresh_from_db()
    return capture


def stored_bytes(capture_file):
    with capture_file.file.open("rb") as handle:
        return handle.read()


#
# The group's setting
#


def test_it_is_off_until_a_coordinator_turns_it_on_and_the_change_is_audited(
        client_for, api_for, group, coordinator, volunteer, site):
    site.html("/", "Product page")
    log_source(api_for(volunteer), group, site.url("/"))
    assert not SourceCapture.objects.exists()  # off by default

    assert client_for(volunteer).post(reverse("group-source-capture", args=[group.slug]),
                                      {"captures_sources": "on"}).status_code == 403
    response = client_for(coordinator).post(reverse("group-source-capture", args=[group.slug]),
                                            {"captures_sources": "on"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.captures_sources
    assert AuditEntry.objects.filter(group=group, actor=coordinator, action="group.source_capture_on").exists()
    page = client_for(coordinator).get(reverse("member-list", args=[group.slug])).content.decode()
    assert 'name="captures_sources" checked' in page


#
# Done when: a page served from 127.0.0.1, logged by a volunteer, captured; the page changes, the capture does not
#


def test_it_captures_a_page_a_volunteer_logs_with_its_files_and_hashes(
        client_for, api_for, django_capture_on_commit_callbacks, capturing, volunteer, site):
    site.html("/product", "Emotion AI 3000")
    with django_capture_on_commit_callbacks(execute=False) as sent:
        source = log_source(api_for(volunteer), capturing, site.url("/product"))
    capture = SourceCapture.objects.get(source=source)
    assert capture.status == "queued" and capture.requested_by == volunteer
    # Sent to the worker after the commit (beside the public scoreboard's cache clearing, which waits for it too).
    assert any("enqueue" in callback.__qualname__ for callback in sent)

    capture = run(capture)
    assert capture.status == "done", in_english(capture.error)
    files = {row.kind: row for row in capture.files.all()}
    assert set(files) == {"screenshot", "pdf", "html", "warc", "wacz"}
    for row in files.values():
        data = stored_bytes(row)
        assert row.size == len(data) > 0 and row.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_bytes(files["screenshot"]).startswith(b"\x89PNG") and files["screenshot"].phash
    assert stored_bytes(files["pdf"]).startswith(b"%PDF")
    assert b"Emotion AI 3000" in stored_bytes(files["html"])
    warc = gzip.decompress(stored_bytes(files["warc"]))
    assert b"WARC/1.0" in warc and b"Emotion AI 3000" in warc and b"/logo.png" in warc
    assert capture.page_title == "Emotion AI 3000" and capture.captured_at is not None

    # Its page shows the files with their hashes; the API lists them; a file downloads, and the download is audited.
    client = client_for(volunteer)
    page = client.get(capture.get_absolute_url()).content.decode()
    for row in files.values():
        assert row.sha256 in page and reverse("capture-file-download", args=[row.pk]) in page
    body = api_for(volunteer).get(reverse("api:source-capture-detail", args=[capture.pk])).json()
    assert body["status"] == "done" and {f["kind"]: f["sha256"] for f in body["files"]} == {
        kind: row.sha256 for kind, row in files.items()}
    download = client.get(reverse("capture-file-download", args=[files["pdf"].pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEntry.objects.filter(action="attachment.downloaded", actor=volunteer).exists()

    # The record that cites the source shows the capture with its files.
    record = CitationFactory(record__group=capturing, record__created_by=volunteer, source=source).record
    page = client.get(record.get_absolute_url()).content.decode()
    assert capture.get_absolute_url() in page and files["warc"].sha256[:10] in page


def test_the_stored_capture_stays_as_it_was_when_the_page_changes(api_for, capturing, volunteer, site):
    site.html("/claims", "Detects lies with 99% accuracy")
    source = log_source(api_for(volunteer), capturing, site.url("/claims"))
    first = run(SourceCapture.objects.get(source=source))
    kept = {row.kind: (row.sha256, stored_bytes(row)) for row in first.files.all()}

    site.html("/claims", "Page removed after criticism")
    second = run(services.request_capture(source, actor=volunteer))
    assert second.pk != first.pk and second.status == "done"
    assert b"Page removed" in stored_bytes(second.files.get(kind="html"))

    first.refresh_from_db()
    for row in first.files.all():
        sha256, data = kept[row.kind]
        assert row.sha256 == sha256 and stored_bytes(row) == data
    assert b"Detects lies" in kept["html"][1] and b"Page removed" not in kept["html"][1]


#
# Safe fetching
#


def test_it_refuses_loopback_and_private_addresses_without_the_test_allowance(
        settings, api_for, capturing, volunteer, site):
    site.html("/", "Inside")
    settings.CAPTURE_ALLOW_LOOPBACK = False
    source = log_source(api_for(volunteer), capturing, site.url("/"))
    capture = run(SourceCapture.objects.get(source=source))
    assert capture.status == "failed"
    assert "inside a private network (127.0.0.1)" in in_english(capture.error)
    assert not CaptureFile.objects.exists()
    assert not _stored_under(capture)


def test_a_redirect_to_a_private_address_is_refused(api_for, capturing, volunteer, site):
    # The first address is allowed (the test's loopback); where it redirects is checked again.
    site.redirect("/moved", "http://169.254.169.254/latest/meta-data/")
    source = log_source(api_for(volunteer), capturing, site.url("/moved"))
    capture = run(SourceCapture.objects.get(source=source))
    assert capture.status == "failed"
    assert "inside a private network (169.254.169.254)" in in_english(capture.error)
    assert not CaptureFile.objects.exists()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "0.0.0.0",
    "::1", "fc00::1", "fe80::1", "::ffff:10.0.0.1", "ff02::1",
])
def test_every_inside_address_is_refused(settings, address):
    import ipaddress

    from evidence.capture.safety import refused_address

    settings.CAPTURE_ALLOW_LOOPBACK = False
    assert refused_address(ipaddress.ip_address(address))
    assert not refused_address(ipaddress.ip_address("93.184.215.14"))
    assert not refused_address(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"))


def test_only_http_and_https_are_fetched(api_for, capturing, volunteer):
    source = SourceFactory(group=capturing, url="ftp://files.example.org/report.pdf")
    capture = run(services.request_capture(source, actor=volunteer))
    assert capture.status == "failed" and "Only http and https" in in_english(capture.error)


def test_a_picture_on_a_private_address_is_not_fetched_and_the_page_is_still_captured(
        api_for, capturing, volunteer, site):
    body = b"<html><body><p>Public page</p><img src='http://10.9.8.7/secret.png'></body></html>"
    site.pages["/"] = (200, {"Content-Type": "text/html"}, body)
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/"))))
    assert capture.status == "done"
    warc = gzip.decompress(stored_bytes(capture.files.get(kind="warc")))
    assert b"WARC-Target-URI: http://127.0.0.1" in warc and b"WARC-Target-URI: http://10.9.8.7" not in warc


#
# Failures: the reason is stored, nothing half-stored, and the capture can be retried
#


def test_a_redirect_loop_fails_with_the_reason(api_for, capturing, volunteer, site):
    site.redirect("/a", "/b")
    site.redirect("/b", "/a")
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/a"))))
    assert capture.status == "failed" and "redirects more than 5 times" in in_english(capture.error)
    assert not CaptureFile.objects.exists()


def test_a_page_too_big_fails_with_the_reason_and_can_be_retried(settings, client_for, api_for, capturing,
                                                                 volunteer, site):
    site.pages["/big"] = (200, {"Content-Type": "text/html"}, b"<p>" + b"x" * 200_000 + b"</p>")
    settings.CAPTURE_MAX_BYTES = 100_000
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/big"))))
    assert capture.status == "failed" and "larger than the limit" in in_english(capture.error)
    assert not CaptureFile.objects.exists() and not _stored_under(capture)
    page = client_for(volunteer).get(capture.get_absolute_url()).content.decode()
    assert "larger than the limit" in page and capture.retry_url in page

    settings.CAPTURE_MAX_BYTES = 50 * 1024 * 1024
    response = client_for(volunteer).post(capture.retry_url)
    assert response.status_code == 302
    capture.refresh_from_db()
    assert capture.status == "queued" and not capture.error
    assert run(capture).status == "done"


def test_a_page_that_never_finishes_loading_fails_with_the_reason(settings, api_for, capturing, volunteer, site):
    def slow_picture():
        time.sleep(4)
        return 200, {"Content-Type": "image/png"}, _png()

    site.pages["/"] = (200, {"Content-Type": "text/html"}, b"<html><body><img src='/slow.png'></body></html>")
    site.pages["/slow.png"] = slow_picture
    settings.CAPTURE_SECONDS = 2
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/"))))
    assert capture.status == "failed" and "did not finish loading" in in_english(capture.error)
    assert not CaptureFile.objects.exists()


def test_a_killed_worker_leaves_the_capture_retryable_and_no_debris(api_for, capturing, volunteer, site):
    site.html("/", "Still here")
    capture = SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/")))
    # What a run killed after writing a file and before committing leaves: the row RUNNING, a file nobody names.
    SourceCapture.objects.filter(pk=capture.pk).update(status="running", attempts=1, claim="dead")
    debris = private_storage().save(f"{capture.storage_folder()}/deadbeef-screenshot.png", ContentFile(b"half"))

    capture = run(capture)  # the message comes back to another worker
    assert capture.status == "done"
    assert not private_storage().exists(debris)
    assert sorted(_stored_under(capture)) == sorted(row.file.name.rsplit("/", 1)[1] for row in capture.files.all())


def _stored_under(capture):
    try:
        return private_storage().listdir(capture.storage_folder())[1]
    except FileNotFoundError:
        return []


#
# Protected sources, roles and other groups
#


def test_protected_sources_are_never_captured(api_for, client_for, capturing, volunteer, site):
    site.html("/", "Names a person at risk")
    source = log_source(api_for(volunteer), capturing, site.url("/"), protected=True)
    assert not SourceCapture.objects.exists()
    response = api_for(volunteer).post(reverse("api:source-capture-list"), {"source": source.pk}, format="json")
    assert response.status_code == 400 and "Protected sources" in str(response.json()["source"])


def test_a_source_marked_protected_later_keeps_no_pending_capture(api_for, capturing, volunteer, site):
    site.html("/", "Page")
    source = log_source(api_for(volunteer), capturing, site.url("/"))
    capture = SourceCapture.objects.get(source=source)
    response = api_for(volunteer).patch(reverse("api:source-detail", args=[source.pk]), {"protected": True},
                                        format="json")
    assert response.status_code == 200
    capture = run(capture)
    assert capture.status == "failed" and "marked protected" in in_english(capture.error)
    assert not CaptureFile.objects.exists()


def test_a_viewer_cannot_ask_for_a_capture(api_for, client_for, capturing, viewer, site):
    source = SourceFactory(group=capturing, url=site.url("/"))
    assert client_for(viewer).post(reverse("source-capture-request", args=[source.pk])).status_code == 403
    assert api_for(viewer).post(reverse("api:source-capture-list"), {"source": source.pk},
                                format="json").status_code == 403
    assert not SourceCapture.objects.exists()


def test_another_groups_sources_and_captures_are_404(api_for, client_for, capturing, volunteer, outsider,
                                                    other_group, site):
    site.html("/", "Alpha's lead")
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/"))))
    client, api = client_for(outsider), api_for(outsider)
    assert client.get(capture.get_absolute_url()).status_code == 404
    for row in capture.files.all():
        assert client.get(reverse("capture-file-download", args=[row.pk])).status_code == 404
    assert api.get(reverse("api:source-capture-detail", args=[capture.pk])).status_code == 404
    assert api.get(reverse("api:source-capture-list")).json()["count"] == 0
    assert client.post(reverse("source-capture-request", args=[capture.source_id])).status_code == 404
    response = api.post(reverse("api:source-capture-list"), {"source": capture.source_id}, format="json")
    assert response.status_code == 400  # "does not exist", the same as a missing source


def test_through_a_socks_proxy_the_checked_address_is_still_required(settings, capturing, volunteer, site):
    # The proxy is handed the checked address, never the name: an inside address is refused before the proxy.
    site.html("/", "Via the proxy")
    settings.CAPTURE_PROXY = "socks5://127.0.0.1:9"
    settings.CAPTURE_ALLOW_LOOPBACK = False
    capture = run(services.request_capture(SourceFactory(group=capturing, url=site.url("/")), actor=volunteer))
    assert capture.status == "failed" and "inside a private network" in in_english(capture.error)

    settings.CAPTURE_ALLOW_LOOPBACK = True  # now fetched, through a proxy where nothing listens
    capture = run(services.request_capture(SourceFactory(group=capturing, url=site.url("/")), actor=volunteer))
    assert capture.status == "failed" and "could not be reached" in in_english(capture.error)


def test_capture_now_on_the_record_page_queues_a_capture_on_the_long_queue(client_for, group, coordinator,
                                                                            volunteer, site):
    from config.celery import LONG, queue_of

    source = SourceFactory(group=group, url=site.url("/"))
    record = CitationFactory(record__group=group, record__created_by=volunteer, source=source).record
    client = client_for(volunteer)
    # While the group does not capture, the button is not offered and asking says why.
    assert "Capture now" not in client.get(record.get_absolute_url()).content.decode()
    response = client.post(reverse("source-capture-request", args=[source.pk]), {"next": record.get_absolute_url()},
                           follow=True)
    assert response.redirect_chain[-1][0] == record.get_absolute_url()
    assert "does not capture sources" in response.content.decode() and not SourceCapture.objects.exists()

    services.set_source_capture(group, enabled=True, actor=coordinator)
    assert "Capture now" in client.get(record.get_absolute_url()).content.decode()
    response = client.post(reverse("source-capture-request", args=[source.pk]), {"next": record.get_absolute_url()})
    capture = SourceCapture.objects.get(source=source)
    assert response.status_code == 302 and response.url == capture.get_absolute_url()
    assert queue_of(capture_source.name) == LONG


def test_a_new_address_for_a_source_is_captured_too(api_for, capturing, volunteer, site):
    source = log_source(api_for(volunteer), capturing, "")
    assert not SourceCapture.objects.exists()  # no address, nothing to capture
    response = api_for(volunteer).patch(reverse("api:source-detail", args=[source.pk]), {"url": site.url("/new")},
                                        format="json")
    assert response.status_code == 200
    assert SourceCapture.objects.get(source=source).url == site.url("/new")


def test_a_picture_that_takes_the_page_over_the_size_limit_fails_the_capture(settings, api_for, capturing,
                                                                             volunteer, site):
    site.pages["/"] = (200, {"Content-Type": "text/html"}, b"<html><body><img src='/huge.png'></body></html>")
    site.pages["/huge.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"\x00" * 300_000)
    settings.CAPTURE_MAX_BYTES = 100_000
    capture = run(SourceCapture.objects.get(source=log_source(api_for(volunteer), capturing, site.url("/"))))
    assert capture.status == "failed" and "larger than the limit" in in_english(capture.error)
    assert not CaptureFile.objects.exists() and not _stored_under(capture)
