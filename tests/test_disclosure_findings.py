"""
Issue 13's findings 3, 4 and 6, as Beta Rights (bob) lives them: Alpha Watch (alice coordinates, victor
volunteers) shares a verified record with Beta Rights, then changes it. Whatever Alpha does next, Beta's pages,
API, search and briefing packs show only what evidence/disclosure.py allows a receiver of a shared copy: the
record's shared fields while it is shared and shareable, nothing of it (not even its title) once it is not, and
never Alpha's tags or the institutions only Alpha sees. Run on SQLite and, with DATABASE_URL, on PostgreSQL: the
search takes a different path on each.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.audit import history_of
from campaigns import services as campaign_services
from campaigns.models import BriefingPack
from campaigns.packs.content import collect
from evidence.models import EvidenceRecord, RecordInstitution, Tag
from evidence.services import directory as evidence_services
from evidence.services import records
from tests.factories import CampaignFactory, CitationFactory, InstitutionFactory, SourceFactory, TargetFactory

pytestmark = pytest.mark.django_db

SECRET_NAME = "Skyeye Vision Labs"
SECRET_NAME_ZH = "天眼视觉实验室"


@pytest.fixture
def directory_institution(db):
    return InstitutionFactory(slug="hikvision", name="Hikvision", name_zh="海康威视")


@pytest.fixture
def shared_record(group, listed_other_group, coordinator, directory_institution):
    """Alpha's verified record about Hikvision, tagged by Alpha, shared with Beta Rights."""
    record = EvidenceRecord.objects.create(group=group, title="Campus cameras score pupils", summary="Installed.",
                                           kind="deployment", status="verified", created_by=coordinator)
    CitationFactory(record=record, source=SourceFactory(group=group, title="Local news report"))
    RecordInstitution.objects.create(record=record, institution=directory_institution, role="vendor")
    record.tags.add(Tag.objects.create(group=group, name="informant-lead"))
    records.share_record(record, actor=coordinator, groups=[listed_other_group])
    return record


@pytest.fixture
def secret_institution(group, coordinator):
    """An institution only Alpha sees: a member added it while logging evidence."""
    return evidence_services.add_group_institution(group, actor=coordinator, name=SECRET_NAME,
                                                   name_zh=SECRET_NAME_ZH, kind="company")


@pytest.fixture
def beta_target(other_group, directory_institution):
    campaign = CampaignFactory(group=other_group, title="Beta's schools campaign")
    return TargetFactory(campaign=campaign, institution=directory_institution)


def reverify(record, *, coordinator, volunteer):
    records.submit_record(record, actor=volunteer)
    return records.verify_record(record, actor=coordinator)


def found_by(client, record, words):
    html = client.get(reverse("evidence-list"), {"q": words}).content.decode()
    return record.get_absolute_url() in html


def api_found_by(api, record, words):
    body = api.get(reverse("api:evidence-list"), {"q": words}).json()
    return record.pk in [row["id"] for row in body["results"]]


def pack_text(user, group, **scope):
    pack = BriefingPack.objects.create(group=group, requested_by=user, scope_label="test", **scope)
    content = collect(pack, user, generated_at=timezone.now())
    return repr(content.briefing) + repr(content.evidence_rows) + repr(content.target_rows)


#
# Finding 3: what points at a record shows only what the policy still allows
#


