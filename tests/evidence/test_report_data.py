import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from evidence.models import Institution, Recommendation, Relationship, Report, Right, Sector
from evidence.report_data import BUNDLED_REPORT

pytestmark = pytest.mark.django_db

BUNDLED = json.loads(BUNDLED_REPORT.read_text())

TABLE_1 = ["Alpha Hawkeye", "CM Cross", "EmoKit", "Joyware", "NuraLogix", "Miaodong", "Sage Data",
           "Shenzhen Anshibao", "Taigusys Computing", "Xinktech", "ZNV Liwei"]
TABLE_2 = ["EF Children's English", "Hanwang Education", "Haifeng Education", "Hikvision", "Lenovo", "Meezao",
           "New Oriental", "Tomorrow Advancing Life (TAL)", "VIPKID", "VTron Group", "Taigusys Computing"]
DRIVING = ["LeEco", "Great Wall Motors", "Chang'an Automobiles", "AIWAYS", "Ping An Group", "Huawei"]


def load(*args):
    call_command("load_report", *args, stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))


def write(tmp_path, data, name="report.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def snapshot():
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Report, Recommendation, Sector, Right, Institution, Relationship)
    }


def test_it_loads_the_bundled_report():
    load()
    report = Report.objects.get(slug="emotional-entanglement")
    assert report.publisher == "ARTICLE 19"
    assert "CC-BY-NC-SA-2.5" in report.credit and "ARTICLE 19" in report.credit
    assert (Recommendation.objects.count(), Sector.objects.count(), Right.objects.count()) == (7, 3, 6)
    assert (Institution.objects.count(), Relationship.objects.count()) == (105, 29)


@pytest.mark.parametrize("names, sector", [(TABLE_1, "public-security"), (TABLE_2, "education"),
                                           (DRIVING, "driving-safety")])
def test_every_company_of_the_reports_tables_is_in_the_directory_with_its_sector(names, sector):
    load()
    for name in names:
        institution = Institution.objects.get(name=name)
        assert institution.kind == "company"
        assert institution.investigated
        assert sector in set(institution.sectors.values_list("slug", flat=True)), name
    assert Institution.objects.filter(investigated=True).count() == 27


def test_every_recommendation_is_under_its_addressee():
    load()
    expected = {(r["id"], r["addressee"], r["ask"]) for r in BUNDLED["recommendations"]}
    assert set(Recommendation.objects.values_list("code", "addressee", "ask")) == expected
    assert set(Recommendation.objects.values_list("addressee", flat=True)) == {
        "Chinese Government", "International Community", "Private Companies", "Civil Society and Academia"}
    assert list(Recommendation.objects.values_list("code", flat=True)) == [r["id"] for r in BUNDLED["recommendations"]]


def test_loading_twice_changes_nothing(capsys):
    load()
    before = {i.slug: (i.updated_at, sorted(i.sectors.values_list("slug", flat=True)))
              for i in Institution.objects.all()}
    rows = snapshot()
    call_command("load_report")
    assert "nothing changed" in capsys.readouterr().out
    assert snapshot() == rows
    assert {i.slug: (i.updated_at, sorted(i.sectors.values_list("slug", flat=True)))
            for i in Institution.objects.all()} == before


def test_a_changed_file_updates_only_what_changed(tmp_path, capsys):
    load()
    data = copy.deepcopy(BUNDLED)
    data["institutions"][0]["summary"] = "A corrected summary."
    data["institutions"][1]["sectors"] = ["education"]
    call_command("load_report", write(tmp_path, data, "emotional-entanglement.json"))
    assert "institutions: 0 created, 2 updated" in capsys.readouterr().out
    assert Institution.objects.get(slug=data["institutions"][0]["id"]).summary == "A corrected summary."
    assert list(Institution.objects.get(slug=data["institutions"][1]["id"]).sectors.values_list("slug", flat=True)) \
        == ["education"]


