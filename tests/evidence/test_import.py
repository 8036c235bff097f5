"""
Importing evidence records from a spreadsheet, as the named actors use it: in "Alpha Watch" alice coordinates,
victor volunteers and vera reads; bob coordinates "Beta Rights". Every row is shown with its problems before
anything is saved; the uploaded file never outlives the import, and another group's import is out of reach.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from evidence.imports import parsing
from evidence.imports.parsing import Table, read_table
from evidence.imports.preview import Lookups, check_row, check_table
from evidence.imports.saving import import_rows
from evidence.imports.uploads import delete_stale_uploads, load_upload, store_upload
from evidence.models import Citation, EvidenceRecord, Institution, Sector, Source
from evidence.services import records
from tests.conftest import stored_names
from tests.factories import InstitutionFactory, SourceFactory

pytestmark = pytest.mark.django_db

EXCERPT_ZH = "情绪识别"
HEADER = "title,summary,kind,institutions,tags,source_title,source_url,excerpt,event_start,event_end"
VALID_ROWS = [
    'Classroom cameras in Hangzhou,Cameras score pupils\' attention.,deployment,"hikvision:vendor; Hangzhou No. 11 '
    'Middle School:deployer",schools; 杭州,Smart classrooms,https://news.example.org/classroom,"学生",2018-05,2018',
    "Tender for emotion cameras,A bureau buys cameras.,procurement,hikvision,tender,Smart classrooms,"
    "https://www.news.example.org/classroom/,,2019,",
    "Vendor brochure,The brochure claims to read moods.,Product claim,Hikvision:vendor,brochure; schools,"
    "Smart classrooms,news.example.org/classroom,,,",
]
INVALID_ROW = "Broken row,,sorcery,nobody-knows-this:vendor,,,,,2019-13-01,2018"


@pytest.fixture(autouse=True)
def private_storage(own_private_storage):
    """Uploads wait in storage of this test's own, so the test can see that none is left behind."""
    return own_private_storage


@pytest.fixture
def institutions(db):
    return [InstitutionFactory(slug="hikvision", name="Hikvision"),
            InstitutionFactory(slug="hangzhou-no-11", name="Hangzhou No. 11 Middle School")]


def stored_files(private_storage):
    return stored_names(private_storage, "imports")


