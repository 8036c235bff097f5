"""
Every page the journeys visit, as each demo role, on a 360 px phone and a 1280 px desktop, in English and Chinese:
no page is wider than the window (a phone would zoom out, and a tap would land on the wrong field), and axe finds
no serious violation there. On the phone, controls are at least 44 px high and the folded header stays short; on
the desktop, the coordinator's menu keeps to one line. Each case collects every failing page before it fails, so
one run lists them all.
"""

import datetime

import pytest
from django.urls import reverse

from evidence.models import Institution
from tests.e2e.conftest import BLOCKING_IMPACTS, format_violations
from tests.factories import (
    AttachmentFactory,
    BriefingPackFactory,
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InteractionFactory,
    TargetEvidenceFactory,
    TargetFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"phone": (360, 740), "desktop": (1280, 900)}
LANGUAGES = ["en", "zh-hans"]
# The pages only some roles may open; everyone (signed in) opens the rest.
WRITERS = {"alice", "carol", "victor"}
CAMPAIGNERS = {"alice", "carol"}
COORDINATORS = {"alice"}


@pytest.fixture
def pages(report, group, actors):
    """The journeys' pages, with records, targets and a pack to fill them (long names, a file with its SHA-256)."""
    campaign = CampaignFactory(group=group, title="Ban emotion recognition in schools and universities")
    hikvision = Institution.objects.get(slug="hikvision")
    target = TargetFactory(campaign=campaign, institution=hikvision, next_step="Chase a reply to the letter",
                           next_step_due=datetime.date(2026, 12, 1))
    TargetFactory(campaign=campaign, institution=Institution.objects.get(slug="hanwang-education"))
    InteractionFactory(target=target)
    record = EvidenceRecordFactory(group=group, title="Emotion cameras in Kashgar classrooms", status="verified",
                                   event_start=datetime.date(2026, 11, 23))
    CitationFactory(record=record)
    AttachmentFactory(record=record)
    TargetEvidenceFactory(target=target, record=record)
    # The home's lists: one waiting for verification (with its Verify button), a draft, a rejected record.
    victor = actors["volunteer"]
    EvidenceRecordFactory(group=group, title="Emotion cameras at a school gate in Hotan, awaiting a second look",
                          status="submitted", created_by=victor, submitted_by=victor)
    EvidenceRecordFactory(group=group, title="A draft about classroom terminals", created_by=victor)
    EvidenceRecordFactory(group=group, title="A rejected record", created_by=victor, submitted_by=victor,
                          status="rejected", decision_reason="Which school was it? Add the tender's number.")
    pack = BriefingPackFactory(campaign=campaign, status="failed", error="The worker stopped.")
    letters = letter_pages(campaign, target, actors)
    # A comment on the target and on the record mentioning everyone: the header's unread count and the pages'
    # comments and notifications are measured too.
    from accounts.comments import add_comment

    add_comment(target, actor=actors["campaigner"], body="@alice @victor @vera please call the ministry first")
    add_comment(record, actor=actors["volunteer"], body="@alice @carol @vera the invoice matches the tender")
    everyone = [
        reverse("home"),
        reverse("group-dashboard", args=[group.slug]),
        reverse("evidence-list"),
        record.get_absolute_url(),
        reverse("campaign-list"),
        campaign.get_absolute_url(),
        target.get_absolute_url(),
        reverse("institution-list"),
        reverse("report-list"),
        reverse("my-work"),
        reverse("api-token-list"),
        reverse("notification-list"),
    ]
    return {
        "alice": everyone + [
            reverse("evidence-create"), reverse("evidence-quick"), reverse("campaign-create"),
            reverse("target-add", args=[campaign.pk]),
            reverse("interaction-create", args=[target.pk]), reverse("pack-create-campaign", args=[campaign.pk]),
            pack.get_absolute_url(), reverse("pack-list", args=[group.slug]), reverse("pack-verify"),
            reverse("member-list", args=[group.slug]), reverse("audit-log", args=[group.slug]),
            reverse("worker-check-list", args=[group.slug]),
        ],
        "carol": everyone + [reverse("evidence-create"), reverse("evidence-quick"),
                             reverse("target-add", args=[campaign.pk]),
                             reverse("interaction-create", args=[target.pk]), *letters],
        "victor": everyone + [reverse("evidence-create"), reverse("evidence-quick")],
        "vera": everyone,
        # Bob coordinates the other group: its own pages, and the shared directory.
        "bob": [reverse("home"), reverse("evidence-list"), reverse("campaign-list"), reverse("institution-list"),
                reverse("evidence-create"), reverse("pack-verify")],
    }


