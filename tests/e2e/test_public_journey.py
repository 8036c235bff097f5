"""
Journey (issue 18, "Done when"): alice (coordinator) publishes a campaign from its page; an anonymous visitor reads
it at /public/ in English and then in Chinese (the language switcher works without an account) and finds no
marker planted in any field the public may not read; after alice unpublishes it, its page is a 404.
"""

import pytest

from campaigns import services as campaign_services
from evidence.services import publicity
from tests.factories import CampaignFactory, CitationFactory, InstitutionFactory, SourceFactory, TargetFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MARKER = "zqwithheld"


def planted(field):
    return f"{MARKER}-{field}"


def test_a_published_campaign_is_read_by_anyone_in_both_languages_and_gone_once_unpublished(
        browse, group, coordinator, campaigner):
    campaign = CampaignFactory(group=group, title="No emotion recognition in schools", goal=planted("goal"),
                               public_summary="Schools must not read children's faces.")
    target = TargetFactory(campaign=campaign, institution=InstitutionFactory(name="Hikvision", slug="hikvision"),
                           ask="Stop selling emotion recognition to schools.", owner=campaigner,
                           next_step=planted("next-step"))
    public = CitationFactory(record__group=group, record__status="verified", record__title="Cameras in School 12",
                             translator=planted("translator"),
                             source=SourceFactory(group=group, title="Local news report")).record
    CitationFactory(record=public, source=SourceFactory(group=group, title=planted("protected-source"),
                                                        protected=True))
    public.tags.create(group=group, name=planted("tag"))
    publicity.mark_public(public, actor=coordinator)
    private = CitationFactory(record__group=group, record__status="verified",
                              record__title=planted("private-record")).record
    campaign_services.advance_target(target, actor=coordinator, to_status="committed", evidence=private,
                                     note=planted("note"))
    campaign_services.advance_target(target, actor=coordinator, to_status="complied", evidence=public,
                                     note=planted("note-2"))

    alice = browse("alice")
    alice.sign_in("alice")
    page = alice.goto(f"/campaigns/{campaign.pk}/")
    alice.follow(page.get_by_role("button", name="Publish on the public scoreboard"))
    assert "The campaign is published" in page.locator(".message-success, [role=status]").first.inner_text()

    anyone = browse("anyone")
    page = anyone.goto("/public/")
    anyone.follow(page.get_by_role("link", name=campaign.title))
    body = page.content()
    assert "Schools must not read children&#x27;s faces." in body or "Schools must not read children's faces." in body
    assert "Cameras in School 12" in body and "Local news report" in body and "Complied" in body
    assert MARKER not in body.lower() and "alice" not in body and "carol" not in body

    page.get_by_label("Language").select_option("zh-hans")
    anyone.follow(page.get_by_role("button", name="Change language"))
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.get_by_role("heading", name="目标机构进展").is_visible()
    body = page.content()
    assert "Cameras in School 12" in body and MARKER not in body.lower()
    page_url = page.url

    page = alice.goto(f"/campaigns/{campaign.pk}/")
    alice.follow(page.get_by_role("button", name="Unpublish"))

    anyone.expected_status = 404
    try:
        response = anyone.page.goto(page_url)
    finally:
        anyone.expected_status = None
    assert response.status == 404
    anyone.audit()
    assert campaign.title not in anyone.page.content()
