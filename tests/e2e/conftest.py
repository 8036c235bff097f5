"""
End-to-end journeys in Debian's headless Chromium, driven by Playwright against pytest-django's `live_server`.

`browse("victor")` opens a browser context of its own (its own cookies) and returns a `Visitor`. Every page a
visitor lands on is checked by axe-core for serious and critical violations (`Visitor.audit`, which the helpers
call after each navigation; a page landed on but never audited fails the test at teardown), and for Content
Security Policy violations and script errors. When a test fails, each visitor's full-page screenshot, HTML and
console are saved under var/e2e-failures/<test>/.

The CSP stays on: axe is added with `add_init_script`, which Chromium runs through DevTools before the page's
own scripts and which `script-src 'self'` does not block (a `<script>` tag added by `add_script_tag` is blocked).
So the journeys also prove the pages work under the production policy.
"""

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from tests.factories import PASSWORD

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FAILURES_DIR = BASE_DIR / "var" / "e2e-failures"
# The flags this machine needs (its closed network refuses Chromium's background connections, many at a time).
# Playwright's launch() adds a fresh temporary --user-data-dir of its own and deletes it on close.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Every wait is bounded: a missing element fails in seconds, not at pytest's time-out.
TIMEOUT_MS = 10_000
BLOCKING_IMPACTS = ("serious", "critical")

AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), impact: n.impact, html: n.html.slice(0, 160),
                                 why: (n.failureSummary || "").split("\\n").slice(1, 2).join("").trim()})),
  }));
}"""

_reports = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test, so the fixtures' teardown knows whether it failed.
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser():
    """
    Chromium for one test module. Not for the session: Playwright's sync API keeps an asyncio loop running on
    this thread while it is open, which would change how every later test in this process runs.
    """
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the end-to-end tests: install Debian's chromium ({CHROMIUM} is missing).")
        pytest.skip(f"End-to-end tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    # With that loop running, Django takes the test's own ORM calls (factories, assertions, the database flush)
    # for calls from async code. They are not: the loop only waits for the browser.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def page_key(url):
    """A page as the audit counts it: path and query, without the fragment."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def format_violations(url, violations):
    lines = [f"axe-core found {len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"]:
            if node["impact"] in BLOCKING_IMPACTS:
                lines.append(f"      {node['target']}    {node['html']}")
                if node["why"]:
                    lines.append(f"          {node['why']}")
    return "\n".join(lines)


