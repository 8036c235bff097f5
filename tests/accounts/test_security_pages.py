"""
The Content-Security-Policy allows scripts and styles only from the site's own files. These tests render the pages
and read them as HTML, so that a template with an inline <script>, an onclick= or a style= fails here, not only in
a browser's console.
"""

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import AttachmentFactory, AuditEntryFactory, EvidenceRecordFactory, UserFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
DATA_TYPES = {"application/json", "application/ld+json"}


class InlineCode(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, on* handlers, style attributes and elements."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (an event handler)")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}='javascript:...'>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._script = attrs
            self._body = ""

    def handle_data(self, data):
        if self._script is not None:
            self._body += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            is_data = (self._script.get("type") or "").lower() in DATA_TYPES
            if not self._script.get("src") and not is_data and self._body.strip():
                self.problems.append(f"inline <script>: {self._body.strip()[:60]!r}")
            self._script = None


def inline_code_in(html):
    parser = InlineCode()
    parser.feed(html)
    return parser.problems


def test_the_checker_finds_what_it_looks_for():
    assert inline_code_in('<script>alert(1)</script><a onclick="x()">a</a><p style="color:red">')
    assert not inline_code_in('<script src="/static/a.js"></script><script type="application/json">{}</script>')


@pytest.fixture
def pages(group, coordinator, other_group):
    call_command("load_report", stdout=open("/dev/null", "w"))
    record = EvidenceRecordFactory(group=group)
    AttachmentFactory(record=record)
    AuditEntryFactory.create_batch(3, group=group, actor=coordinator)
    return [
        reverse("group-dashboard", args=[group.slug]),
        reverse("member-list", args=[group.slug]),
        reverse("audit-log", args=[group.slug]),
        reverse("worker-check-list", args=[group.slug]),
        reverse("evidence-list"),
        reverse("evidence-create"),
        reverse("evidence-import"),
        record.get_absolute_url(),
        reverse("institution-list"),
        reverse("institution-detail", args=["hikvision"]),  # the network picture
        reverse("institution-create"),
        reverse("report-list"),
        reverse("report-detail", args=["emotional-entanglement"]),
        reverse("mfa_index"),
        reverse("account_change_password"),
        reverse("api:docs"),
    ]


def test_the_main_pages_have_no_inline_code(client_for, coordinator, pages):
    client = client_for(coordinator)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not inline_code_in(response.content.decode()), (url, inline_code_in(response.content.decode()))


def test_the_signed_out_pages_have_no_inline_code(client):
    for url in (reverse("login"), reverse("account_reset_password"), reverse("account_signup")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not inline_code_in(response.content.decode()), url


def test_the_admin_has_no_inline_code(client_for, group):
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    client = client_for(staff)
    for url in (reverse("admin:index"), reverse("admin:accounts_group_change", args=[group.pk]),
                reverse("admin:axes_accessattempt_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert not inline_code_in(response.content.decode()), (url, inline_code_in(response.content.decode()))


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")))
def test_no_template_has_inline_code(template):
    # Also the templates no page above renders (partials, error pages, e-mails in HTML).
    assert not inline_code_in((TEMPLATES / template).read_text()), template


def test_every_page_carries_the_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
