"""Identifiers that tell nothing: a group cannot count what other groups created from the ids it is shown."""

import json
from itertools import count, pairwise

import pytest
from django.apps import apps
from django.urls import reverse

from tests.factories import (
    AskBatchFactory,
    AuditEntryFactory,
    BriefingPackFactory,
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    GroupFactory,
    InstitutionFactory,
    InteractionFactory,
    InvitationFactory,
    MembershipFactory,
    SourceFactory,
    TargetFactory,
    TaskFactory,
    UserFactory,
    WorkerCheckFactory,
)

pytestmark = pytest.mark.django_db

# Above every id a sequence has handed out (rows made before random ids keep theirs), and below 2**53, so
# that JavaScript reads each id exactly.
SMALLEST, LIMIT = 2**32, 2**53


def _tells_nothing(ids):
    """In range, and no two ids made one after the other a small step apart (random: a chance of 1 in 10**8)."""
    return all(SMALLEST <= pk < LIMIT for pk in ids) and all(abs(b - a) > 2**20 for a, b in pairwise(ids))


def test_it_gives_one_groups_consecutive_records_ids_that_count_nothing(api_for, volunteer, group, outsider,
                                                                        other_group):
    alpha, beta = api_for(volunteer), api_for(outsider)

    def log(api, team, title):
        response = api.post(reverse("api:evidence-list"), {
            "group": team.slug, "title": title, "summary": "Cameras score attention.", "kind": "deployment",
            "event_start": "2018-05-01"}, format="json")
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    before = log(alpha, group, "Alpha's first")
    log(beta, other_group, "Beta's, in between")
    after = log(alpha, group, "Alpha's second")
    assert SMALLEST <= before < LIMIT and SMALLEST <= after < LIMIT
    assert abs(after - before) > 2**20  # no small step: nothing to count between them

    in_a_row = [EvidenceRecordFactory(group=group).pk for _ in range(20)]
    assert _tells_nothing(in_a_row)
    assert in_a_row != sorted(in_a_row)  # not even their order (random: a chance of 1 in 20!)


@pytest.mark.parametrize("factory", [
    UserFactory, GroupFactory, MembershipFactory, InvitationFactory, AuditEntryFactory, WorkerCheckFactory,
    SourceFactory, EvidenceRecordFactory, CitationFactory, InstitutionFactory, CampaignFactory, AskBatchFactory,
    TargetFactory, InteractionFactory, TaskFactory, BriefingPackFactory,
], ids=lambda factory: factory._meta.model.__name__)
def test_it_gives_every_kind_of_row_a_random_id(factory):
    assert _tells_nothing([factory().pk for _ in range(5)])


def test_it_gives_random_ids_to_rows_made_in_bulk_and_to_links_between_rows(group):
    from evidence.models import EvidenceRecord

    made = EvidenceRecord.objects.bulk_create([EvidenceRecordFactory.build(group=group) for _ in range(5)])
    assert _tells_nothing([record.pk for record in made])
    record = EvidenceRecordFactory(group=group)
    record.shared_with.add(*(GroupFactory() for _ in range(5)))
    assert _tells_nothing(list(record.shared_with.through.objects.values_list("pk", flat=True)))


def test_it_leaves_a_new_unsaved_row_without_an_id_until_it_is_saved(group):
    from evidence.models import EvidenceRecord

    record = EvidenceRecord(group=group, title="Not yet saved", kind="deployment")
    assert record.pk is None and record._state.adding
    record.save()
    assert SMALLEST <= record.pk < LIMIT


def test_it_declares_random_ids_for_every_model_of_the_apps():
    from accounts.ids import RandomIdField

    for label in ("accounts", "evidence", "campaigns"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            assert isinstance(model._meta.pk, RandomIdField), model


def test_it_sends_ids_as_json_numbers_that_come_back_unchanged(api_for, volunteer, group):
    record = EvidenceRecordFactory(group=group, title="Round trip")
    response = api_for(volunteer).get(reverse("api:evidence-list"))
    listed = json.loads(response.content)
    rows = listed["results"] if isinstance(listed, dict) else listed
    [row] = [row for row in rows if row["title"] == "Round trip"]
    assert type(row["id"]) is int and row["id"] == record.pk
    assert float(row["id"]) == row["id"]  # a JavaScript number holds it exactly
    assert api_for(volunteer).get(reverse("api:evidence-detail", args=[row["id"]])).json()["title"] == "Round trip"


@pytest.fixture
def decreasing_ids(monkeypatch):
    """Each new row gets a smaller id than the one before: ordering by id would put the newest last."""
    ids = count(10**14, -(2**30))
    monkeypatch.setattr("accounts.ids.random_id", lambda: next(ids))


def _in_page_order(page, *titles):
    text = page.content.decode()
    positions = [text.index(title) for title in titles]
    return positions == sorted(positions)


def test_it_lists_records_newest_first_whatever_their_ids(client_for, volunteer, group, decreasing_ids):
    first, second, third = (EvidenceRecordFactory(group=group, title=f"Record number {n}") for n in "ABC")
    assert first.pk > second.pk > third.pk
    page = client_for(volunteer).get(reverse("evidence-list"))
    assert _in_page_order(page, "Record number C", "Record number B", "Record number A")


def test_it_shows_a_days_interactions_newest_first_whatever_their_ids(client_for, campaigner, group,
                                                                     decreasing_ids):
    target = TargetFactory(campaign=CampaignFactory(group=group))
    for n in "ABC":
        InteractionFactory(target=target, summary=f"Letter number {n}")
    page = client_for(campaigner).get(target.get_absolute_url())
    assert _in_page_order(page, "Letter number C", "Letter number B", "Letter number A")


def test_it_shows_citations_in_the_order_they_were_added_whatever_their_ids(client_for, volunteer, group,
                                                                           decreasing_ids):
    record = EvidenceRecordFactory(group=group)
    for n in "ABC":
        CitationFactory(record=record, excerpt=f"Excerpt number {n}", source=SourceFactory(group=group))
    page = client_for(volunteer).get(reverse("evidence-detail", args=[record.pk]))
    assert _in_page_order(page, "Excerpt number A", "Excerpt number B", "Excerpt number C")


def test_it_keeps_the_citations_of_one_save_in_the_order_given_when_they_share_an_instant(
        api_for, volunteer, group, decreasing_ids, monkeypatch):
    from django.utils import timezone

    instant = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: instant)  # every row of the save made at once
    source = SourceFactory(group=group)
    api = api_for(volunteer)
    response = api.post(reverse("api:evidence-list"), {
        "group": group.slug, "title": "Cited three times", "summary": "Cameras score attention.",
        "kind": "deployment", "citations": [{"source": source.pk, "excerpt": f"Excerpt number {n}"} for n in "ABC"],
    }, format="json")
    assert response.status_code == 201, response.json()
    shown = api.get(reverse("api:evidence-detail", args=[response.json()["id"]])).json()["citations"]
    assert [citation["excerpt"] for citation in shown] == ["Excerpt number A", "Excerpt number B", "Excerpt number C"]