def csv_file(*rows, header=HEADER, name="evidence.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, "\n".join([header, *rows]).encode(encoding), content_type="text/csv")


def xlsx_file(*rows, header=HEADER, name="evidence.xlsx"):
    import csv

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for cells in csv.reader(io.StringIO("\n".join([header, *rows]))):
        sheet.append(cells)
    content = io.BytesIO()
    workbook.save(content)
    return SimpleUploadedFile(name, content.getvalue(),
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def upload(client, file, group):
    return client.post(reverse("evidence-import"), {"file": file, "group": group.pk})


def confirm(client, token, action):
    return client.post(reverse("evidence-import-confirm", args=[token]), {"action": action})


#
# Preview, then import
#


def test_it_previews_a_csv_and_saves_nothing_until_confirmed(client_for, coordinator, group, institutions,
                                                             private_storage):
    client = client_for(coordinator)
    response = upload(client, csv_file(*VALID_ROWS), group)

    assert response.status_code == 200
    preview, token = response.context["preview"], response.context["token"]
    assert [row.number for row in preview.valid_rows] == [2, 3, 4]
    assert preview.invalid_rows == []
    assert b"3 ready to import" in response.content and b"0 with errors" in response.content
    assert b'value="import_all"' in response.content
    assert EvidenceRecord.objects.count() == 0 and Source.objects.count() == 0
    assert len(stored_files(private_storage)) == 1

    response = confirm(client, token, "import_all")

    assert response.status_code == 302 and response["Location"] == reverse("evidence-list")
    assert "3 records imported" in client.get(response["Location"]).content.decode()
    imported = list(EvidenceRecord.objects.filter(group=group).order_by("created_at", "pk"))
    assert [record.title for record in imported] == ["Classroom cameras in Hangzhou", "Tender for emotion cameras",
                                                     "Vendor brochure"]
    first = imported[0]
    assert sorted((link.institution.slug, link.role) for link in first.institution_links.all()) == [
        ("hangzhou-no-11", "deployer"), ("hikvision", "vendor")]
    assert sorted(tag.name for tag in first.tags.all()) == ["schools", "杭州"]
    assert str(first.event_start) == "2018-05-01" and str(first.event_end) == "2018-12-31"
    assert imported[2].kind == "product_claim"
    assert all(record.status == "draft" and record.created_by == coordinator for record in imported)
    # Three spellings of one address are one new source, cited by all three records.
    source = Source.objects.get()
    assert source.group == group and source.title == "Smart classrooms" and source.created_by == coordinator
    assert Citation.objects.filter(source=source).count() == 3
    assert stored_files(private_storage) == []


def test_it_imports_an_xlsx_the_same_way(client_for, volunteer, group, institutions, private_storage):
    client = client_for(volunteer)
    response = upload(client, xlsx_file(*VALID_ROWS), group)

    assert response.status_code == 200
    assert len(response.context["preview"].valid_rows) == 3
    assert EvidenceRecord.objects.count() == 0

    response = confirm(client, response.context["token"], "import_all")

    assert response.status_code == 302
    assert EvidenceRecord.objects.filter(group=group, created_by=volunteer).count() == 3
    assert Source.objects.filter(group=group).count() == 1
    assert Citation.objects.count() == 3
    assert stored_files(private_storage) == []


def test_it_reads_dates_and_numbers_from_xlsx_cells(client_for, coordinator, group, institutions):
    import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Title", "Summary", "Kind", "Event_Start", "Protected"])
    workbook.active.append(["Dated", "A dated cell.", "policy", datetime.datetime(2020, 3, 4), True])
    workbook.active.append(["A year", "A year typed as a number.", "policy", 2019, 0])
    content = io.BytesIO()
    workbook.save(content)

    response = upload(client_for(coordinator), SimpleUploadedFile("dates.xlsx", content.getvalue()), group)

    rows = response.context["preview"].rows
    assert [row.errors for row in rows] == [[], []]
    assert str(rows[0].values["event_start"]) == "2020-03-04" and rows[0].values["protected"] is True
    assert str(rows[1].values["event_start"]) == "2019-01-01" and rows[1].values["protected"] is False


def test_it_shows_a_rows_errors_with_its_number_and_column(client_for, coordinator, group, institutions):
    response = upload(client_for(coordinator), csv_file(VALID_ROWS[0], INVALID_ROW), group)

    assert response.status_code == 200
    preview = response.context["preview"]
    (row,) = preview.invalid_rows
    assert row.number == 3
    assert any(error.startswith("summary: missing") for error in row.errors)
    assert any(error.startswith("kind: unknown kind “sorcery”") for error in row.errors)
    assert any(error.startswith("institutions: “nobody-knows-this” is not in the directory") for error in row.errors)
    assert any(error.startswith("event_start: “2019-13-01” is not a date") for error in row.errors)
    body = response.content.decode()
    assert 'id="import-row-3" class="has-error"' in body
    assert "kind: unknown kind “sorcery”" in body
    assert "1 ready to import" in body and "1 with errors" in body
    assert 'value="import_all"' not in body and 'value="import_valid"' in body
    assert EvidenceRecord.objects.count() == 0


@pytest.mark.parametrize(("cells", "message"), [
    ({"title": "x" * 301}, "title: too long (301 characters; at most 300)."),
    ({"event_start": "2019-05-02", "event_end": "2019-05-01"}, "event_end: the end comes before the start."),
    ({"event_end": "2019"}, "event_end: given without event_start"),
    ({"protected": "maybe"}, "protected: “maybe” is not yes or no."),
    ({"sector": "astrology"}, "sector: “astrology” is not in the list of sectors."),
    ({"institutions": "hikvision:owner"}, "institutions: unknown role “owner” for hikvision"),
    ({"source_url": "https://example.org/new"}, "source_title: missing; your group has no source at this address"),
    ({"excerpt": "Orphan quote"}, "source_title: missing; an excerpt needs the source"),
    ({"source_title": "S", "source_url": "http://exa mple"}, "source_url: "),
    ({"tags": "t" * 61}, "tags: "),
])
def test_it_names_the_column_of_each_problem(group, institutions, cells, message):
    values = {"title": "A title", "summary": "A summary", "kind": "policy", **cells}
    row = check_row(2, values, Lookups(group))
    assert any(error.startswith(message) for error in row.errors), row.errors


def test_it_refuses_import_all_while_a_row_is_invalid(client_for, coordinator, group, institutions, private_storage):
    client = client_for(coordinator)
    token = upload(client, csv_file(VALID_ROWS[0], INVALID_ROW), group).context["token"]

    response = confirm(client, token, "import_all")

    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert EvidenceRecord.objects.count() == 0 and Source.objects.count() == 0
    assert stored_files(private_storage) == []
    # The token is spent: the file is gone, so it cannot be tried again.
    assert confirm(client, token, "import_valid").status_code == 404


def test_it_imports_only_the_valid_rows(client_for, coordinator, group, institutions, private_storage):
    client = client_for(coordinator)
    token = upload(client, csv_file(VALID_ROWS[0], INVALID_ROW, VALID_ROWS[1]), group).context["token"]

    response = confirm(client, token, "import_valid")

    assert response.status_code == 302
    assert "2 records imported" in client.get(response["Location"]).content.decode()
    assert sorted(EvidenceRecord.objects.values_list("title", flat=True)) == [
        "Classroom cameras in Hangzhou", "Tender for emotion cameras"]
    assert stored_files(private_storage) == []


def test_it_checks_the_rows_again_when_importing(client_for, coordinator, group, institutions, private_storage):
    client = client_for(coordinator)
    token = upload(client, csv_file(VALID_ROWS[1]), group).context["token"]
    Institution.objects.filter(slug="hikvision").delete()  # the directory changed since the preview

    response = confirm(client, token, "import_all")

    assert response.status_code == 400
    assert "is not in the directory" in response.content.decode()
    assert EvidenceRecord.objects.count() == 0
    assert stored_files(private_storage) == []


def test_it_cancels_and_removes_the_stored_file(client_for, coordinator, group, institutions, private_storage):
    client = client_for(coordinator)
    token = upload(client, csv_file(*VALID_ROWS), group).context["token"]
    assert len(stored_files(private_storage)) == 1

    response = confirm(client, token, "cancel")

    assert response.status_code == 302 and response["Location"] == reverse("evidence-import")
    assert EvidenceRecord.objects.count() == 0 and Source.objects.count() == 0
    assert stored_files(private_storage) == []
    assert "evidence_imports" not in client.session or token not in client.session["evidence_imports"]


def test_it_keeps_only_a_few_previews_per_session(client_for, coordinator, group, institutions, private_storage):
    client = client_for(coordinator)
    tokens = [upload(client, csv_file(VALID_ROWS[0]), group).context["token"] for _ in range(5)]

    assert len(stored_files(private_storage)) == 3
    assert confirm(client, tokens[0], "cancel").status_code == 404
    assert confirm(client, tokens[-1], "cancel").status_code == 302


def test_it_removes_stale_uploads(private_storage):
    import datetime

    name = store_upload(b"title,summary,kind\n", "csv")
    assert delete_stale_uploads(max_age=datetime.timedelta(days=1)) == 0
    assert delete_stale_uploads(max_age=datetime.timedelta(seconds=-1)) == 1
    assert load_upload(name) is None


#
# Refused files
#


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("evidence.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "neither a CSV file nor an Excel"),
    ("evidence.csv", bytes(range(256)) * 4, "neither a CSV file nor an Excel"),
    ("evidence.xlsx", b"PK\x03\x04 not really a zip", "damaged"),
    ("evidence.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old Excel .xls file"),
    ("evidence.csv", "title,summary,kind\n情绪识别,摘要,policy\n".encode("gb18030"), "not in UTF-8"),
    ("evidence.csv", b"", "empty"),
    ("evidence.csv", b"\n\nfoo,bar\n", "first row must be a header"),
    ("evidence.csv", b"title,summary,kind\n", "no records below it"),
])
def test_it_refuses_a_file_that_is_not_a_usable_spreadsheet(client_for, coordinator, group, private_storage,
                                                            name, content, reason):
    response = upload(client_for(coordinator), SimpleUploadedFile(name, content), group)

    assert response.status_code == 400
    assert reason in response.content.decode()
    assert stored_files(private_storage) == []


def test_it_refuses_a_file_missing_a_required_column(client_for, coordinator, group, private_storage):
    response = upload(client_for(coordinator), csv_file("A title,A summary", header="title,summary"), group)

    assert response.status_code == 400
    assert "The header row has no kind column" in response.content.decode()
    assert stored_files(private_storage) == []


def test_it_refuses_more_than_the_row_limit(client_for, coordinator, group, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    rows = [f"Record {n},A summary,policy" for n in range(4)]

    response = upload(client_for(coordinator), csv_file(*rows, header="title,summary,kind"), group)

    assert response.status_code == 400
    assert "more than 3 rows" in response.content.decode()


def test_it_reads_semicolons_a_byte_order_mark_and_any_header_case(client_for, coordinator, group, institutions):
    content = "\ufeffTitle;SUMMARY;Kind;Notes\r\nA title;A summary;policy;ignored\r\n;;;\r\n".encode()

    response = upload(client_for(coordinator), SimpleUploadedFile("excel.csv", content), group)

    preview = response.context["preview"]
    assert [(row.number, row.title, row.errors) for row in preview.rows] == [(2, "A title", [])]
    assert preview.ignored_columns == ["notes"]


def test_it_reads_a_sector_by_name_or_slug(group):
    Sector.objects.create(slug="education", name="Education")
    lookups = Lookups(group)
    for typed in ["education", "EDUCATION", "Education"]:
        row = check_row(2, {"title": "T", "summary": "S", "kind": "policy", "sector": typed}, lookups)
        assert row.errors == [] and row.values["sector"].slug == "education"


#
# Sources
#


def test_it_reuses_the_groups_source_but_never_another_groups(client_for, coordinator, group, other_group,
                                                              institutions):
    own = SourceFactory(group=group, title="Our copy", url="https://news.example.org/classroom")
    SourceFactory(group=other_group, title="Beta private dossier", url="https://news.example.org/other")
    SourceFactory(group=other_group, title="Only Beta has this", url="")
    rows = [
        "One,S,policy,,,,http://news.example.org/classroom/,",
        "Two,S,policy,,,,https://news.example.org/other,",
        "Three,S,policy,,,Only Beta has this,,",
    ]
    client = client_for(coordinator)
    response = upload(client, csv_file(*rows), group)
    preview = response.context["preview"]
    assert preview.rows[0].source == own
    assert preview.rows[1].errors and preview.rows[1].source is None  # Beta's source is not Alpha's to reuse
    assert preview.rows[2].source_is_new
    assert b"Beta private dossier" not in response.content

    confirm(client, response.context["token"], "import_valid")

    assert Citation.objects.get(record__title="One").source == own
    new_source = Citation.objects.get(record__title="Three").source
    assert new_source.group == group and new_source.url == ""


def test_it_protects_a_new_source_cited_by_a_protected_record(coordinator, group):
    table = Table(format="csv", columns=[], ignored_columns=[], rows=[
        (2, {"title": "Open", "summary": "S", "kind": "policy", "source_title": "Witness notes"}),
        (3, {"title": "Closed", "summary": "S", "kind": "policy", "source_title": "Witness notes",
             "protected": "yes"}),
    ])
    preview = check_table(table, group)

    import_rows(group, coordinator, preview.rows)

    assert Source.objects.get().protected is True
    assert EvidenceRecord.objects.get(title="Closed").protected is True


def test_it_saves_nothing_if_one_row_fails_while_importing(coordinator, group, institutions):
    preview = check_table(read_table(csv_file(*VALID_ROWS).read()), group)
    preview.rows[2].values["kind"] = "sorcery"  # the model refuses what the preview let through

    with pytest.raises(records.ValidationError, match="Row 4"):
        import_rows(group, coordinator, preview.rows)
    assert EvidenceRecord.objects.count() == 0 and Source.objects.count() == 0


def test_it_saves_nothing_if_the_last_statement_fails(coordinator, group, institutions, monkeypatch):
    from django.db import IntegrityError

    from accounts.models import AuditEntry

    preview = check_table(read_table(csv_file(*VALID_ROWS).read()), group)

    def refuse(*args, **kwargs):
        raise IntegrityError("The history could not be written.")

    # The history rows go in last, after every record, source, citation, link and tag.
    monkeypatch.setattr(AuditEntry.objects, "bulk_create", refuse)

    with pytest.raises(IntegrityError):
        import_rows(group, coordinator, preview.rows)
    assert not EvidenceRecord.objects.exists() and not Source.objects.exists()
    assert not Citation.objects.exists() and not group.tags.exists()


#
# Who may import
#


def test_it_is_404_for_another_groups_user(client_for, coordinator, outsider, group, institutions, private_storage):
    token = upload(client_for(coordinator), csv_file(*VALID_ROWS), group).context["token"]
    bob = Client()
    bob.force_login(outsider)

    for action in ["import_all", "import_valid", "cancel"]:
        assert confirm(bob, token, action).status_code == 404
    assert EvidenceRecord.objects.count() == 0
    assert len(stored_files(private_storage)) == 1  # still alice's to confirm or cancel


def test_it_forbids_a_viewer(client_for, viewer, group, private_storage):
    client = client_for(viewer)

    assert client.get(reverse("evidence-import")).status_code == 403
    assert upload(client, csv_file(*VALID_ROWS), group).status_code == 403
    assert stored_files(private_storage) == []
    assert EvidenceRecord.objects.count() == 0


def test_it_refuses_a_group_the_user_cannot_log_in(client_for, outsider, group, other_group, private_storage):
    response = upload(client_for(outsider), csv_file(*VALID_ROWS), group)

    assert response.status_code == 400
    assert stored_files(private_storage) == []


def test_it_offers_the_import_link_to_those_who_can_log(client_for, volunteer, viewer):
    assert b"Import from a spreadsheet" in client_for(volunteer).get(reverse("evidence-list")).content
    assert b"Import from a spreadsheet" not in client_for(viewer).get(reverse("evidence-list")).content


def test_it_needs_an_action(client_for, coordinator, group, institutions, private_storage):
    client = client_for(coordinator)
    token = upload(client, csv_file(*VALID_ROWS), group).context["token"]

    assert confirm(client, token, "drop_tables").status_code == 400
    assert len(stored_files(private_storage)) == 1
    assert confirm(client, token, "cancel").status_code == 302


#
# Text
#


def test_it_keeps_chinese_text(client_for, coordinator, group, institutions):
    rows = [f"课堂情绪识别,摄像头给学生打分。,deployment,,杭州; 学校,智慧课堂,https://news.example.cn/a,{EXCERPT_ZH},,"]
    client = client_for(coordinator)
    response = upload(client, csv_file(*rows, name="证据.csv"), group)
    assert "课堂情绪识别" in response.content.decode()

    confirm(client, response.context["token"], "import_all")

    record = EvidenceRecord.objects.get()
    assert record.title == "课堂情绪识别" and record.summary == "摄像头给学生打分。"
    assert record.citations.get().excerpt == EXCERPT_ZH
    assert record.citations.get().source.title == "智慧课堂"
    assert sorted(tag.name for tag in record.tags.all()) == ["学校", "杭州"]


def test_it_reads_full_width_separators(group, institutions):
    values = {"title": "T", "summary": "S", "kind": "policy", "institutions": "hikvision：vendor；hangzhou-no-11",
              "tags": "学校；杭州"}
    row = check_row(2, values, Lookups(group))
    assert row.errors == []
    assert [(i.slug, role) for i, role in row.values["institutions"]] == [("hikvision", "vendor"),
                                                                          ("hangzhou-no-11", "other")]
    assert row.values["tags"] == ["学校", "杭州"]


def test_it_checks_a_file_in_a_fixed_number_of_queries(coordinator, group, institutions, count_queries):
    def check(rows):
        table = read_table(csv_file(*rows).read())
        return count_queries(lambda: check_table(table, group))

    assert check(VALID_ROWS[:1]) == check(VALID_ROWS * 20) <= 3


def test_it_offers_the_form_with_the_active_group(client_for, coordinator, group, other_group):
    from accounts.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=coordinator, group=other_group, role=Role.VOLUNTEER)
    client = client_for(coordinator)
    response = client.get(reverse("evidence-import"))

    assert response.status_code == 200
    assert list(response.context["form"].fields["group"].queryset) == [group, other_group]
    assert response.context["form"]["group"].value() == group.pk
