"""
The evidence record pages, as the named actors use them: in "Alpha Watch" alice coordinates, carol campaigns,
victor volunteers and vera reads; bob coordinates "Beta Rights", another group. Another group's record must
never reach a page unless it was verified and shared, and then without its protected sources or member names.
"""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.audit import history_of
from evidence.models import Attachment, Citation, EvidenceRecord, RecordInstitution, Source, Tag
from evidence.services import records
from tests.factories import (
    AttachmentFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

EXCERPT_ZH = "该系统可以识别学生在课堂上的情绪"

#
# Factories and helpers (tests/factories.py is another engineer's; these stay here)
#


@pytest.fixture
def private_storage(tmp_path, monkeypatch):
    """Attachments go to a temporary folder, not the development media folder."""
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))
    return tmp_path


@pytest.fixture
def hikvision(db):
    return InstitutionFactory(slug="hikvision", name="Hikvision")


def record_form(*, institutions=(), citations=(), **fields):
    """The POST body of the record form, as a browser sends it: every row, filled or not."""
    data = {
        "title": "Classroom cameras in Hangzhou", "summary": "Cameras score pupils' attention.", "kind": "deployment",
        "sector": "", "country": "China", "place": "Hangzhou", "event_start": "2018-05-01", "event_end": "",
        "language": "zh", "tags": "schools, 杭州",
        "institutions-TOTAL_FORMS": "5", "institutions-INITIAL_FORMS": "0",
        "institutions-MIN_NUM_FORMS": "0", "institutions-MAX_NUM_FORMS": "50",
        "citations-TOTAL_FORMS": str(max(len(citations), 2)), "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0", "citations-MAX_NUM_FORMS": "30",
    }
    for i in range(5):
        institution, role = institutions[i] if i < len(institutions) else ("", "other")
        data[f"institutions-{i}-institution"] = getattr(institution, "pk", institution)
        data[f"institutions-{i}-role"] = role
    for i in range(max(len(citations), 2)):
        row = {"source": "", "new_kind": "news", **(citations[i] if i < len(citations) else {})}
        data.update({f"citations-{i}-{name}": value for name, value in row.items()})
    data.update(fields)
    return {key: value for key, value in data.items() if value is not False}


NEW_SOURCE = {"new_title": "杭州第十一中学启用智慧课堂", "new_url": "https://news.example.cn/2018/05/classroom",
              "new_publisher": "Example Daily", "new_published_on": "2018-05-16", "new_language": "zh",
              "excerpt": EXCERPT_ZH, "excerpt_language": "zh", "locator": "para. 3",
              "translation": "The system can recognise pupils' emotions in class.", "translator": "Volunteer team"}


def step(client, record, name, **body):
    return client.post(reverse("evidence-step", args=[record.pk, name]), body)


def page_of(client, record):
    return client.get(record.get_absolute_url()).content.decode()


def verified_record(group, **fields):
    return EvidenceRecordFactory(group=group, status=EvidenceRecord.Status.VERIFIED, **fields)


#
# Logging a record
#


