"""
Journey (issue 16's "done when"): victor, a volunteer on a 390 px phone, logs a record with a photo and a source
link through the quick form (eight fields at most) and submits it; the record names who can verify it. alice, the
coordinator, signs in, finds it waiting on her home with the number in the header, and verifies it there.
"""

import pytest

from evidence.models import EvidenceRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Emotion cameras at the school gate"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def fits(page):
    width, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"{page.url}: {width} px wide in a {window} px window"


def test_a_volunteer_logs_from_a_phone_and_the_coordinator_verifies_from_home(browse, report, coordinator,
                                                                               volunteer):
    victor = browse("victor")
    victor.page.set_viewport_size({"width": 390, "height": 844})
    page = victor.sign_in("victor")
    # Signed in, the phone lands on the home, which offers the quick form; so does the folded menu (a <details>).
    assert page.locator("main").get_by_role("link", name="Log evidence from your phone").is_visible()
    page.get_by_text("Menu", exact=True).click()
    victor.follow(page.locator(".site-menu").get_by_role("link", name="Log evidence from your phone"))
    fits(page)
    form = page.locator("form[data-quick-form]")
    fields = form.locator("input:not([type=hidden]), select, textarea")
    assert fields.count() <= 8, fields.count()

    page.fill("#id_title", TITLE)
    page.fill("#id_summary", "Two cameras over the gate; a sign says they read pupils' moods.")
    page.fill("#id_place", "Kashgar")
    page.fill("#id_event_start", "2026-12-01")
    page.fill("#id_institution", "Hikvision")
    page.fill("#id_source_url", "https://example.org/news/school-gate-cameras")
    page.set_input_files("#id_photo", files=[{"name": "IMG_0001.png", "mimeType": "image/png", "buffer": PNG}])
    victor.follow(page.get_by_role("button", name="Save the draft"))
    fits(page)
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    assert "was logged as a draft of Alpha Watch" in page.inner_text("main")
    assert page.locator("#attachments table").get_by_role("link", name="IMG_0001.png").count() == 1
    assert "Hikvision" in page.locator("#institutions").inner_text()

    victor.follow(page.get_by_role("button", name="Submit for verification"))
    assert page.locator(".status-badge").inner_text() == "Submitted for verification"
    assert page.locator("[data-who-verifies]").inner_text() == "Who can verify it now: alice."

    alice = browse("alice")
    alice.page.set_viewport_size({"width": 390, "height": 844})
    page = alice.sign_in("alice")
    assert page.get_by_role("heading", level=1).inner_text() == "What waits for you"
    assert page.locator(".site-header [data-waiting-count]").inner_text().startswith("1")
    waiting = page.locator("#waiting")
    assert waiting.get_by_role("link", name=TITLE).is_visible()
    fits(page)
    alice.follow(waiting.locator("li", has_text=TITLE).get_by_role("button", name="Verify"))
    assert "The record was verified." in page.inner_text("main")
    assert page.get_by_role("heading", level=1).inner_text() == "What waits for you"
    assert page.locator("[data-waiting-count]").count() == 0
    assert "Nothing waits for your verification." in page.locator("#waiting").inner_text()

    record = EvidenceRecord.objects.get(title=TITLE)
    assert (record.status, record.submitted_by, record.decided_by) == ("verified", volunteer, coordinator)
    assert record.attachments.get().content_type == "image/png"
    assert record.citations.get().source.url == "https://example.org/news/school-gate-cameras"
