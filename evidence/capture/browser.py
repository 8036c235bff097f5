"""
Rendering a page in Debian's headless Chromium (driven by Playwright, as the end-to-end tests do), so that every
request the page makes is checked.

Chromium itself reaches nothing: its resolver answers every name, and every address written as numbers, with "not
found" (--host-resolver-rules; the tests check that a request escaping the interception fails).
Every request the page makes, the page itself and each picture, script, style and frame, is intercepted
(`page.route`) and made by evidence/capture/safety.py, which checks the address, pins the connection, follows and
checks at most 5 redirects and counts the bytes; the answer is handed to Chromium (`route.fulfill`) and written to
the WARC recording with warcio as it was received, redirects included. The page itself is fetched first, so that
the browser opens the address its redirects lead to.
WebSockets are closed, service workers blocked and WebRTC kept off non-proxied UDP, since none of them go through
the interception.

Why this rather than a recording proxy (warcprox): one process fewer to run and to police, and the address
checks, the pinning and the limits are the same code for the page and for everything it loads.
"""

import io
import time
from dataclasses import dataclass, field
from http import HTTPStatus

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from accounts.stored_text import stored
from evidence.capture import safety

NEVER_LOADED = gettext_noop("The page did not finish loading within %(seconds)s seconds.")
TOO_MANY_REQUESTS = gettext_noop("The page makes more than %(limit)s requests; it was not captured.")
NOT_A_PAGE = gettext_noop("The address answered with %(status)s instead of a page.")
BROWSER_FAILED = gettext_noop("The browser could not render the page: %(error)s")

CHROMIUM_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--dns-prefetch-disable",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-pings",
    "--disable-dev-shm-usage",
]
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"
# Headers Chromium adds that say nothing about the page, or that the safe fetch sets itself.
_DROPPED_HEADERS = {"host", "cookie", "content-length", "connection", "accept-encoding", "transfer-encoding"}
# Answer headers Chromium must not apply a second time (the body is already decoded and whole).
_ANSWER_DROPPED = {"content-encoding", "transfer-encoding", "content-length", "connection"}


