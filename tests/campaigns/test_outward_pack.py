"""
The outward briefing (issue 17): what a group hands a ministry. Built from a campaign whose data carries a unique
marker in every place that must stay inside the group (member names, drafts, protected records and sources,
owner, next step, tasks, interactions, stance notes, translators, tags, files, another group's shared copy), the
pack's PDF is turned into PNG pages (poppler's pdftoppm) and its text read (pdftotext): no marker, every section.
"""

import csv
import io
import subprocess
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import AuditEntry
from campaigns import services
from campaigns.letterhead import set_letterhead
from campaigns.models import BriefingPack, TargetEvidence
from tests.campaigns.test_packs import build, docx_text, unpack
from tests.conftest import needs_system_program
from tests.factories import (
    AttachmentFactory,
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    InteractionFactory,
    RecommendationFactory,
    SectorFactory,
    SourceFactory,
    StanceChangeFactory,
    TargetEvidenceFactory,
    TargetFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

# Every one of these is somewhere in the group's data and must never be in an outward pack.
MARKERS = {
    "member": "Zqmembername", "owner": "Zqownername", "draft": "Zqdraftrecord", "protected": "Zqprotectedrecord",
    "protected_source": "Zqprotectedsource", "protected_excerpt": "Zqprotectedexcerpt",
    "next_step": "Zqnextstep", "task": "Zqtasktitle", "interaction": "Zqinteraction", "stance": "Zqstancenote",
    "translator": "Zqtranslator", "tag": "Zqtagname", "file": "Zqfilename", "other_group": "Zqbetashared",
    "username": "zqusername",
}
LOGO = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="60" '
        b'height="60" onload="alert(1)"><script>alert(2)</script><circle cx="30" cy="30" r="26" fill="#1f4e79"/>'
        b'<foreignObject><p>hi</p></foreignObject><image xlink:href="https://tracker.example/x.png"/>'
        b'<rect width="10" height="10" fill="url(https://evil.example/#x)"/></svg>')


@pytest.fixture
def outward_case(group, other_group, coordinator, campaigner, volunteer, own_private_storage):
    for user, name in ((coordinator, MARKERS["member"]), (campaigner, MARKERS["owner"])):
        user.last_name = name
        user.save()
    volunteer.username = MARKERS["username"]
    volunteer.save()
    set_letterhead(group, actor=coordinator, contact_line="press@alpha-watch.example · +852 5555 0100",
                   logo=SimpleUploadedFile("logo.svg", LOGO, content_type="image/svg+xml"))

    education = SectorFactory(slug="education-outward", name="Education")
    hikvision = InstitutionFactory(slug="hikvision-outward", name="Hikvision Outward", name_zh="海康威视")
    hikvision.sectors.add(education)
    ministry = InstitutionFactory(slug="moe-outward", name="Ministry of Education Outward")
    recommendation = RecommendationFactory(code="R7", summary="Ban emotion recognition in every school.",
                                           addressee="Ministry of Education")
    campaign = CampaignFactory(group=group, title="Schools without emotion recognition",
                               public_summary="Pupils' feelings are not data.", lead=coordinator)
    campaign.recommendations.add(recommendation)
    hik = TargetFactory(campaign=campaign, institution=hikvision, ask="Withdraw the classroom cameras.",
                        owner=campaigner, next_step=MARKERS["next_step"], next_step_due=date(2026, 1, 5))
    moe = TargetFactory(campaign=campaign, institution=ministry, ask="Suspend the procurement.")
    TaskFactory(campaign=campaign, target=hik, title=MARKERS["task"])
    InteractionFactory(target=hik, summary=MARKERS["interaction"], outcome=MARKERS["interaction"])
    StanceChangeFactory(target=hik, changed_by=coordinator, note=MARKERS["stance"])

    ordinary = EvidenceRecordFactory(group=group, title="Smart classroom in Hangzhou", status="verified",
                                     created_by=volunteer, event_start=date(2023, 4, 2))
    ordinary.institution_links.create(institution=hikvision, role="vendor")
    CitationFactory(record=ordinary, source=SourceFactory(group=group, title="Hangzhou Daily"),
                    excerpt="课堂情绪识别系统已上线", translation="The classroom emotion system is live",
                    translator=MARKERS["translator"])
    CitationFactory(record=ordinary, source=SourceFactory(group=group, title="Procurement portal"), excerpt="")
    CitationFactory(record=ordinary, source=SourceFactory(group=group, title=MARKERS["protected_source"],
                                                          protected=True), excerpt=MARKERS["protected_excerpt"])
    ordinary.tags.create(group=group, name=MARKERS["tag"])
    AttachmentFactory(group=group, record=ordinary, original_name=f"{MARKERS['file']}.txt")
    key = EvidenceRecordFactory(group=group, title="Tender for attention monitoring", status="verified",
                                kind="procurement", event_start=date(2021, 9, 1))
    key.institution_links.create(institution=ministry, role="deployer")
    draft = EvidenceRecordFactory(group=group, title=MARKERS["draft"], status="draft")
    protected = EvidenceRecordFactory(group=group, title=MARKERS["protected"], status="verified", protected=True)
    shared = EvidenceRecordFactory(group=other_group, title=MARKERS["other_group"], status="verified",
                                   shared_with_everyone=True)
    for target, records in ((hik, [ordinary, draft, protected, shared]), (moe, [key])):
        for record in records:
            TargetEvidenceFactory(target=target, record=record, added_by=coordinator)
    services.mark_key_evidence(moe, actor=campaigner, record=key, key=True)
    return campaign