class Visitor:
    """One person at one browser tab: every page they land on is audited (axe, CSP, script errors)."""

    def __init__(self, name, context, base_url):
        self.name = name
        self.context = context
        self.base_url = base_url
        self.page = context.new_page()
        self.visited = []
        self.audited = set()
        self.console = []
        self.problems = []
        self.expected_status = None
        self.page.on("framenavigated", self._navigated)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        self.page.on("response", self._response)

    def _navigated(self, frame):
        if frame == self.page.main_frame and frame.url.startswith("http"):
            self.visited.append(page_key(frame.url))

    def _console(self, message):
        self.console.append(f"{message.type}: {message.text}")
        # A CSP refusal is logged here and nowhere else. Failed loads are judged by _response, which has the URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error on {page_key(self.page.url)}: {message.text}")

    def _response(self, response):
        if response.request.is_navigation_request() and response.status == self.expected_status:
            return  # a form shown again with its errors, as the journey meant
        # The browser asks for /favicon.ico by itself; the site has none, and no page links to it.
        if response.status >= 400 and urlsplit(response.url).path != "/favicon.ico":
            self.problems.append(f"{response.status} for {page_key(response.url)} on {page_key(self.page.url)}")

    # Pages

    def audit(self):
        """Run axe on the current page; fail on serious or critical violations, CSP refusals or script errors."""
        page = self.page
        page.wait_for_load_state("load")
        key = page_key(page.url)
        self.audited.add(key)
        violations = [v for v in page.evaluate(AXE_RUN) if v["impact"] in BLOCKING_IMPACTS]
        if violations:
            pytest.fail(format_violations(key, violations), pytrace=False)
        if self.problems:
            pytest.fail(f"{self.name}'s browser reported:\n  " + "\n  ".join(self.problems), pytrace=False)
        return page

    def goto(self, path):
        self.page.goto(self.base_url + path)
        return self.audit()

    def follow(self, locator, *, status=None):
        """
        Click a link or button that loads a new page, then audit the page. `status`: the page's expected error
        status, e.g. 400 for a form shown again with its errors (any other status of 400 or more fails).
        """
        self.expected_status = status
        try:
            with self.page.expect_navigation() as navigation:
                locator.click()
        finally:
            self.expected_status = None
        if status is not None:
            assert navigation.value.status == status, f"expected {status}, got {navigation.value.status}"
        return self.audit()

    def press(self, key):
        """Press a key that loads a new page (Enter on a link or in a form), then audit the page."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        return self.audit()

    def tab_to(self, locator, limit=80):
        """
        Press Tab until `locator` has the focus, as a keyboard user would reach it; fail if it never does.
        Returns the number of presses.
        """
        handle = locator.element_handle()
        for presses in range(1, limit + 1):
            self.page.keyboard.press("Tab")
            if self.page.evaluate("(element) => document.activeElement === element", handle):
                return presses
        pytest.fail(f"{locator} was not reached with {limit} presses of Tab on {page_key(self.page.url)}",
                    pytrace=False)

    def sign_in(self, username, password=PASSWORD, *, keyboard=False):
        """Sign in through the real allauth form (fields `login` and `password`)."""
        page = self.goto("/login/")
        if keyboard:
            # From the top of the page: the skip link, then the form's fields in order; Enter submits.
            page.locator("body").focus()
            self.tab_to(page.locator("input[name=login]"))
            page.keyboard.type(username)
            page.keyboard.press("Tab")
            page.keyboard.type(password)
            self.press("Enter")
        else:
            page.fill("input[name=login]", username)
            page.fill("input[name=password]", password)
            self.follow(page.get_by_role("button", name="Sign in"))
        assert page_key(page.url) != "/login/", f"{username} could not sign in"
        return page

    # Teardown

    def unaudited(self):
        return [key for key in dict.fromkeys(self.visited) if key not in self.audited]

    def save(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(folder / f"{self.name}.png"), full_page=True)
            (folder / f"{self.name}.html").write_text(self.page.content())
        except Exception as error:  # a crashed page still leaves its console and URLs
            self.console.append(f"(could not save the page: {error})")
        (folder / f"{self.name}.log").write_text("\n".join([
            f"url: {self.page.url}", "visited:", *(f"  {key}" for key in self.visited),
            "console:", *(f"  {line}" for line in self.console),
        ]) + "\n")


@pytest.fixture
def browse(request, browser, live_server):
    """`browse(name)`: a new visitor with a browser context (and cookies) of its own."""
    visitors = []
    started = time.monotonic()

    def open_visitor(name):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                      locale="en-GB", timezone_id="UTC")
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        context.add_init_script(path=str(AXE))
        visitor = Visitor(name, context, live_server.url)
        visitors.append(visitor)
        return visitor

    yield open_visitor

    reports = request.node.stash.get(_reports, {})
    failed = any(report.failed for report in reports.values())
    unaudited = {visitor.name: visitor.unaudited() for visitor in visitors if visitor.unaudited()}
    if failed or unaudited:
        folder = FAILURES_DIR / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        shutil.rmtree(folder, ignore_errors=True)
        for visitor in visitors:
            visitor.save(folder)
        print(f"\nE2E: screenshots, HTML and console of {request.node.nodeid} saved in {folder}")
    for visitor in visitors:
        visitor.context.close()
    request.node.user_properties.append(("e2e_seconds", round(time.monotonic() - started, 1)))
    if unaudited and not failed:
        pytest.fail(f"Pages visited but never checked by axe: {unaudited}", pytrace=False)


@pytest.fixture
def report(transactional_db):
    """The report's institutions (Hikvision and Hanwang Education among them) and recommendations."""
    with open(os.devnull, "w") as quiet:
        call_command("load_report", stdout=quiet)