class CaptureFailed(Exception):
    """The capture cannot be made: `reason` says why (a stored text)."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


@dataclass
class Rendered:
    """What a capture made, in memory: each file's bytes, the page's final address and title."""

    final_url: str
    title: str
    screenshot: bytes
    pdf: bytes
    html: bytes
    warc: bytes
    captured_at: object = None
    requests: int = 0
    refused: list = field(default_factory=list)


class _Recorder:
    """Makes each intercepted request safely, hands its answer to Chromium and records both in the WARC."""

    def __init__(self, url):
        self.url = url
        self.buffer = io.BytesIO()
        self.writer = WARCWriter(self.buffer, gzip=True)
        self.writer.write_record(self.writer.create_warcinfo_record(
            "capture.warc.gz", {"software": "Disentangle source capture (warcio, headless Chromium)",
                                "format": "WARC File Format 1.0", "isPartOf": url}))
        self.budget = settings.CAPTURE_MAX_BYTES
        self.requests = 0
        self.ready = {}  # answers fetched before Chromium asks for them, by address
        self.refused = []
        self.final_url = url
        self.over_limit = None

    def fetch_page(self, url):
        """The page itself, fetched before the browser asks for it: its redirects are followed (and checked) here,
        and the browser is then sent to where they lead, so that its relative addresses resolve as they should."""
        try:
            answer = safety.fetch(url, headers={"User-Agent": USER_AGENT}, budget=self.budget)
        except safety.FetchRefused as refusal:
            raise CaptureFailed(refusal.reason) from refusal
        self._record_chain("GET", {"User-Agent": USER_AGENT}, b"", answer)
        self.ready[answer.url] = answer
        self.final_url = answer.url
        return answer

    def handle(self, route, request):
        self.requests += 1
        if self.requests > settings.CAPTURE_MAX_REQUESTS:
            self.over_limit = self.over_limit or stored(TOO_MANY_REQUESTS, limit=settings.CAPTURE_MAX_REQUESTS)
            route.abort("blockedbyclient")
            return
        answer = self.ready.pop(request.url, None) if request.method == "GET" else None
        if answer is None:
            headers = {key: value for key, value in request.headers.items() if key.lower() not in _DROPPED_HEADERS}
            body = request.post_data_buffer or b""
            try:
                # Redirects are followed here: Chromium does not hand a fulfilled redirect's next request back.
                answer = safety.fetch(request.url, method=request.method, headers=headers, body=body or None,
                                      budget=self.budget)
            except safety.FetchRefused as refusal:
                if safety.TOO_BIG in refusal.reason:  # the capture's whole budget is spent: it fails
                    self.over_limit = refusal.reason
                self.refused.append(request.url)
                route.abort("blockedbyclient")
                return
            self._record_chain(request.method, headers, body, answer)
        route.fulfill(status=answer.status, body=answer.body,
                      headers={key: value for key, value in answer.headers if key.lower() not in _ANSWER_DROPPED})

    def _record_chain(self, method, headers, body, answer):
        for hop in [*answer.redirects, answer]:
            self.budget -= len(hop.body)
            self._record(hop.url, method, headers, body, hop)

    def _record(self, url, method, headers, body, answer):
        request_line = StatusAndHeaders(f"{method} {url} HTTP/1.1", list(headers.items()), is_http_request=True)
        try:
            phrase = HTTPStatus(answer.status).phrase
        except ValueError:
            phrase = "Unknown"
        # The body is kept decoded (Chromium was given it so): the recorded headers say so.
        response_headers = [(key, value) for key, value in answer.headers
                            if key.lower() not in ("content-encoding", "transfer-encoding")]
        status_line = StatusAndHeaders(f"{answer.status} {phrase}", response_headers, protocol="HTTP/1.1")
        response = self.writer.create_warc_record(url, "response", payload=io.BytesIO(answer.body),
                                                  http_headers=status_line,
                                                  warc_headers_dict={"WARC-IP-Address": answer.address})
        recorded_request = self.writer.create_warc_record(url, "request", payload=io.BytesIO(body or b""),
                                                          http_headers=request_line)
        self.writer.write_request_response_pair(recorded_request, response)


def render(url):
    """Capture `url`: its screenshot, PDF print, HTML and WARC recording, in memory; raises CaptureFailed."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    recorder = _Recorder(url)
    first = recorder.fetch_page(url)  # a refused address fails here, before a browser starts
    if first.status >= 400:
        raise CaptureFailed(stored(NOT_A_PAGE, status=first.status))
    deadline = time.monotonic() + settings.CAPTURE_SECONDS

    def remaining_ms():
        """What is left of the capture's time, for each browser step (at least a second)."""
        return max(1000, int((deadline - time.monotonic()) * 1000))

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=settings.CAPTURE_CHROMIUM, headless=True,
                                                 args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(service_workers="block", accept_downloads=False,
                                              viewport={"width": 1280, "height": 900}, java_script_enabled=True)
                context.route("**/*", recorder.handle)
                context.route_web_socket("**/*", lambda socket: socket.close())
                page = context.new_page()
                try:
                    response = page.goto(first.url, wait_until="load", timeout=remaining_ms())
                except PlaywrightTimeout as exc:
                    raise CaptureFailed(stored(NEVER_LOADED, seconds=settings.CAPTURE_SECONDS)) from exc
                except PlaywrightError as exc:
                    raise CaptureFailed(recorder.over_limit
                                        or stored(BROWSER_FAILED, error=str(exc).splitlines()[0][:300])) from exc
                if recorder.over_limit:
                    raise CaptureFailed(recorder.over_limit)
                if response is None or response.status >= 400:
                    raise CaptureFailed(stored(NOT_A_PAGE, status=response.status if response else "-"))
                captured_at = timezone.now()
                page.set_default_timeout(remaining_ms())
                height = min(page.evaluate("document.documentElement.scrollHeight") or 900,
                             settings.CAPTURE_MAX_SCREENSHOT_HEIGHT)
                screenshot = page.screenshot(full_page=True, type="png",
                                             clip={"x": 0, "y": 0, "width": 1280, "height": max(height, 1)})
                html = page.content().encode("utf-8")
                title = (page.title() or "")[:300]
                pdf = page.pdf(print_background=True)
                if recorder.over_limit:
                    raise CaptureFailed(recorder.over_limit)
            except PlaywrightTimeout as exc:
                raise CaptureFailed(stored(NEVER_LOADED, seconds=settings.CAPTURE_SECONDS)) from exc
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise CaptureFailed(stored(BROWSER_FAILED, error=str(exc).splitlines()[0][:300])) from exc
    return Rendered(final_url=recorder.final_url, title=title, screenshot=screenshot, pdf=pdf, html=html,
                    warc=recorder.buffer.getvalue(), captured_at=captured_at, requests=recorder.requests,
                    refused=recorder.refused)
