"""
The public scoreboard (issue 18): off by default, a coordinator publishes; anyone reads a published campaign's
summary, ask, targets, stances and their history with the evidence its group made public, and nothing else; an
unpublished campaign is a 404 like a missing one; every change shows at once (the pages are cached).
"""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditEntry
from campaigns import services as campaign_services
from campaigns.models import Campaign
from campaigns.public import services as public_services
from evidence.services import publicity
from evidence.services import records as record_services
from tests.factories import CitationFactory, InstitutionFactory, SourceFactory, TargetFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def public_page(client, campaign):
    return client.get(reverse("public-campaign", args=[campaign.pk]))


@pytest.fixture
def published(campaign, coordinator):
    campaign.public_summary = "We ask schools to stop using emotion recognition."
    campaign.save()
    return public_services.publish_campaign(campaign, actor=coordinator)


def verified_record(group, title, *, protected_source=False):
    record = CitationFactory(record__group=group, record__status="verified", record__title=title,
                             source=SourceFactory(group=group, title=f"Source of {title}")).record
    if protected_source:
        CitationFactory(record=record, source=SourceFactory(group=group, title=f"Protected source of {title}",
                                                            protected=True))
    return record


def test_it_is_off_by_default_and_a_404_like_a_missing_campaign(client, client_for, campaign, coordinator, outsider):
    missing = client.get(reverse("public-campaign", args=[2**40]))
    assert missing.status_code == 404
    for who in (None, outsider, coordinator):
        http = client_for(who) if who else client
        response = public_page(http, campaign)
        assert response.status_code == 404
        assert campaign.title.encode() not in response.content
        assert http.get(reverse("public-campaign-feed", args=[campaign.pk])).status_code == 404
        assert campaign.title.encode() not in http.get(reverse("public-index")).content


def test_it_shows_a_published_campaign_to_anyone_without_its_inner_workings(client, published, target, coordinator,
                                                                              campaigner):
    public = verified_record(published.group, "Cameras in School 12", protected_source=True)
    publicity.mark_public(public, actor=coordinator)
    private = verified_record(published.group, "Unpublished finding")
    target.owner, target.next_step = campaigner, "Call the ministry secretly"
    target.save()
    campaign_services.advance_target(target, actor=coordinator, to_status="contacted", note="Internal note zz1")
    campaign_services.advance_target(target, actor=coordinator, to_status="committed", evidence=private,
                                     note="Internal note zz2")
    campaign_services.advance_target(target, actor=coordinator, to_status="complied", evidence=public)

    response = public_page(client, published)

    assert response.status_code == 200
    body = response.content.decode()
    assert published.title in body and "We ask schools to stop using emotion recognition." in body
    assert "Hikvision" in body and target.ask in body and "Complied" in body
    assert "Cameras in School 12" in body and "Source of Cameras in School 12" in body
    assert "The evidence for this change is not public." in body
    for withheld in ("Unpublished finding", "Protected source of", "Internal note", "Call the ministry secretly",
                     "alice", "carol", published.goal):
        assert withheld not in body, withheld
    assert 'property="og:title"' in body and 'type="application/atom+xml"' in body


def test_it_lists_only_published_campaigns_of_every_group(client, published, other_group):
    other = Campaign.objects.create(group=other_group, title="Beta's quiet campaign", goal="Quiet.")
    body = client.get(reverse("public-index")).content.decode()
    assert published.title in body and published.group.name in body
    assert other.title not in body


def test_it_shows_every_change_at_once_though_the_pages_are_cached(client, published, target, coordinator):
    record = verified_record(published.group, "Procurement notice")
    assert "Procurement notice" not in public_page(client, published).content.decode()
    campaign_services.advance_target(target, actor=coordinator, to_status="committed", evidence=record)
    assert "Committed" in public_page(client, published).content.decode()
    assert "Procurement notice" not in public_page(client, published).content.decode()

    publicity.mark_public(record, actor=coordinator)
    assert "Procurement notice" in public_page(client, published).content.decode()

    record_services.reopen_record(record, actor=coordinator, reason="A date is wrong")
    assert "Procurement notice" not in public_page(client, published).content.decode()

    campaign_services.update_campaign(published, actor=coordinator, title="A new public title")
    assert "A new public title" in public_page(client, published).content.decode()
    assert "A new public title" in client.get(reverse("public-index")).content.decode()

    public_services.unpublish_campaign(published, actor=coordinator)
    assert public_page(client, published).status_code == 404
    assert "A new public title" not in client.get(reverse("public-index")).content.decode()


def test_it_keys_the_cache_by_language_not_by_reader(client, client_for, published, coordinator):
    from django.test import Client

    # A signed-in member fills the cache first; what the next anonymous visitor gets holds nothing of theirs.
    assert "alice" in public_page(client_for(coordinator), published).content.decode()  # the site's own menu
    english = public_page(Client(), published).content.decode()
    assert "alice" not in english
    chinese_client = Client()
    chinese_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = public_page(chinese_client, published).content.decode()
    assert "Where the targets stand" in english and "Where the targets stand" not in chinese
    assert 'lang="zh-Hans"' in chinese and "公开进展榜" in chinese and "alice" not in chinese