def _outward_pack(coordinator, group, campaign, capture, **options):
    with capture():
        pack = services.request_pack(group, actor=coordinator, scope="campaign", campaign=campaign,
                                     kind="outward", language="en", include_attachments=True, only_verified=False,
                                     redact_protected=False,
                                     executive_summary="We ask the Ministry to suspend every purchase.", **options)
    return build(pack)


@pytest.fixture
def outward_files(coordinator, group, outward_case, django_capture_on_commit_callbacks):
    return unpack(_outward_pack(coordinator, group, outward_case, django_capture_on_commit_callbacks))[1]


def _poppler(tmp_path, pdf):
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    needs_system_program("pdftoppm", "poppler-utils")
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True, timeout=120)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True,
                          timeout=120).stdout
    return sorted(tmp_path.glob("page-*.png")), text


def _without_markers(text, where):
    for name, marker in MARKERS.items():
        assert marker.lower() not in text.lower(), f"{name} ({marker}) leaked into {where}"


def test_the_outward_pdf_has_its_sections_and_nothing_of_the_groups_inside(outward_files, tmp_path):
    pages, text = _poppler(tmp_path, outward_files["briefing.pdf"])

    assert len(pages) >= 5 and all(page.stat().st_size > 1000 for page in pages)  # real pages, drawn
    _without_markers(text, "the PDF")
    flat = " ".join(text.split())
    for expected in ("Alpha Watch", "press@alpha-watch.example", "Executive summary",
                     "We ask the Ministry to suspend every purchase.", "Key findings", "2 verified evidence records",
                     "Education", "Recommendations", "Ban emotion recognition in every school.", "What we ask",
                     "Withdraw the classroom cameras.", "Smart classroom in Hangzhou", "Key evidence",
                     "The classroom emotion system is live", "Index of institutions"):
        assert expected in flat, expected
    # The key evidence comes first; the title is printed once on the cover, not three times.
    evidence = flat[flat.rindex("Evidence E"):]
    assert evidence.index("Tender for attention monitoring") < evidence.index("Smart classroom in Hangzhou")
    needs_system_program("pdftotext", "poppler-utils")
    cover = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-", "-"], input=outward_files["briefing.pdf"],
                           capture_output=True, check=True, timeout=60).stdout.decode()
    assert " ".join(cover.split()).count("Schools without emotion recognition") == 1
    # No link into the site: its pages are the group's.
    assert "/evidence/" not in text and "/targets/" not in text
    # A citation without an excerpt leaves no empty quote behind.
    assert "“”" not in flat and '""' not in flat


def test_the_other_files_of_an_outward_pack_hold_nothing_of_the_groups_inside(outward_files):
    assert not [name for name in outward_files if name.startswith("attachments/")]
    _without_markers(docx_text(outward_files["briefing.docx"]), "the DOCX")
    for name in ("evidence.csv", "targets.csv", "manifest.json"):
        _without_markers(outward_files[name].decode("utf-8-sig"), name)
    for name in ("evidence.xlsx", "targets.xlsx"):
        workbook = load_workbook(io.BytesIO(outward_files[name]))
        cells = " ".join(str(cell.value) for row in workbook.active.iter_rows() for cell in row if cell.value)
        _without_markers(cells, name)
    rows = list(csv.DictReader(io.StringIO(outward_files["evidence.csv"].decode("utf-8-sig"))))
    assert [row["title"] for row in rows] == ["Tender for attention monitoring", "Smart classroom in Hangzhou"]
    assert set(rows[0]) == {"id", "key", "title", "summary", "kind", "event_start", "event_end", "place", "country",
                            "institutions", "sources", "excerpt", "translation"}
    sheet = load_workbook(io.BytesIO(outward_files["evidence.xlsx"])).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Id", "Key evidence", "Title"] and "Translations" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:M{len(rows) + 1}"
    assert sheet.column_dimensions["D"].width == 60