def letter_pages(campaign, target, actors):
    """A letter template and a batch of written letters (their files are not needed to show the page)."""
    from campaigns.letters.models import Letter, LetterBatch, LetterTemplate

    carol = actors["campaigner"]
    # Made directly, not through the service: its audit row would widen alice's audit page, which this test
    # measures for other reasons.
    template = LetterTemplate.objects.create(campaign=campaign, name="First letter to the vendors", language="en",
                                             subject="{{ campaign }}: our ask to {{ institution }}",
                                             body="Dear {{ institution }},\n\n{{ ask }}")
    batch = LetterBatch.objects.create(group=campaign.group, campaign=campaign, template=template, language="en",
                                       subject=template.subject, body=template.body, requested_by=carol,
                                       sender_name="Carol, for Alpha Watch", status="ready", zip_file="none.zip")
    Letter.objects.create(batch=batch, target=target, subject="Ban emotion recognition in schools and "
                          "universities: our ask to Hangzhou Hikvision Digital Technology", pdf_file="x.pdf",
                          docx_file="x.docx")
    return [reverse("letters-home", args=[campaign.pk]), reverse("letter-template-create", args=[campaign.pk]),
            template.get_absolute_url(), reverse("letter-batch-create", args=[template.pk]),
            batch.get_absolute_url()]


def measure(visitor, path, failures):
    page = visitor.page
    page.goto(visitor.base_url + path)
    page.wait_for_load_state("load")
    visitor.audited.add(path)
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > window:
        wide = page.evaluate("""() => [...document.querySelectorAll("main *, header *")]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 3).map((e) => e.outerHTML.slice(0, 120))""")
        failures.append(f"{visitor.name} {path}: {width} px wide in a {window} px window; first too wide: {wide}")
    if window <= 400:
        small = page.evaluate("""() => [...document.querySelectorAll("button, select, summary, .main-nav a, "
                + "input:not([type=checkbox]):not([type=radio]):not([type=hidden])")]
            .filter((e) => e.checkVisibility() && e.getBoundingClientRect().height < 43.5)
            .slice(0, 3).map((e) => e.outerHTML.slice(0, 100))""")
        if small:
            failures.append(f"{visitor.name} {path}: touch targets under 44 px: {small}")
        header = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
        if header > 80:
            failures.append(f"{visitor.name} {path}: the header takes {header} px of the phone's height")
    elif visitor.name == "alice":  # the longest menu: a coordinator's
        lines = page.evaluate("new Set([...document.querySelectorAll('.main-nav a')].map((a) => a.offsetTop)).size")
        if lines != 1:
            failures.append(f"{visitor.name} {path}: the menu wraps onto {lines} lines at {window} px")
    violations = [v for v in page.evaluate("""async () => {
        const results = await axe.run(document, {resultTypes: ["violations"]});
        return results.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), impact: n.impact, html: n.html.slice(0, 160),
                                         why: ""}))}));
    }""") if v["impact"] in BLOCKING_IMPACTS]
    if violations:
        failures.append(f"{visitor.name}: " + format_violations(path, violations))
    if visitor.problems:
        failures.extend(f"{visitor.name} {path}: {problem}" for problem in visitor.problems)
        visitor.problems.clear()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("device", list(WIDTHS))
def test_it_fits_every_page_in_the_window_without_serious_violations(browse, pages, device, language):
    failures = []
    for name, paths in {"stranger": ["/login/"], **pages}.items():
        visitor = browse(name)
        width, height = WIDTHS[device]
        visitor.page.set_viewport_size({"width": width, "height": height})
        if name != "stranger":
            visitor.sign_in(name)
        visitor.context.add_cookies([{"name": "django_language", "value": language, "url": visitor.base_url}])
        for path in paths:
            measure(visitor, path, failures)
    assert not failures, f"{len(failures)} problem(s) at {device} width in {language}:\n" + "\n".join(failures)
