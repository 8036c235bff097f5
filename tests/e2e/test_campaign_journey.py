"""
Journey: carol (campaigner) creates a campaign with the keyboard alone, targets two institutions of the report,
logs a letter and their reply on one of them, moves its status citing the reply, and sees the move on the
campaign's dashboard.
"""

import pytest

from campaigns.models import Campaign, StanceChange, Target

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "Ban emotion recognition in schools"


def test_it_runs_a_campaign_from_the_first_letter_to_a_commitment(browse, report, campaigner):
    carol = browse("carol")
    page = carol.sign_in("carol")
    carol.follow(page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns"))
    carol.follow(page.get_by_role("link", name="New campaign"))

    # The whole form by keyboard: Tab between fields, type, Space ticks a box, Enter on the button submits.
    page.locator("body").focus()
    carol.tab_to(page.get_by_label("Title"))
    page.keyboard.type(TITLE)
    page.keyboard.press("Tab")
    page.keyboard.type("No school buys or runs emotion recognition systems.")
    first_recommendation = page.locator("input[name=recommendations]").first
    carol.tab_to(first_recommendation)
    page.keyboard.press("Space")
    assert first_recommendation.is_checked()
    carol.tab_to(page.get_by_role("button", name="Create the campaign"))
    carol.press("Enter")

    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    campaign = Campaign.objects.get(title=TITLE)
    assert (campaign.group.name, campaign.recommendations.count()) == ("Alpha Watch", 1)

    carol.follow(page.get_by_role("link", name="Add targets"))
    # Typing in the search filters the boxes at once; what is ticked stays, so two searches pick two.
    search = page.get_by_label("Find institutions")
    for name in ("Hikvision", "Hanwang Education"):
        search.fill(name)
        page.locator("#id_institutions").get_by_role("checkbox", name=name).check()
    assert page.locator("#id_institutions input:checked").count() == 2
    page.fill("#id_ask", "Stop selling classroom emotion recognition to schools.")
    carol.follow(page.get_by_role("button", name="Add", exact=True))
    assert "2 targets added" in page.inner_text("main")
    targets = page.get_by_role("table").filter(has_text="Institution")
    assert sorted(targets.locator("tbody th").all_inner_texts()) == ["Hanwang Education", "Hikvision"]

    carol.follow(targets.get_by_role("link", name="Hikvision"))
    for kind, direction, summary in [
        ("Letter", "Sent (from us)", "Asked Hikvision to withdraw its Smart Classroom Behaviour Management System."),
        ("Reply", "Received (from them)", "Hikvision will stop selling the system to schools by June."),
    ]:
        carol.follow(page.get_by_role("link", name="Log an interaction"))
        page.select_option("#id_kind", label=kind)
        page.select_option("#id_direction", label=direction)
        page.fill("#id_summary", summary)
        carol.follow(page.get_by_role("button", name="Log it"))
        assert "The interaction was logged." in page.inner_text("main")
    assert page.locator(".interaction").count() == 2

    page.select_option("#id_to_status", label="Committed")
    reply = page.locator("#id_interaction option").filter(has_text="Reply")
    page.select_option("#id_interaction", value=reply.get_attribute("value"))
    page.fill("#id_note", "Their reply commits to stopping sales to schools.")
    carol.follow(page.get_by_role("button", name="Move"))
    assert "Hikvision is now “Committed”" in page.inner_text("main")
    assert "justified by the reply of" in page.locator(".timeline").inner_text()

    carol.follow(page.locator(".breadcrumb").get_by_role("link", name=TITLE))
    assert page.locator("#status-chart-summary").text_content().count("Committed: 1") == 1
    row = page.get_by_role("row").filter(has_text="Hikvision")
    assert "Committed" in row.inner_text()
    assert "Identified" in page.get_by_role("row").filter(has_text="Hanwang Education").inner_text()

    move = StanceChange.objects.get(target__institution__slug="hikvision")
    assert (move.to_status, move.interaction.kind, move.changed_by) == (Target.Status.COMMITTED, "reply", campaigner)