def test_a_partly_invalid_file_names_every_problem_and_imports_nothing(tmp_path, capsys):
    data = copy.deepcopy(BUNDLED)
    data["institutions"][3]["kind"] = "corporation"
    data["institutions"][4]["sectors"] = ["space"]
    data["relationships"][0]["to"] = "nobody"
    data["recommendations"][2].pop("ask")
    data["rights"].append(dict(data["rights"][0]))
    with pytest.raises(CommandError, match="5 problem"):
        call_command("load_report", write(tmp_path, data))
    errors = capsys.readouterr().err
    assert f'institutions[3] (id "{data["institutions"][3]["id"]}").kind' in errors
    assert f'institutions[4] (id "{data["institutions"][4]["id"]}").sectors: unknown sector "space"' in errors
    assert 'relationships[0] (id "rel-01").to: unknown institution "nobody"' in errors
    assert "recommendations[2]" in errors and "'ask' is a required property" in errors
    assert "rights[6]" in errors and "id already used by rights[0]" in errors
    assert all(not ids for ids in snapshot().values())


def test_an_invalid_file_leaves_earlier_data_untouched(tmp_path):
    load()
    rows = snapshot()
    data = copy.deepcopy(BUNDLED)
    data["institutions"][0]["name"] = "Renamed"
    data["institutions"][1]["kind"] = "bogus"
    with pytest.raises(CommandError):
        load(write(tmp_path, data, "emotional-entanglement.json"))
    assert snapshot() == rows
    assert Institution.objects.get(slug=data["institutions"][0]["id"]).name == BUNDLED["institutions"][0]["name"]


@pytest.mark.parametrize("content, message", [("{not json", "not valid JSON"), ("[]", "must be a JSON object"),
                                              ('{"source": {}}', "problem")])
def test_malformed_files_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    stderr = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("load_report", str(path), stderr=stderr)
    assert message in str(error.value) + stderr.getvalue()
    assert not Institution.objects.exists() and not Report.objects.exists()


def test_a_missing_file_is_reported():
    with pytest.raises(CommandError, match="No such file"):
        load("/nonexistent/report.json")


def test_links_and_reserved_ids_are_checked_at_import(tmp_path, capsys):
    data = copy.deepcopy(BUNDLED)
    data["institutions"][0]["website"] = "javascript:alert(1)"
    data["institutions"][1]["id"] = "new"
    with pytest.raises(CommandError):
        call_command("load_report", write(tmp_path, data))
    errors = capsys.readouterr().err
    assert "institutions[0]" in errors and ".website" in errors
    assert 'institutions[1] (id "new").id: this id is reserved' in errors
    assert not Institution.objects.exists()


class TestReportFacts:
    def test_it_loads_the_reports_evidence_into_a_group_once(self, group, other_group, capsys):
        from evidence.models import EvidenceRecord

        load()
        call_command("load_report_evidence", group.slug)
        assert "80 evidence record(s)" in capsys.readouterr().out
        records = EvidenceRecord.objects.filter(group=group)
        assert records.count() == 80
        assert set(records.values_list("status", flat=True)) == {"draft"}
        fact = next(f for f in BUNDLED["evidence"] if f["institutions"] and f["page"] and f["date"])
        record = records.get(report_fact=fact["id"])
        assert sorted(record.institutions.values_list("slug", flat=True)) == sorted(set(fact["institutions"]))
        citation = record.citations.get()
        assert citation.locator == f"p. {fact['page']}" and citation.source.kind == "report"
        assert record.event_start.year == int(fact["date"][:4])
        guardian = records.filter(citations__source__publisher="The Guardian").count()
        assert guardian == sum(1 for f in BUNDLED["evidence"] if f["source"] == "guardian")

        call_command("load_report_evidence", group.slug)
        assert "already has every evidence record" in capsys.readouterr().out
        assert records.count() == 80
        assert not EvidenceRecord.objects.filter(group=other_group).exists()

    def test_it_needs_the_report_loaded_first(self, group):
        with pytest.raises(CommandError, match="run load_report first"):
            call_command("load_report_evidence", group.slug)

    def test_an_unknown_group_is_refused(self):
        with pytest.raises(CommandError, match="No group"):
            call_command("load_report_evidence", "nobody")
