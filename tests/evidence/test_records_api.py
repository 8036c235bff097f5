"""Evidence records through the API: logging, the two-person check, sharing and isolation."""

import pytest
from django.urls import reverse

from accounts.audit import history_of
from accounts.models import Role
from evidence.models import EvidenceRecord, RecordInstitution, Tag
from tests.factories import (
    CitationFactory,
    EvidenceRecordFactory,
    GroupFactory,
    InstitutionFactory,
    MembershipFactory,
    SourceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def institutions(db):
    from evidence.models import Institution

    return [Institution.objects.create(slug=slug, name=slug.title(), kind="company")
            for slug in ("hikvision", "hanwang-education")]


def new_record(api, group, source, **extra):
    body = {
        "group": group.slug, "title": "Classroom cameras in Hangzhou", "summary": "Cameras score attention.",
        "kind": "deployment", "country": "China", "place": "Hangzhou", "event_start": "2018-05-01",
        "institutions": [{"institution": "hikvision", "role": "vendor"}],
        "citations": [{"source": source.pk, "excerpt": "课堂", "excerpt_language": "zh",
                       "translation": "classroom", "translator": "victor"}],
        "tags": ["schools", "schools", "hangzhou"], **extra,
    }
    return api.post(reverse("api:evidence-list"), body, format="json")


def step(api, record_id, name, **body):
    return api.post(reverse(f"api:evidence-{name}", args=[record_id]), body, format="json")


def test_a_volunteer_logs_a_sourced_record(api_for, volunteer, group, institutions):
    source = SourceFactory(group=group)
    response = new_record(api_for(volunteer), group, source)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["institutions"] == [{"institution": "hikvision", "role": "vendor"}]
    assert body["citations"][0]["excerpt"] == "课堂" and body["citations"][0]["source_title"] == source.title
    assert sorted(body["tags"]) == ["hangzhou", "schools"]
    record = EvidenceRecord.objects.get(pk=body["id"])
    assert history_of(record).get().action == "evidence.created"


def test_bad_input_is_a_400_with_field_errors_and_saves_nothing(api_for, volunteer, group, institutions):
    source = SourceFactory(group=group)
    response = new_record(api_for(volunteer), group, source, kind="rumour", event_end="2017-01-01",
                          institutions=[{"institution": "nobody", "role": "vendor"}])
    assert response.status_code == 400
    assert {"kind", "institutions"} <= set(response.json())
    response = new_record(api_for(volunteer), group, source, event_end="2017-01-01")
    assert response.status_code == 400 and "event_end" in response.json()
    assert not EvidenceRecord.objects.exists()


def test_a_record_cannot_cite_another_groups_source(api_for, volunteer, group, other_group, institutions):
    response = new_record(api_for(volunteer), group, SourceFactory(group=other_group))
    assert response.status_code == 400
    assert "citations" in response.json()
    assert not EvidenceRecord.objects.exists()


def test_a_record_cannot_be_put_in_another_group(api_for, volunteer, group, other_group, institutions):
    response = new_record(api_for(volunteer), other_group, SourceFactory(group=group))
    assert response.status_code == 400 and "group" in response.json()


def test_viewers_do_not_log_evidence(api_for, viewer, group, institutions):
    assert new_record(api_for(viewer), group, SourceFactory(group=group)).status_code == 403


def test_it_takes_two_people_to_verify(api_for, volunteer, campaigner, group, institutions):
    mine = api_for(volunteer)
    record_id = new_record(mine, group, SourceFactory(group=group)).json()["id"]
    assert step(mine, record_id, "submit").json()["status"] == "submitted"

    refused = step(mine, record_id, "verify")
    assert refused.status_code == 400
    assert "Someone other than the person who submitted it" in str(refused.json())

    verified = step(api_for(campaigner), record_id, "verify")
    assert verified.status_code == 200
    assert verified.json()["status"] == "verified" and verified.json()["decided_by"] == "carol"
    actions = list(history_of(EvidenceRecord.objects.get(pk=record_id)).values_list("action", "actor__username"))
    assert actions[:2] == [("evidence.verify", "carol"), ("evidence.submit", "victor")]


def test_a_record_without_a_source_cannot_be_submitted(api_for, volunteer, group, institutions):
    api = api_for(volunteer)
    record_id = new_record(api, group, SourceFactory(group=group), citations=[]).json()["id"]
    response = step(api, record_id, "submit")
    assert response.status_code == 400 and "Cite at least one source" in str(response.json())


def test_a_rejection_needs_a_reason_and_the_record_can_be_fixed(api_for, volunteer, coordinator, group,
                                                               institutions):
    api, checker = api_for(volunteer), api_for(coordinator)
    record_id = new_record(api, group, SourceFactory(group=group)).json()["id"]
    step(api, record_id, "submit")
    assert step(checker, record_id, "reject", reason="").status_code == 400
    rejected = step(checker, record_id, "reject", reason="The article says 2019, not 2018.")
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_reason"] == "The article says 2019, not 2018."
    fixed = api.patch(reverse("api:evidence-detail", args=[record_id]), {"event_start": "2019-05-01"},
                      format="json")
    assert fixed.status_code == 200, fixed.json()
    assert step(api, record_id, "submit").json()["status"] == "submitted"


def test_a_verified_record_is_reopened_before_it_is_edited(api_for, volunteer, coordinator, group, institutions):
    api, checker = api_for(volunteer), api_for(coordinator)
    record_id = new_record(api, group, SourceFactory(group=group)).json()["id"]
    step(api, record_id, "submit")
    step(checker, record_id, "verify")
    url = reverse("api:evidence-detail", args=[record_id])
    assert api.patch(url, {"title": "Changed"}, format="json").status_code == 400
    assert step(api, record_id, "reopen").status_code == 200  # volunteers may reopen, like they verify
    assert api.patch(url, {"title": "Changed"}, format="json").json()["title"] == "Changed"


def test_viewers_cannot_take_any_step(api_for, viewer, group):
    record = EvidenceRecordFactory(group=group, status="submitted", submitted_by=UserFactory())
    api = api_for(viewer)
    for name in ("submit", "verify", "reopen"):
        assert step(api, record.pk, name).status_code == 403
    assert step(api, record.pk, "reject", reason="no").status_code == 403
    record.refresh_from_db()
    assert record.status == "submitted"


@pytest.mark.usefixtures("listed_other_group")
class TestSharing:
    @pytest.fixture
    def verified(self, group):
        record = EvidenceRecordFactory(group=group, status="verified", submitted_by=UserFactory(username="sam"),
                                       decided_by=UserFactory(username="dora"))
        CitationFactory(record=record, source=SourceFactory(group=group, title="Public article"))
        CitationFactory(record=record, source=SourceFactory(group=group, title="Whistleblower", protected=True))
        return record

    def test_a_shared_record_reaches_the_partner_read_only_and_redacted(self, api_for, coordinator, outsider,
                                                                        other_group, verified):
        response = step(api_for(coordinator), verified.pk, "share", groups=[other_group.slug])
        assert response.status_code == 200, response.json()
        partner = api_for(outsider)
        body = partner.get(reverse("api:evidence-detail", args=[verified.pk])).json()
        assert body["shared_copy"] is True
        assert [c["source_title"] for c in body["citations"]] == ["Public article"]
        assert body["submitted_by"] is None and body["decided_by"] is None
        assert b"Whistleblower" not in partner.get(reverse("api:evidence-list")).content
        assert partner.patch(reverse("api:evidence-detail", args=[verified.pk]), {"title": "x"},
                             format="json").status_code == 403
        assert step(partner, verified.pk, "reopen").status_code == 403

    def test_the_owning_group_sees_everything(self, api_for, viewer, verified):
        body = api_for(viewer).get(reverse("api:evidence-detail", args=[verified.pk])).json()
        assert body["shared_copy"] is False
        assert sorted(c["source_title"] for c in body["citations"]) == ["Public article", "Whistleblower"]
        assert body["submitted_by"] == "sam"

    def test_sharing_with_everyone_reaches_every_group(self, api_for, coordinator, verified):
        stranger = MembershipFactory(group=GroupFactory(), role=Role.VIEWER).user
        url = reverse("api:evidence-detail", args=[verified.pk])
        assert api_for(stranger).get(url).status_code == 404
        step(api_for(coordinator), verified.pk, "share", everyone=True)
        assert api_for(stranger).get(url).status_code == 200

    def test_reopening_or_unsharing_takes_it_back(self, api_for, coordinator, volunteer, outsider, other_group,
                                                  verified):
        step(api_for(coordinator), verified.pk, "share", groups=[other_group.slug])
        url = reverse("api:evidence-detail", args=[verified.pk])
        step(api_for(volunteer), verified.pk, "reopen")
        assert api_for(outsider).get(url).status_code == 404
        EvidenceRecord.objects.filter(pk=verified.pk).update(status="verified")
        assert api_for(outsider).get(url).status_code == 200
        step(api_for(coordinator), verified.pk, "share", groups=[])
        assert api_for(outsider).get(url).status_code == 404

    @pytest.mark.parametrize("change", [{"protected": True}, {"status": "submitted"}])
    def test_only_verified_unprotected_records_are_shared(self, api_for, coordinator, other_group, verified,
                                                          change):
        EvidenceRecord.objects.filter(pk=verified.pk).update(**change)
        response = step(api_for(coordinator), verified.pk, "share", groups=[other_group.slug])
        assert response.status_code == 400
        assert not verified.shared_with.exists()

    def test_only_coordinators_share(self, api_for, campaigner, other_group, verified):
        assert step(api_for(campaigner), verified.pk, "share", groups=[other_group.slug]).status_code == 403


def test_another_groups_records_and_sources_are_404(api_for, coordinator, other_group):
    record = EvidenceRecordFactory(group=other_group, status="verified")
    source = SourceFactory(group=other_group)
    api = api_for(coordinator)
    assert api.get(reverse("api:evidence-detail", args=[record.pk])).status_code == 404
    assert api.get(reverse("api:source-detail", args=[source.pk])).status_code == 404
    assert api.get(reverse("api:evidence-list")).json()["count"] == 0
    assert api.get(reverse("api:source-duplicates"), {"url": source.url}).json() == []


def test_duplicate_sources_are_found_before_saving(api_for, volunteer, group):
    existing = SourceFactory(group=group, url="https://www.example.org/news/1/")
    response = api_for(volunteer).get(reverse("api:source-duplicates"), {"url": "http://example.org/news/1"})
    assert [s["id"] for s in response.json()] == [existing.pk]


@pytest.mark.parametrize("url_name", ["api:evidence-list", "api:source-list"])
def test_evidence_lists_run_a_fixed_number_of_queries(api_for, coordinator, group, count_queries, url_name):
    api = api_for(coordinator)

    def add(n):
        for _ in range(n):
            CitationFactory(record=EvidenceRecordFactory(group=group))
            # A shared copy with a translator, a tag and institutions: what the disclosure policy reads per row.
            shared = EvidenceRecordFactory(status="verified", shared_with_everyone=True)
            CitationFactory(record=shared, source=SourceFactory(group=shared.group), translator="Li Wei")
            shared.tags.add(Tag.objects.create(group=shared.group, name="theirs"))
            for added_by_group in (None, shared.group):
                RecordInstitution.objects.create(
                    record=shared, institution=InstitutionFactory(added_by_group=added_by_group))

    add(2)
    few = count_queries(lambda: api.get(reverse(url_name)))
    add(20)
    many = count_queries(lambda: api.get(reverse(url_name)))
    assert few == many


class TestSearch:
    @pytest.fixture
    def records(self, group, institutions):
        hik = institutions[0]
        hik.aliases = ["海康威视"]
        hik.save()
        classroom = EvidenceRecordFactory(group=group, title="Smart classroom in Hangzhou", kind="deployment")
        classroom.institution_links.create(institution=hik, role="vendor")
        prison = EvidenceRecordFactory(group=group, title="Prison cameras", summary="Detention centres",
                                       kind="product_claim")
        CitationFactory(record=prison, excerpt="情绪识别系统", translation="emotion recognition system",
                        source=SourceFactory(group=group, title="Procurement notice 2019"))
        return {"classroom": classroom, "prison": prison}

    @pytest.mark.parametrize("query, expected", [
        ("classroom", ["classroom"]), ("情绪识别", ["prison"]), ("emotion recognition", ["prison"]),
        ("procurement", ["prison"]), ("海康", ["classroom"]), ("HIKVISION", ["classroom"]),
        ("cameras prison", ["prison"]), ("nothing-like-this", []),
    ])
    def test_it_searches_titles_excerpts_translations_sources_and_institutions(self, api_for, viewer, records,
                                                                              query, expected):
        response = api_for(viewer).get(reverse("api:evidence-list"), {"q": query})
        assert sorted(r["id"] for r in response.json()["results"]) == sorted(records[k].pk for k in expected)

    def test_it_filters_by_kind_institution_and_date(self, api_for, viewer, records):
        from datetime import date

        EvidenceRecord.objects.filter(pk=records["prison"].pk).update(event_start=date(2019, 3, 1))
        api = api_for(viewer)
        ids = lambda params: [r["id"] for r in api.get(reverse("api:evidence-list"), params).json()["results"]]  # noqa: E731
        assert ids({"kind": "deployment"}) == [records["classroom"].pk]
        assert ids({"institution": "hikvision"}) == [records["classroom"].pk]
        assert ids({"happened_after": "2019-01-01"}) == [records["prison"].pk]
        assert ids({"happened_before": "2018-12-31"}) == []
        assert ids({"institution": "no-such-institution"}) == []


def test_it_filters_only_by_an_institution_the_user_may_see(api_for, viewer, outsider, group, other_group):
    from evidence.models import Institution

    ours = Institution.objects.create(slug="alpha-only-vendor", name="Alpha-only vendor", kind="company",
                                      added_by_group=group)
    record = EvidenceRecordFactory(group=group, status="verified", shared_with_everyone=True)
    record.institution_links.create(institution=ours, role="vendor")
    listed = lambda api: [r["id"] for r in api.get(reverse("api:evidence-list"),  # noqa: E731
                                                  {"institution": ours.slug}).json()["results"]]
    assert listed(api_for(viewer)) == [record.pk]
    # The services refuse to share a record naming a group's own institution; were one shared anyway, another
    # group's member could not find it by the name of an institution kept from them.
    assert listed(api_for(outsider)) == []


def test_a_shared_copy_is_not_found_by_its_protected_source_or_its_tags(api_for, outsider, group):
    record = EvidenceRecordFactory(group=group, status="verified", shared_with_everyone=True, title="Station")
    CitationFactory(record=record, excerpt="张三 was detained",
                    source=SourceFactory(group=group, title="Informant notes", protected=True))
    record.tags.create(group=group, name="informant-zhang")
    api = api_for(outsider)
    listed = lambda params: api.get(reverse("api:evidence-list"), params).json()["count"]  # noqa: E731
    assert listed({}) == 1
    assert listed({"q": "张三"}) == 0 and listed({"q": "Informant"}) == 0
    assert listed({"tag": "informant-zhang"}) == 0
    body = api.get(reverse("api:evidence-detail", args=[record.pk])).json()
    assert body["tags"] == [] and body["citations"] == []