def test_a_stance_change_citing_a_record_no_longer_shared_shows_no_title(
        client_for, api_for, shared_record, beta_target, outsider, coordinator):
    campaign_services.advance_target(beta_target, actor=outsider, to_status="committed", evidence=shared_record)
    bob = client_for(outsider)
    target_page = bob.get(beta_target.get_absolute_url()).content.decode()
    assert "Campus cameras score pupils" in target_page  # while shared, the citation shows the record

    records.reopen_record(shared_record, actor=coordinator, reason="Checking the date")
    records.update_record(shared_record, actor=coordinator, title="Retitled: the informant's school")

    for url in (beta_target.get_absolute_url(), beta_target.campaign.get_absolute_url()):
        html = bob.get(url).content.decode()
        assert "Retitled" not in html and "Campus cameras" not in html, url
        assert shared_record.get_absolute_url() not in html, url
        assert "a record no longer shared with you" in html, url
    body = api_for(outsider).get(reverse("api:target-detail", args=[beta_target.pk])).json()
    assert [change["evidence"] for change in body["stance_changes"]] == [None]
    assert "Retitled" not in pack_text(outsider, beta_target.campaign.group, scope="campaign",
                                       campaign=beta_target.campaign)


def test_a_linked_record_no_longer_shared_drops_out_of_the_target_and_campaign(
        client_for, shared_record, beta_target, outsider, coordinator):
    campaign_services.link_evidence(beta_target, actor=outsider, record=shared_record)
    records.reopen_record(shared_record, actor=coordinator)
    records.update_record(shared_record, actor=coordinator, title="Retitled while reopened")
    bob = client_for(outsider)
    for url in (beta_target.get_absolute_url(), beta_target.campaign.get_absolute_url()):
        assert "Retitled" not in bob.get(url).content.decode(), url


#
# Finding 4: every transition re-checks that a shared record can stay shared
#


def test_reverifying_a_record_that_now_names_a_group_only_institution_withdraws_its_shares(
        client_for, api_for, shared_record, secret_institution, coordinator, volunteer, outsider,
        directory_institution, listed_other_group):
    records.reopen_record(shared_record, actor=coordinator, reason="Add the lab")
    records.update_record(shared_record, actor=coordinator, institutions=[
        (directory_institution, "vendor"), (secret_institution, "partner")])
    reverify(shared_record, coordinator=coordinator, volunteer=volunteer)

    shared_record.refresh_from_db()
    assert shared_record.status == "verified"
    assert not shared_record.shared_with.exists() and not shared_record.shared_with_everyone
    withdrawn = [entry for entry in history_of(shared_record) if entry.action == "evidence.shared"][0]
    assert withdrawn.after == {"shared_with": [], "shared_with_everyone": False}
    assert withdrawn.before == {"shared_with": ["beta-rights"], "shared_with_everyone": False}

    bob, api = client_for(outsider), api_for(outsider)
    assert bob.get(shared_record.get_absolute_url()).status_code == 404
    assert api.get(reverse("api:evidence-detail", args=[shared_record.pk])).status_code == 404
    for words in (SECRET_NAME, "Skyeye", SECRET_NAME_ZH, "天眼视觉"):
        assert not found_by(bob, shared_record, words), words
        assert not api_found_by(api, shared_record, words), words
    assert SECRET_NAME not in pack_text(outsider, listed_other_group, scope="search", search_query="")
    # Alpha still finds its own record by the institution only it sees.
    assert found_by(client_for(coordinator), shared_record, SECRET_NAME_ZH)


def test_a_record_naming_a_group_only_institution_cannot_be_shared_again(
        shared_record, secret_institution, coordinator, listed_other_group, directory_institution, volunteer):
    records.reopen_record(shared_record, actor=coordinator)
    records.update_record(shared_record, actor=coordinator, institutions=[(secret_institution, "partner")])
    reverify(shared_record, coordinator=coordinator, volunteer=volunteer)
    with pytest.raises(Exception, match="only your group sees"):
        records.share_record(shared_record, actor=coordinator, groups=[listed_other_group])


def test_marking_a_shared_record_protected_withdraws_its_shares(shared_record, coordinator, volunteer):
    records.reopen_record(shared_record, actor=coordinator)
    records.update_record(shared_record, actor=coordinator, protected=True)
    shared_record.refresh_from_db()
    assert not shared_record.shared_with.exists()
    reverify(shared_record, coordinator=coordinator, volunteer=volunteer)
    assert not EvidenceRecord.objects.get(pk=shared_record.pk).shared_with.exists()


