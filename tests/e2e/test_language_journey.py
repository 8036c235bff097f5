"""
Journey: vera (viewer) opens the sign-in page, switches it to 简体中文 by keyboard alone, signs in and reads the
group's pages in Chinese (each checked by axe, with Chinese fonts drawn), then switches back to English.
"""

import datetime

import pytest

from tests.factories import PASSWORD, CampaignFactory, EvidenceRecordFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_it_switches_to_chinese_by_keyboard_and_every_page_follows(browse, group, viewer):
    record = EvidenceRecordFactory(group=group, title="Emotion cameras in Kashgar classrooms",
                                   event_start=datetime.date(2026, 11, 23), status="verified")
    CampaignFactory(group=group, title="No emotion recognition in schools")
    vera = browse("vera")
    page = vera.goto("/login/")
    assert page.get_attribute("html", "lang") == "en"

    # From the top of the page, Tab to the language list (named by its label), pick the next language with the
    # arrow key, Tab to the button and press Enter.
    page.locator("body").focus()
    switcher = page.get_by_label("Language")
    vera.tab_to(switcher)
    page.keyboard.press("ArrowDown")
    assert switcher.input_value() == "zh-hans"
    vera.tab_to(page.get_by_role("button", name="Change language"))
    vera.press("Enter")

    assert page.url.endswith("/login/")  # back where the switch was made
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "登录"
    assert page.get_by_label("语言").input_value() == "zh-hans"

    page.fill("input[name=login]", "vera")
    page.fill("input[name=password]", PASSWORD)
    vera.follow(page.get_by_role("button", name="登录"))
    nav = page.get_by_role("navigation", name="主导航")
    assert page.locator(".role-badge").inner_text() == "查看者"

    vera.follow(nav.get_by_role("link", name="证据"))
    assert page.get_by_role("heading", level=1).inner_text() == "证据"
    assert "1 条记录。" in page.get_by_role("status").inner_text()
    vera.follow(page.get_by_role("link", name=record.title))  # data is shown as entered
    assert page.locator("time[datetime='2026-11-23']").first.inner_text() == "2026年11月23日"
    assert page.locator(".status-badge").inner_text() == "已核实"

    vera.follow(nav.get_by_role("link", name="倡导行动"))
    assert "1 个倡导行动。" in page.get_by_role("status").inner_text()

    page.get_by_label("语言").select_option("en")
    vera.follow(page.get_by_role("button", name="切换语言"))
    assert page.get_attribute("html", "lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Campaigns"