def test_a_coordinator_publishes_from_the_campaign_page_and_others_may_not(client_for, campaign, coordinator,
                                                                           campaigner, viewer):
    url = reverse("campaign-publish", args=[campaign.pk])
    refused = client_for(coordinator).post(url, {"publish": "1"}, follow=True)
    assert "Write the campaign" in refused.content.decode()  # no public summary yet: nothing published
    campaign.public_summary = "Our public words."
    campaign.save()
    for who in (campaigner, viewer):
        assert client_for(who).post(url, {"publish": "1"}).status_code == 403
    assert Campaign.objects.get(pk=campaign.pk).published_at is None

    client_for(coordinator).post(url, {"publish": "1"})
    assert Campaign.objects.get(pk=campaign.pk).is_published
    client_for(coordinator).post(url, {"publish": "0"})
    assert not Campaign.objects.get(pk=campaign.pk).is_published
    actions = list(AuditEntry.objects.filter(object_id=str(campaign.pk)).values_list("action", flat=True))
    assert "campaign.published" in actions and "campaign.unpublished" in actions


def test_another_groups_campaign_cannot_be_published_by_us(client_for, api_for, other_group, coordinator):
    theirs = Campaign.objects.create(group=other_group, title="Beta", goal="x", public_summary="Words.")
    assert client_for(coordinator).post(reverse("campaign-publish", args=[theirs.pk]),
                                         {"publish": "1"}).status_code == 404
    assert api_for(coordinator).post(f"/api/campaigns/{theirs.pk}/publish/").status_code == 404
    assert Campaign.objects.get(pk=theirs.pk).published_at is None


def test_marking_public_is_refused_for_drafts_and_protected_records_and_withdrawn_on_protecting(
        client_for, group, coordinator, campaigner):
    draft = CitationFactory(record__group=group, record__title="A draft").record
    response = client_for(coordinator).post(reverse("evidence-public", args=[draft.pk]), {"public": "1"},
                                            follow=True)
    assert "Only verified records that are not protected can be made public." in response.content.decode()
    protected = verified_record(group, "Protected one")
    protected.protected = True
    protected.save()
    client_for(coordinator).post(reverse("evidence-public", args=[protected.pk]), {"public": "1"})
    assert client_for(campaigner).post(reverse("evidence-public", args=[draft.pk]), {"public": "1"}).status_code \
        == 403
    draft.refresh_from_db()
    protected.refresh_from_db()
    assert not draft.marked_public and not protected.marked_public

    record = verified_record(group, "Once public")
    publicity.mark_public(record, actor=coordinator)
    record_services.reopen_record(record, actor=coordinator)
    record_services.update_record(record, actor=coordinator, protected=True)
    record.refresh_from_db()
    assert not record.marked_public
    actions = list(AuditEntry.objects.filter(object_id=str(record.pk)).values_list("action", flat=True))
    assert "evidence.public" in actions and "evidence.unpublic" in actions


def test_a_record_naming_a_group_only_institution_cannot_be_made_public(group, coordinator):
    from django.core.exceptions import ValidationError

    from evidence.models import RecordInstitution

    record = verified_record(group, "Names our own lead")
    RecordInstitution.objects.create(record=record, role="deployer",
                                     institution=InstitutionFactory(added_by_group=group, name="Our own lead"))
    with pytest.raises(ValidationError):
        publicity.mark_public(record, actor=coordinator)


def test_the_api_publishes_and_marks_public(api_for, campaign, coordinator, campaigner, group):
    api = api_for(coordinator)
    refused = api.post(f"/api/campaigns/{campaign.pk}/publish/")
    assert refused.status_code == 400 and "public_summary" in refused.json()
    campaign.public_summary = "Our public words."
    campaign.save()
    assert api_for(campaigner).post(f"/api/campaigns/{campaign.pk}/publish/").status_code == 403
    published = api.post(f"/api/campaigns/{campaign.pk}/publish/")
    assert published.status_code == 200 and published.json()["published_at"]
    assert api.post(f"/api/campaigns/{campaign.pk}/unpublish/").json()["published_at"] is None

    record = verified_record(group, "Via the API")
    marked = api.post(f"/api/evidence/{record.pk}/public/", {"public": True}, format="json")
    assert marked.status_code == 200 and marked.json()["marked_public"] is True
    assert api.post(f"/api/evidence/{record.pk}/public/", {}, format="json").status_code == 400
    assert api.post(f"/api/evidence/{record.pk}/public/", {"public": False}, format="json").json()[
        "marked_public"] is False


def test_the_feed_lists_stance_changes_with_public_evidence_only(client, published, target, coordinator):
    public = verified_record(published.group, "Public proof")
    publicity.mark_public(public, actor=coordinator)
    private = verified_record(published.group, "Private proof")
    campaign_services.advance_target(target, actor=coordinator, to_status="committed", evidence=private,
                                     note="Secret note")
    campaign_services.advance_target(target, actor=coordinator, to_status="complied", evidence=public)
    response = client.get(reverse("public-campaign-feed", args=[published.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    body = response.content.decode()
    assert "Public proof" in body and "Hikvision" in body and "Complied" in body
    assert "Private proof" not in body and "Secret note" not in body and "alice" not in body


def test_a_page_with_many_targets_costs_a_fixed_number_of_queries(client, published, count_queries, coordinator):
    def load():
        from django.core.cache import cache

        cache.clear()
        assert public_page(client, published).status_code == 200

    TargetFactory(campaign=published)
    few = count_queries(load)
    for _ in range(10):
        target = TargetFactory(campaign=published)
        record = verified_record(published.group, "Proof")
        publicity.mark_public(record, actor=coordinator)
        campaign_services.advance_target(target, actor=coordinator, to_status="committed", evidence=record)
    assert count_queries(load) == few + 3  # the public records, their citations and institutions, once