def test_a_reopened_record_is_suspended_and_comes_back_when_verified_and_still_shareable(
        client_for, shared_record, coordinator, volunteer, outsider):
    records.reopen_record(shared_record, actor=coordinator)
    bob = client_for(outsider)
    assert bob.get(shared_record.get_absolute_url()).status_code == 404
    records.update_record(shared_record, actor=coordinator, summary="A better summary.")
    reverify(shared_record, coordinator=coordinator, volunteer=volunteer)
    assert bob.get(shared_record.get_absolute_url()).status_code == 200


def test_a_shared_copy_never_shows_or_matches_an_institution_the_receiver_cannot_see(
        client_for, api_for, shared_record, secret_institution, outsider, coordinator, listed_other_group):
    # However a row got there (an import, the admin, a rule missed), a receiver sees only the institutions
    # Institution.objects.visible_to(receiver) holds, and search matches nothing else.
    RecordInstitution.objects.create(record=shared_record, institution=secret_institution, role="partner")
    shared_record.rebuild_search_document()
    bob, api = client_for(outsider), api_for(outsider)

    html = bob.get(shared_record.get_absolute_url()).content.decode()
    assert "Campus cameras score pupils" in html and "Hikvision" in html
    assert SECRET_NAME not in html and secret_institution.slug not in html
    listing = bob.get(reverse("evidence-list")).content.decode()
    assert "Campus cameras score pupils" in listing and SECRET_NAME not in listing
    body = api.get(reverse("api:evidence-detail", args=[shared_record.pk])).json()
    assert [link["institution"] for link in body["institutions"]] == ["hikvision"]
    assert secret_institution.slug not in str(api.get(reverse("api:evidence-list")).json())
    for words in (SECRET_NAME, "Skyeye", SECRET_NAME_ZH, "天眼视觉"):
        assert not found_by(bob, shared_record, words), words
        assert not api_found_by(api, shared_record, words), words
    assert found_by(bob, shared_record, "海康威视") and found_by(bob, shared_record, "Hikvision")
    assert found_by(client_for(coordinator), shared_record, "天眼视觉")
    beta_pack = pack_text(outsider, listed_other_group, scope="search", search_query="")
    assert "Campus cameras score pupils" in beta_pack and "Hikvision" in beta_pack
    assert SECRET_NAME not in beta_pack and SECRET_NAME_ZH not in beta_pack


#
# Finding 6: a shared copy never shows the owning group's tags
#


def test_a_shared_records_page_shows_none_of_the_owning_groups_tags(client_for, api_for, shared_record, outsider,
                                                                     coordinator):
    assert "informant-lead" in client_for(coordinator).get(shared_record.get_absolute_url()).content.decode()
    bob = client_for(outsider)
    assert "informant-lead" not in bob.get(shared_record.get_absolute_url()).content.decode()
    assert "informant-lead" not in bob.get(reverse("evidence-list")).content.decode()
    assert api_for(outsider).get(reverse("api:evidence-detail", args=[shared_record.pk])).json()["tags"] == []
    assert not found_by(bob, shared_record, "informant-lead")
    assert "informant-lead" not in pack_text(outsider, shared_record.shared_with.get(), scope="search",
                                             search_query="")


def test_whoever_moves_the_record_on_is_told_that_the_shares_were_withdrawn_and_why(
        client_for, shared_record, secret_institution, coordinator, volunteer):
    records.reopen_record(shared_record, actor=coordinator)
    # Named around the services (an import, the admin): the next step re-checks the rule all the same.
    RecordInstitution.objects.create(record=shared_record, institution=secret_institution, role="partner")
    response = client_for(volunteer).post(reverse("evidence-step", args=[shared_record.pk, "submit"]), follow=True)
    html = response.content.decode()
    assert "The record is no longer shared with other groups" in html and SECRET_NAME in html
    assert not shared_record.shared_with.exists()
