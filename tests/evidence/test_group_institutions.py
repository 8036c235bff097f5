"""
Institutions a group adds for itself: victor (volunteer) names a company the directory lacks while logging
evidence; only Alpha Watch sees it until alice (coordinator) adds it to the shared directory. bob (Beta Rights)
never learns it exists before that, and nobody links another group's institution.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.audit import history_of
from evidence.imports.preview import read_upload
from evidence.models import EvidenceRecord, Institution
from evidence.services import directory, records
from tests.evidence.test_record_views import NEW_SOURCE, record_form
from tests.factories import EvidenceRecordFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hikvision(db):
    return InstitutionFactory(slug="hikvision", name="Hikvision", name_zh="海康威视", aliases=["HIKVISION"])


def new_institution_row(name, *, name_zh="", kind="company", on_duplicate=""):
    return {"institutions-0-new_name": name, "institutions-0-new_name_zh": name_zh, "institutions-0-new_kind": kind,
            "institutions-0-role": "vendor", "institutions-0-on_duplicate": on_duplicate}


def log_record(client, **row):
    return client.post(reverse("evidence-create"), record_form(citations=[NEW_SOURCE], **row))


def test_it_adds_a_new_institution_that_only_the_group_sees(client_for, volunteer, group, outsider, hikvision):
    response = log_record(client_for(volunteer), **new_institution_row("Shenzhen Example Vision", name_zh="示例视觉"))
    assert response.status_code == 302
    record = EvidenceRecord.objects.get()
    institution = Institution.objects.get(name="Shenzhen Example Vision")
    assert institution.added_by_group == group and institution.name_zh == "示例视觉"
    assert list(record.institution_links.values_list("institution__name", "role")) == [
        ("Shenzhen Example Vision", "vendor")]
    assert history_of(institution).get().action == "institution.created"

    page = client_for(volunteer).get(institution.get_absolute_url()).content.decode()
    assert "Only <strong>Alpha Watch</strong> sees this institution" in page
    assert "Add to the shared directory" not in page  # a volunteer does not decide that

    bob = client_for(outsider)
    assert bob.get(institution.get_absolute_url()).status_code == 404
    assert "Example Vision" not in bob.get(reverse("institution-list") + "?q=example").content.decode()


def test_it_holds_back_a_name_that_resembles_an_institution_already_there(client_for, volunteer, hikvision):
    client = client_for(volunteer)
    response = log_record(client, **new_institution_row("Hikvision Digital Technology"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Institutions with a similar name are already there" in page
    assert f'value="{hikvision.pk}"' in page and "Hikvision (海康威视)" in page
    assert not EvidenceRecord.objects.exists() and Institution.objects.count() == 1

    response = log_record(client, **new_institution_row("Hikvision Digital Technology",
                                                        on_duplicate=str(hikvision.pk)))
    assert response.status_code == 302
    assert list(EvidenceRecord.objects.get().institutions.all()) == [hikvision]
    assert Institution.objects.count() == 1


def test_it_creates_the_new_institution_when_the_volunteer_confirms_it_is_different(client_for, volunteer,
                                                                                    hikvision):
    response = log_record(client_for(volunteer), **new_institution_row("海康威视数字技术", on_duplicate="new"))
    assert response.status_code == 302
    assert Institution.objects.filter(name="海康威视数字技术", added_by_group__isnull=False).exists()


def test_it_finds_a_chinese_name_among_the_likely_duplicates(client_for, volunteer, hikvision):
    response = log_record(client_for(volunteer), **new_institution_row("HK Vision", name_zh="海康威视数字技术"))
    assert response.status_code == 400
    assert "Hikvision (海康威视)" in response.content.decode()


def test_it_refuses_a_row_that_both_chooses_and_adds(client_for, volunteer, hikvision):
    row = {**new_institution_row("Another Vision"), "institutions-0-institution": hikvision.pk}
    response = log_record(client_for(volunteer), **row)
    assert response.status_code == 400
    assert "Either choose an institution from the list or add a new one, not both." in response.content.decode()
    assert not Institution.objects.filter(name="Another Vision").exists()


def test_a_coordinator_adds_it_to_the_shared_directory(client_for, coordinator, volunteer, group, outsider):
    institution = directory.add_group_institution(group, actor=volunteer, name="Example Vision", kind="company")
    assert client_for(volunteer).post(
        reverse("institution-add-to-directory", args=[institution.slug])).status_code == 403
    response = client_for(coordinator).post(reverse("institution-add-to-directory", args=[institution.slug]),
                                            follow=True)
    assert "Example Vision is now in the shared directory." in response.content.decode()
    institution.refresh_from_db()
    assert institution.added_by_group is None
    assert client_for(outsider).get(institution.get_absolute_url()).status_code == 200
    assert history_of(institution).filter(action="institution.published").exists()


@pytest.mark.usefixtures("listed_other_group")
def test_a_record_naming_the_groups_own_institution_is_not_shared_until_it_is_in_the_directory(
        coordinator, volunteer, group, other_group):
    institution = directory.add_group_institution(group, actor=volunteer, name="Example Vision", kind="company")
    record = EvidenceRecordFactory(group=group, status="verified")
    record.institution_links.create(institution=institution, role="vendor")
    with pytest.raises(ValidationError, match="only your group sees \\(Example Vision\\)"):
        records.share_record(record, actor=coordinator, groups=[other_group])
    directory.add_to_directory(institution, actor=coordinator)
    records.share_record(record, actor=coordinator, groups=[other_group])
    assert list(record.shared_with.all()) == [other_group]


def test_no_record_names_another_groups_own_institution(volunteer, group, other_group, outsider):
    betas = directory.add_group_institution(other_group, actor=outsider, name="Beta's lead", kind="company")
    with pytest.raises(ValidationError, match="shared directory's institutions and its own group's"):
        records.create_record(group, actor=volunteer, title="A record", summary="Seen.", kind="deployment",
                              institutions=[(betas, "vendor")])


def test_the_page_does_not_offer_another_groups_institution(client_for, volunteer, other_group, outsider):
    betas = directory.add_group_institution(other_group, actor=outsider, name="Beta's lead", kind="company")
    client = client_for(volunteer)
    assert "Beta&#x27;s lead" not in client.get(reverse("evidence-create")).content.decode()
    response = log_record(client, **{"institutions-0-institution": betas.pk})
    assert response.status_code == 400
    assert not EvidenceRecord.objects.exists()


def test_directory_links_join_only_shared_institutions(coordinator, group, hikvision):
    own = directory.add_group_institution(group, actor=coordinator, name="Example Vision", kind="company")
    with pytest.raises(ValidationError, match="Add both institutions to the shared directory"):
        directory.add_relationship(actor=coordinator, source_institution=hikvision, target_institution=own,
                                  kind="supplies")


#
# The API
#


def test_a_volunteer_adds_an_institution_for_the_group_through_the_api(api_for, volunteer, outsider):
    response = api_for(volunteer).post(reverse("api:institution-list"), {
        "name": "Example Vision", "kind": "company", "only_for_group": "alpha-watch"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["only_for_group"] == "alpha-watch" and body["slug"].startswith("example-vision-")
    assert api_for(outsider).get(reverse("api:institution-detail", args=[body["slug"]])).status_code == 404
    assert body["slug"] not in api_for(outsider).get(reverse("api:institution-list")).content.decode()


@pytest.mark.parametrize("body, status, field", [
    ({"name": "Example Vision", "kind": "company", "slug": "example-vision"}, 403, None),
    ({"name": "Example Vision", "kind": "company", "only_for_group": "beta-rights"}, 400, "only_for_group"),
    ({"name": "", "kind": "company", "only_for_group": "alpha-watch"}, 400, "name"),
])
def test_the_api_refuses_what_a_volunteer_may_not_add(api_for, volunteer, other_group, body, status, field):
    response = api_for(volunteer).post(reverse("api:institution-list"), body, format="json")
    assert response.status_code == status
    if field:
        assert field in response.json()
    assert not Institution.objects.filter(name="Example Vision").exists()


def test_the_api_adds_to_the_directory_for_the_groups_coordinator_only(api_for, coordinator, volunteer, group):
    institution = directory.add_group_institution(group, actor=volunteer, name="Example Vision", kind="company")
    url = reverse("api:institution-add-to-directory", args=[institution.slug])
    assert api_for(volunteer).post(url).status_code == 403
    response = api_for(coordinator).post(url)
    assert response.status_code == 200 and response.json()["only_for_group"] is None


def test_the_api_does_not_link_a_record_to_another_groups_institution(api_for, volunteer, other_group, outsider):
    betas = directory.add_group_institution(other_group, actor=outsider, name="Beta's lead", kind="company")
    response = api_for(volunteer).post(reverse("api:evidence-list"), {
        "group": "alpha-watch", "title": "A record", "kind": "deployment",
        "institutions": [{"institution": betas.slug, "role": "vendor"}]}, format="json")
    assert response.status_code == 400
    assert "does not exist" in str(response.json()["institutions"])


def test_an_import_names_the_groups_own_institutions_but_never_another_groups(volunteer, group, other_group,
                                                                              outsider):
    directory.add_group_institution(group, actor=volunteer, name="Alpha's lead", kind="company")
    directory.add_group_institution(other_group, actor=outsider, name="Beta's lead", kind="company")
    csv = (b"title,summary,kind,institutions,source_title\n"
           b"Ours,Seen.,deployment,Alpha's lead,A source\n"
           b"Theirs,Seen.,deployment,Beta's lead,A source\n")
    preview = read_upload(csv, group=group)
    ours, theirs = preview.rows
    assert ours.valid, ours.errors
    assert not theirs.valid and "Beta's lead" in " ".join(map(str, theirs.errors))