def test_it_lets_a_volunteer_log_a_record_with_a_new_source_and_a_chinese_excerpt(
        client_for, volunteer, group, hikvision):
    client = client_for(volunteer)
    assert client.get(reverse("evidence-create")).status_code == 200

    response = client.post(reverse("evidence-create"),
                           record_form(institutions=[(hikvision, "vendor")], citations=[NEW_SOURCE]))

    record = EvidenceRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == record.get_absolute_url()
    assert record.group == group and record.status == "draft" and record.created_by == volunteer
    source = Source.objects.get()
    assert (source.group, source.created_by, source.title) == (group, volunteer, NEW_SOURCE["new_title"])
    assert record.citations.get().source == source
    assert sorted(record.tags.values_list("name", flat=True)) == ["schools", "杭州"]

    page = client.get(record.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert EXCERPT_ZH in html and '<blockquote lang="zh">' in html
    assert NEW_SOURCE["new_title"] in html and 'href="https://news.example.cn/2018/05/classroom"' in html
    assert "The system can recognise pupils" in html and "Volunteer team" in html
    assert reverse("institution-detail", args=["hikvision"]) in html and "Vendor" in html
    assert "by victor" in html  # the group's own members see who logged it


def test_it_logs_into_the_group_the_person_chooses(client_for, volunteer, group, other_group):
    from tests.factories import GroupFactory, MembershipFactory

    MembershipFactory(user=volunteer, group=other_group, role="volunteer")
    MembershipFactory(user=volunteer, group=GroupFactory(name="Gamma Files", slug="gamma"), role="viewer")
    client = client_for(volunteer)
    page = client.get(reverse("evidence-create")).content.decode()
    assert 'value="beta-rights"' in page and 'value="gamma"' not in page  # only groups they may log in

    url = reverse("evidence-create") + "?group=beta-rights"
    assert client.post(url, record_form(citations=[NEW_SOURCE])).status_code == 302
    assert EvidenceRecord.objects.get().group == other_group
    assert Source.objects.get().group == other_group
    assert client.get(reverse("evidence-create") + "?group=gamma").status_code == 403
    assert client.get(reverse("evidence-create") + "?group=nobody").status_code == 404


def test_it_cites_a_source_the_group_already_entered(client_for, volunteer, group):
    source = SourceFactory(group=group, title="Procurement notice 2019-114")
    response = client_for(volunteer).post(reverse("evidence-create"), record_form(
        citations=[{"source": source.pk, "excerpt": "情绪识别", "excerpt_language": "zh"}]))

    assert response.status_code == 302
    citation = Citation.objects.get()
    assert citation.source == source and citation.excerpt == "情绪识别"
    assert Source.objects.count() == 1


def test_it_holds_a_new_source_at_a_known_address_until_the_person_chooses(client_for, volunteer, group):
    known = SourceFactory(group=group, title="Smart classroom story", url="https://www.news.example.cn/2018/05/classroom/")
    SourceFactory(url="https://news.example.cn/2018/05/classroom")  # another group's copy is none of our business
    client = client_for(volunteer)
    same_page = {**NEW_SOURCE, "new_url": "http://news.example.cn/2018/05/classroom#top"}

    warned = client.post(reverse("evidence-create"), record_form(citations=[same_page]))

    assert warned.status_code == 400
    html = warned.content.decode()
    assert "Your group already has a source at this address" in html
    assert "Smart classroom story" in html and 'value="new"' in html
    assert not EvidenceRecord.objects.exists() and Source.objects.count() == 2

    # Choosing the source already entered cites it and creates nothing new.
    chosen = client.post(reverse("evidence-create"),
                         record_form(citations=[{**same_page, "on_duplicate": known.pk}]))
    assert chosen.status_code == 302
    assert Citation.objects.get().source == known and Source.objects.count() == 2

    # Confirming it is a different source creates it.
    confirmed = client.post(reverse("evidence-create"),
                            record_form(citations=[{**same_page, "on_duplicate": "new"}]))
    assert confirmed.status_code == 302
    assert Source.objects.filter(group=group).count() == 2


def test_it_rejects_invalid_input_with_a_400_and_saves_nothing(client_for, volunteer, group, hikvision):
    client = client_for(volunteer)
    foreign_source = SourceFactory(title="Beta source")
    cases = [
        record_form(title="", citations=[NEW_SOURCE]),
        record_form(event_end="2017-01-01", citations=[NEW_SOURCE]),
        record_form(kind="rumour", citations=[NEW_SOURCE]),
        record_form(citations=[{**NEW_SOURCE, "new_title": ""}]),  # a new source needs a title
        record_form(citations=[{"excerpt": "没有来源的摘录"}]),  # an excerpt needs a source
        record_form(citations=[{**NEW_SOURCE, "source": SourceFactory(group=group).pk}]),  # both at once
        record_form(citations=[{"source": foreign_source.pk}]),  # another group's source is not a choice
        record_form(institutions=[(999999, "vendor")], citations=[NEW_SOURCE]),
    ]
    sources_before = Source.objects.count()
    for data in cases:
        response = client.post(reverse("evidence-create"), data)
        assert response.status_code == 400, data
        assert b"Nothing was saved" in response.content
        assert b"Beta source" not in response.content
    assert not EvidenceRecord.objects.exists()
    assert Source.objects.count() == sources_before


def test_it_creates_no_source_when_the_service_refuses_the_record(client_for, volunteer, monkeypatch):
    def refuse(*args, **kwargs):
        raise ValidationError({"summary": "Refused by the service.", "citations": "Not these citations."})

    monkeypatch.setattr(records, "create_record", refuse)
    response = client_for(volunteer).post(reverse("evidence-create"), record_form(citations=[NEW_SOURCE]))

    assert response.status_code == 400
    assert b"Refused by the service." in response.content and b"Not these citations." in response.content
    assert not Source.objects.exists() and not EvidenceRecord.objects.exists()


def test_it_edits_a_record_with_the_form_prefilled(client_for, volunteer, group, hikvision):
    record = EvidenceRecordFactory(group=group, title="Old title", event_start="2019-01-01", created_by=volunteer)
    RecordInstitution.objects.create(record=record, institution=hikvision, role="deployer")
    citation = CitationFactory(record=record, excerpt="原文摘录")
    dropped = CitationFactory(record=record, excerpt="不再引用")
    record.tags.add(Tag.objects.create(group=group, name="tender"))
    client = client_for(volunteer)

    page = client.get(reverse("evidence-edit", args=[record.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="Old title"' in html and "原文摘录" in html and 'value="tender"' in html
    assert f'<option value="{hikvision.pk}" selected>' in html
    assert 'name="citations-INITIAL_FORMS" value="2"' in html and 'name="citations-1-DELETE"' in html

    data = record_form(title="New title", institutions=[(hikvision, "deployer")],
                       citations=[{"source": citation.source_id, "excerpt": "原文摘录"},
                                  {"source": dropped.source_id, "excerpt": "不再引用", "DELETE": "on"}],
                       **{"citations-INITIAL_FORMS": "2", "institutions-INITIAL_FORMS": "1"})
    response = client.post(reverse("evidence-edit", args=[record.pk]), data)

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.title == "New title" and record.citations.get().excerpt == "原文摘录"
    assert list(record.institution_links.values_list("role", flat=True)) == ["deployer"]
    assert [entry.action for entry in history_of(record)] == ["evidence.updated"]


def test_it_forbids_a_viewer_to_log_edit_or_move_records(client_for, viewer, group):
    record = EvidenceRecordFactory(group=group, status="submitted")
    client = client_for(viewer)

    assert client.get(reverse("evidence-create")).status_code == 403
    assert client.post(reverse("evidence-create"), record_form(citations=[NEW_SOURCE])).status_code == 403
    assert client.get(reverse("evidence-edit", args=[record.pk])).status_code == 403
    assert client.post(reverse("evidence-edit", args=[record.pk]), record_form()).status_code == 403
    for name in ("submit", "verify", "reject", "reopen"):
        assert step(client, record, name, reason="No.").status_code == 403, name
    assert client.post(reverse("evidence-share", args=[record.pk])).status_code == 403
    page = client.get(record.get_absolute_url()).content.decode()
    assert "evidence-step" not in page and reverse("evidence-edit", args=[record.pk]) not in page
    assert not Source.objects.exists() and EvidenceRecord.objects.count() == 1
    assert reverse("evidence-create") not in client.get(reverse("evidence-list")).content.decode()


#
# Submitting, verifying, rejecting, reopening
#


def test_it_keeps_the_submitter_from_verifying_their_own_record(client_for, volunteer, group):
    record = CitationFactory(record__group=group).record
    client = client_for(volunteer)

    assert step(client, record, "submit").status_code == 302
    record.refresh_from_db()
    assert record.status == "submitted" and record.submitted_by == volunteer

    page = client.get(record.get_absolute_url()).content.decode()
    assert reverse("evidence-step", args=[record.pk, "verify"]) not in page
    assert reverse("evidence-step", args=[record.pk, "reject"]) not in page

    response = client.post(reverse("evidence-step", args=[record.pk, "verify"]), follow=True)
    assert response.status_code == 200
    assert "Someone other than the person who submitted it must check it." in response.content.decode()
    record.refresh_from_db()
    assert record.status == "submitted" and record.decided_by is None


def test_it_lets_another_member_verify(client_for, volunteer, coordinator, group):
    record = CitationFactory(record__group=group).record
    records.submit_record(record, actor=volunteer)
    client = client_for(coordinator)

    assert reverse("evidence-step", args=[record.pk, "verify"]) in page_of(client, record)
    response = step(client, record, "verify")

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == "verified" and record.decided_by == coordinator
    page = client.get(record.get_absolute_url()).content.decode()
    assert "Verified by alice" in page and reverse("evidence-edit", args=[record.pk]) not in page


def test_it_needs_a_reason_to_reject(client_for, volunteer, campaigner, group):
    record = CitationFactory(record__group=group).record
    records.submit_record(record, actor=volunteer)
    client = client_for(campaigner)

    response = client.post(reverse("evidence-step", args=[record.pk, "reject"]), {"reason": "  "}, follow=True)
    assert "Say why the record is rejected" in response.content.decode()
    record.refresh_from_db()
    assert record.status == "submitted"

    step(client, record, "reject", reason="The excerpt does not say that.")
    record.refresh_from_db()
    assert record.status == "rejected" and record.decision_reason == "The excerpt does not say that."
    page = client_for(volunteer).get(record.get_absolute_url()).content.decode()
    assert "The excerpt does not say that." in page
    assert reverse("evidence-step", args=[record.pk, "submit"]) in page  # fix it and submit again


def test_it_reopens_a_verified_record(client_for, coordinator, group):
    record = verified_record(group)
    client = client_for(coordinator)

    assert reverse("evidence-step", args=[record.pk, "reopen"]) in page_of(client, record)
    assert client.get(reverse("evidence-edit", args=[record.pk])).status_code == 302  # reopen before editing
    step(client, record, "reopen")

    record.refresh_from_db()
    assert record.status == "draft"
    assert client.get(reverse("evidence-edit", args=[record.pk])).status_code == 200


def test_it_refuses_a_step_from_the_wrong_status_with_a_message(client_for, coordinator, group):
    record = EvidenceRecordFactory(group=group)  # a draft
    response = client_for(coordinator).post(reverse("evidence-step", args=[record.pk, "verify"]), follow=True)
    assert response.status_code == 200 and b"cannot be" in response.content
    assert client_for(coordinator).post(reverse("evidence-step", args=[record.pk, "publish"])).status_code == 404


#
# Sharing, and what another group sees
#


@pytest.mark.usefixtures("listed_other_group")
def test_it_shares_a_record_without_protected_sources_or_member_names(
        client_for, coordinator, volunteer, campaigner, outsider, group, other_group, hikvision):
    record = EvidenceRecordFactory(group=group, title="Emotion cameras at Hangzhou station")
    RecordInstitution.objects.create(record=record, institution=hikvision, role="vendor")
    CitationFactory(record=record, source=SourceFactory(group=group, title="Public tender notice"),
                    excerpt="公开招标公告", translation="Public tender", translator="victor")
    CitationFactory(record=record, source=SourceFactory(group=group, title="Whistleblower memo", protected=True),
                    excerpt="内部人士透露的秘密")
    records.submit_record(record, actor=volunteer)
    records.verify_record(record, actor=campaigner)
    alice = client_for(coordinator)
    assert reverse("evidence-share", args=[record.pk]) in alice.get(record.get_absolute_url()).content.decode()

    response = alice.post(reverse("evidence-share", args=[record.pk]), {"groups": [other_group.pk]})
    assert response.status_code == 302
    assert list(record.shared_with.all()) == [other_group]

    bob = client_for(outsider)
    listing = bob.get(reverse("evidence-list")).content.decode()
    assert "Emotion cameras at Hangzhou station" in listing and "Shared with you" in listing
    page = bob.get(record.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "公开招标公告" in html and "Public tender notice" in html
    assert "Whistleblower memo" not in html and "内部人士透露的秘密" not in html
    for username in ("alice", "carol", "victor"):
        assert username not in html, username
    for route in ("evidence-edit", "evidence-share"):
        assert reverse(route, args=[record.pk]) not in html
    assert f"/evidence/{record.pk}/submit" not in html and "/verify/" not in html and "/reopen/" not in html
    assert 'id="history"' not in html

    assert bob.get(reverse("evidence-edit", args=[record.pk])).status_code in (403, 404)
    assert bob.post(reverse("evidence-edit", args=[record.pk]), record_form()).status_code in (403, 404)
    assert bob.post(reverse("evidence-share", args=[record.pk]), {"everyone": "on"}).status_code in (403, 404)
    for name in ("submit", "verify", "reject", "reopen"):
        assert step(bob, record, name, reason="x").status_code in (403, 404), name
    record.refresh_from_db()
    assert record.status == "verified" and not record.shared_with_everyone


def test_it_does_not_share_a_protected_record(client_for, coordinator, group, other_group):
    record = verified_record(group, protected=True)
    client = client_for(coordinator)
    assert reverse("evidence-share", args=[record.pk]) not in client.get(record.get_absolute_url()).content.decode()

    response = client.post(reverse("evidence-share", args=[record.pk]), {"everyone": "on"}, follow=True)
    assert b"Only verified records that are not protected can be shared." in response.content
    record.refresh_from_db()
    assert not record.shared_with_everyone


def test_it_hides_another_groups_unshared_record(client_for, coordinator, other_group):
    record = CitationFactory(record__group=other_group, record__status="verified",
                             record__title="Beta private record").record
    client = client_for(coordinator)

    assert client.get(record.get_absolute_url()).status_code == 404
    assert client.get(reverse("evidence-edit", args=[record.pk])).status_code == 404
    assert client.post(reverse("evidence-edit", args=[record.pk]), record_form()).status_code == 404
    for name in ("submit", "verify", "reject", "reopen"):
        assert step(client, record, name, reason="x").status_code == 404, name
    assert client.post(reverse("evidence-share", args=[record.pk]), {"everyone": "on"}).status_code == 404
    assert b"Beta private record" not in client.get(reverse("evidence-list")).content
    assert b"Beta private record" not in client.get(reverse("evidence-list"), {"q": "Beta"}).content


def test_it_sends_anonymous_visitors_to_sign_in(client, group):
    record = EvidenceRecordFactory(group=group)
    for url in (reverse("evidence-list"), reverse("evidence-create"), record.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


#
# Files
#


def test_it_lets_members_download_their_groups_files(client_for, viewer, group, private_storage):
    attachment = AttachmentFactory(record__group=group)
    client = client_for(viewer)

    assert reverse("attachment-download", args=[attachment.pk]) in client.get(
        attachment.record.get_absolute_url()).content.decode()
    response = client.get(reverse("attachment-download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Minutes of the procurement meeting."
    assert response["Content-Disposition"] == 'attachment; filename="memo.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_attaches_an_uploaded_file_for_the_group_only(client_for, volunteer, viewer, outsider, group,
                                                        private_storage):
    record = EvidenceRecordFactory(group=group, status="draft", shared_with_everyone=True)
    url = reverse("attachment-upload", args=[record.pk])
    client = client_for(volunteer)
    assert url in client.get(record.get_absolute_url()).content.decode()

    response = client.post(url, {"file": SimpleUploadedFile("../../notes 笔记.txt", "会议记录".encode())}, follow=True)

    attachment = Attachment.objects.get()
    assert attachment.record == record and attachment.uploaded_by == volunteer
    assert attachment.sha256 == hashlib.sha256("会议记录".encode()).hexdigest()
    html = response.content.decode()
    assert "was attached" in html and reverse("attachment-download", args=[attachment.pk]) in html
    assert attachment.sha256 in html

    refused = client.post(url, {"file": SimpleUploadedFile("page.html", b"<html><script>x</script></html>")},
                          follow=True)
    assert b"The file was not attached" in refused.content and Attachment.objects.count() == 1

    assert client_for(viewer).post(url, {"file": SimpleUploadedFile("a.txt", b"text")}).status_code == 403
    EvidenceRecord.objects.filter(pk=record.pk).update(status="verified")  # now bob receives the shared copy
    assert url.encode() not in client.get(record.get_absolute_url()).content  # verified: reopen to add files
    bob = client_for(outsider)
    assert bob.post(url, {"file": SimpleUploadedFile("a.txt", b"text")}).status_code in (403, 404)
    assert url.encode() not in bob.get(record.get_absolute_url()).content
    assert Attachment.objects.count() == 1


def test_it_hides_another_groups_files(client_for, coordinator, other_group, private_storage):
    attachment = AttachmentFactory(record__group=other_group, record__status="verified",
                                   record__shared_with_everyone=True)
    response = client_for(coordinator).get(reverse("attachment-download", args=[attachment.pk]))
    assert response.status_code == 404
    # A shared copy shows the record, never its files.
    page = client_for(coordinator).get(attachment.record.get_absolute_url())
    assert page.status_code == 200
    assert reverse("attachment-download", args=[attachment.pk]).encode() not in page.content


def test_it_links_only_to_web_addresses(client_for, viewer, group):
    # Imported data skips form validation, so a stored address may be anything.
    source = SourceFactory(group=group, title="Odd source", url="javascript:alert(1)",
                           archive_url="https://archive.example.org/x")
    record = CitationFactory(record__group=group, source=source).record
    html = page_of(client_for(viewer), record)
    assert "Odd source" in html and "javascript:" not in html
    assert 'href="https://archive.example.org/x"' in html


#
# The list
#


def test_it_lists_records_with_a_fixed_number_of_queries(client_for, coordinator, group, other_group,
                                                         count_queries, hikvision):
    client = client_for(coordinator)

    def add(n):
        for i in range(n):
            record = EvidenceRecordFactory(group=group if i % 2 else other_group, status="verified",
                                           shared_with_everyone=True)
            RecordInstitution.objects.create(record=record, institution=hikvision, role="vendor")
            record.tags.add(Tag.objects.get_or_create(group=record.group, name=f"tag-{i % 3}")[0])

    add(2)
    client.get(reverse("evidence-list"))
    few = count_queries(lambda: client.get(reverse("evidence-list")))
    add(28)
    many = count_queries(lambda: client.get(reverse("evidence-list")))
    assert few == many, (few, many)
    assert many <= 11


def test_it_finds_a_record_by_its_chinese_excerpt(client_for, volunteer, group):
    wanted = CitationFactory(record__group=group, record__title="Smart classroom",
                             excerpt=EXCERPT_ZH).record
    CitationFactory(record__group=group, record__title="Traffic cameras", excerpt="交通摄像头")
    client = client_for(volunteer)

    html = client.get(reverse("evidence-list"), {"q": "课堂上的情绪"}).content.decode()

    assert wanted.get_absolute_url() in html and "Traffic cameras" not in html
    assert reverse("evidence-create") in client.get(reverse("evidence-list")).content.decode()


def test_it_does_not_find_a_shared_record_by_its_protected_sources(client_for, outsider, group):
    record = verified_record(group, title="Shared station record", shared_with_everyone=True)
    CitationFactory(record=record, source=SourceFactory(group=group, title="Whistleblower memo", protected=True),
                    excerpt="张三举报")
    bob = client_for(outsider)
    assert b"Shared station record" in bob.get(reverse("evidence-list")).content
    for words in ("张三", "Whistleblower"):
        assert b"Shared station record" not in bob.get(reverse("evidence-list"), {"q": words}).content, words


def test_language_fields_are_lists_of_languages_named_in_themselves(client_for, volunteer):
    html = client_for(volunteer).get(reverse("evidence-create")).content.decode()

    for name in ("language", "citations-0-new_language", "citations-0-excerpt_language"):
        field = html.split(f'id="id_{name}"', 1)[1].split("</select>", 1)[0]
        assert '<option value="zh">中文 (zh)</option>' in field, name
        assert '<option value="en">English (en)</option>' in field
        assert '<option value="ug">ئۇيغۇرچە (ug)</option>' in field


def test_a_language_code_outside_the_list_is_kept_on_edit(client_for, volunteer, group):
    record = EvidenceRecordFactory(group=group, language="zh-TW")

    html = client_for(volunteer).get(reverse("evidence-edit", args=[record.pk])).content.decode()

    field = html.split('id="id_language"', 1)[1].split("</select>", 1)[0]
    assert '<option value="zh-TW" selected>zh-TW</option>' in field
