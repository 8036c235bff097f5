"""
Journey: victor (volunteer) logs evidence with a new source and a file, and submits it; alice (coordinator)
signs in by keyboard alone and verifies it; the record page then shows it verified, with its history.
"""

import pytest

from evidence.models import EvidenceRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Emotion cameras in Kashgar classrooms"
SOURCE = "Tender for classroom behaviour analysis"
SCAN = b"Procurement notice, scanned text: 'emotion recognition terminals for 40 classrooms'.\n"


def test_it_logs_submits_and_verifies_evidence_in_the_browser(browse, coordinator, volunteer):
    victor = browse("victor")
    page = victor.sign_in("victor")
    victor.follow(page.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence"))
    victor.follow(page.get_by_role("link", name="Log evidence"))

    page.fill("#id_title", TITLE)
    page.fill("#id_summary", "Classroom cameras score pupils' attention and mood for the teacher.")
    page.fill("#id_country", "China")
    page.fill("#id_tags", "schools, Xinjiang")
    page.fill("#id_citations-0-new_title", SOURCE)
    page.fill("#id_citations-0-new_url", "https://example.org/tenders/4711")
    page.fill("#id_citations-0-new_publisher", "Kashgar Education Bureau")
    page.fill("#id_citations-0-excerpt", "Each terminal identifies seven emotions from the pupils' faces.")
    # The kind is forgotten: the form comes back with the error next to the field (and is audited like that).
    victor.follow(page.get_by_role("button", name="Log the record"), status=400)
    assert page.get_by_role("alert").first.inner_text().startswith("Nothing was saved yet")
    assert page.locator("#id_kind_error").inner_text() == "This field is required."
    assert page.input_value("#id_citations-0-new_title") == SOURCE
    page.select_option("#id_kind", label="Procurement")
    victor.follow(page.get_by_role("button", name="Log the record"))
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    assert "was logged as a draft of Alpha Watch" in page.inner_text("main")
    assert page.locator("#citations cite").inner_text() == SOURCE

    page.set_input_files("input[type=file]", files=[{"name": "tender-scan.txt", "mimeType": "text/plain",
                                                     "buffer": SCAN}])
    victor.follow(page.get_by_role("button", name="Upload"))
    assert "tender-scan.txt was attached" in page.inner_text("main")
    assert page.locator("#attachments table").get_by_role("link", name="tender-scan.txt").is_visible()

    victor.follow(page.get_by_role("button", name="Submit for verification"))
    assert page.locator(".status-badge").inner_text() == "Submitted for verification"
    # The two-person rule: the volunteer is offered no verification of their own record.
    assert page.get_by_role("button", name="Verify").count() == 0

    alice = browse("alice")
    page = alice.sign_in("alice", keyboard=True)
    alice.goto("/evidence/")
    alice.follow(page.get_by_role("link", name=TITLE))
    # By keyboard: Tab to the button, Space presses it.
    alice.tab_to(page.get_by_role("button", name="Verify", exact=True))
    alice.press("Space")

    assert "The record was verified." in page.inner_text("main")
    assert page.locator(".status-badge").inner_text() == "Verified"
    assert "Verified by alice" in page.locator("#status").inner_text()
    history = page.locator("#history li").all_inner_texts()
    assert [entry.split(" · ")[1] for entry in history] == [
        "Verified", "Submitted for verification", "File attached: tender-scan.txt", "Logged",
    ]
    assert [entry.rsplit(" · by ", 1)[1] for entry in history] == ["alice", "victor", "victor", "victor"]

    record = EvidenceRecord.objects.get(title=TITLE)
    assert (record.status, record.decided_by, record.submitted_by) == ("verified", coordinator, volunteer)
    assert record.attachments.get().original_name == "tender-scan.txt"