def test_an_outward_pack_in_chinese_takes_its_words_from_the_translations(
        coordinator, group, outward_case, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        pack = services.request_pack(group, actor=coordinator, scope="campaign", campaign=outward_case,
                                     kind="outward", language="zh-hans", executive_summary="请暂停采购。")
    files = unpack(build(pack))[1]
    text = "".join(docx_text(files["briefing.docx"]).split())
    for label in ("内容摘要", "主要发现", "建议", "我们的诉求", "关键证据", "2条已核实的证据记录"):
        assert label in text, label
    assert "Key findings" not in text and "Executive summary" not in text
    sheet = load_workbook(io.BytesIO(files["evidence.xlsx"])).active
    assert [cell.value for cell in sheet[1]][:3] == ["编号", "关键证据", "标题"]


def test_outward_packs_never_carry_drafts_protected_material_or_files_whatever_is_asked(
        coordinator, group, outward_case, django_capture_on_commit_callbacks):
    pack = _outward_pack(coordinator, group, outward_case, django_capture_on_commit_callbacks)
    assert (pack.kind, pack.redact_protected, pack.include_attachments, pack.only_verified) == (
        "outward", True, False, True)
    requested = AuditEntry.objects.get(action="pack.requested", object_id=str(pack.pk))
    assert requested.after["kind"] == "outward"  # the audit row names the kind


def test_the_pack_form_offers_both_kinds_and_the_api_refuses_a_bad_kind(
        client_for, coordinator, group, outward_case, django_capture_on_commit_callbacks):
    client = client_for(coordinator)
    page = client.get(reverse("pack-create-campaign", args=[outward_case.pk])).content.decode()
    assert 'value="outward"' in page and 'name="executive_summary"' in page
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("pack-create-campaign", args=[outward_case.pk]),
                               {"kind": "outward", "executive_summary": "For the ministry.", "only_verified": "on",
                                "language": "en"})
    assert response.status_code == 302
    pack = BriefingPack.objects.get()
    assert pack.kind == "outward" and pack.executive_summary == "For the ministry."
    assert 'data-kind="outward"' in client.get(pack.get_absolute_url()).content.decode()

    url = reverse("api:pack-list")
    bad = client.post(url, {"scope": "campaign", "campaign": outward_case.pk, "kind": "public"},
                      content_type="application/json")
    assert bad.status_code == 400 and "kind" in bad.json()
    with django_capture_on_commit_callbacks():
        good = client.post(url, {"scope": "campaign", "campaign": outward_case.pk, "kind": "outward",
                                 "executive_summary": "Hello."}, content_type="application/json")
    assert good.status_code == 201 and good.json()["kind"] == "outward"


def test_a_campaigner_marks_key_evidence_per_target(client_for, campaigner, viewer, group, outward_case):
    link = TargetEvidence.objects.filter(target__campaign=outward_case, key=False,
                                         record__title="Smart classroom in Hangzhou").get()
    url = reverse("target-evidence-key", args=[link.target_id, link.record_id])
    assert client_for(viewer).post(url, {"key": "on"}).status_code == 403
    assert client_for(campaigner).post(url, {"key": "on"}).status_code == 302
    link.refresh_from_db()
    assert link.key
    assert AuditEntry.objects.filter(action="target.key_evidence_marked").count() == 2
    api = client_for(campaigner).get(reverse("api:target-detail", args=[link.target_id])).json()
    assert api["key_evidence"] == [link.record_id]
    client_for(campaigner).post(url, {})
    link.refresh_from_db()
    assert not link.key


#
# The letterhead
#


def test_an_svg_logo_loses_scripts_handlers_foreign_objects_and_outside_references(group, outward_case):
    group.refresh_from_db()
    with group.logo.open("rb") as handle:
        svg = handle.read().decode()
    assert "<circle" in svg and group.logo_type == "image/svg+xml"
    for gone in ("script", "onload", "foreignObject", "tracker.example", "evil.example", "<image", "alert"):
        assert gone not in svg, gone


def test_a_coordinator_sets_the_letterhead_and_members_see_it(client_for, coordinator, volunteer, group):
    page = reverse("group-letterhead", args=[group.slug])
    png = SimpleUploadedFile("logo.png", _png(), content_type="image/png")
    response = client_for(coordinator).post(page, {"contact_line": "hello@alpha.example", "logo": png})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.contact_line == "hello@alpha.example" and group.logo_type == "image/png"
    logo = client_for(volunteer).get(reverse("group-logo", args=[group.slug]))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert "sandbox" in logo["Content-Security-Policy"]
    assert client_for(volunteer).post(page, {"contact_line": "taken over"}).status_code == 403


def test_a_logo_that_is_neither_png_nor_svg_is_refused_with_a_message(client_for, coordinator, group):
    page = reverse("group-letterhead", args=[group.slug])
    gif = SimpleUploadedFile("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", content_type="image/gif")
    response = client_for(coordinator).post(page, {"contact_line": "kept", "logo": gif})
    assert response.status_code == 400 and "A logo must be a PNG or an SVG image." in response.content.decode()
    broken = SimpleUploadedFile("logo.svg", b"<svg><unclosed", content_type="image/svg+xml")
    response = client_for(coordinator).post(page, {"logo": broken})
    assert response.status_code == 400 and "The SVG file cannot be read" in response.content.decode()
    group.refresh_from_db()
    assert not group.logo and group.contact_line == ""


def _png():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#1f4e79").save(buffer, format="PNG")
    return buffer.getvalue()

