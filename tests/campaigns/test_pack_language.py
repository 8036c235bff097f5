"""
A briefing pack in Simplified Chinese has every label in Chinese, not only its headings: statuses, kinds,
priorities, directions, roles, "Briefing:", the scope, and dates written the Chinese way; whatever language the
coordinator who asked for it, or the worker, runs in. The tables keep ISO dates, for spreadsheets.
"""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation

from campaigns.models import BriefingPack, Campaign, Interaction, Target
from campaigns.tasks import build_briefing_pack
from evidence.models import EvidenceRecord, Institution, RecordInstitution
from tests.campaigns.test_packs import build, docx_text, pdf_text, request, unpack

pytestmark = pytest.mark.django_db


def in_chinese(label):
    with translation.override("zh-hans"):
        chinese = str(label)
    assert chinese != str(label), f"{label!r} has no Chinese translation"
    return chinese


@pytest.fixture
def chinese_pack(coordinator, group, pack_campaign, django_capture_on_commit_callbacks, own_private_storage):
    with translation.override("en"):  # the coordinator's pages are in English; the pack is asked for in Chinese
        pack = build(request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks,
                             language="zh-hans"))
    return unpack(pack)[1]


# As words, since the members' own text has some of them ("Letter asking Hikvision ...").
ENGLISH_LABELS = [
    r"Briefing:", r"Campaign:", r"\bIdentified\b", r"\bContacted\b", r"\bMedium\b", r"\bLetter\b(?! asking)",
    r"Sent \(from us\)", r"\bVerified\b", r"\bDeployment\b", r"\bVendor\b", r"\bCompany\b", r"\bActive\b",
]


def chinese_labels(pack_campaign):
    interaction = Interaction.objects.get(target=pack_campaign.hik)
    return [
        "简报：No emotion recognition in classrooms",
        in_chinese(Target.Status.IDENTIFIED.label), in_chinese(Target.Priority.MEDIUM.label),
        in_chinese(Interaction.Kind.LETTER.label), in_chinese(Interaction.Direction.SENT.label),
        in_chinese(EvidenceRecord.Status.VERIFIED.label), in_chinese(EvidenceRecord.Kind.DEPLOYMENT.label),
        in_chinese(RecordInstitution.Role.VENDOR.label), in_chinese(Institution.Kind.COMPANY.label),
        in_chinese(Campaign.Status.ACTIVE.label) if pack_campaign.campaign.status == "active" else "",
        f"{interaction.occurred_on.year}年{interaction.occurred_on.month}月{interaction.occurred_on.day}日",
    ]


@pytest.mark.parametrize("document", ["briefing.docx", "briefing.pdf"])
def test_a_chinese_pack_has_every_label_in_chinese(chinese_pack, pack_campaign, document):
    read = docx_text if document.endswith(".docx") else pdf_text
    text = read(chinese_pack[document])
    # The PDF's text layer may break a line inside a label; compare without white space.
    flat = "".join(text.split())

    for label in chinese_labels(pack_campaign):
        assert "".join(label.split()) in flat, label
    for label in ENGLISH_LABELS:
        assert not re.search(label, text), label
    # The members' own text stays as they wrote it.
    assert "Hikvision Pack Test" in text and "Smart classroom in Hangzhou" in text


def test_its_tables_have_chinese_labels_and_iso_dates(chinese_pack, pack_campaign):
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(chinese_pack["targets.csv"].decode("utf-8-sig")))}
    hik = rows[f"T{pack_campaign.hik.pk}"]

    assert hik["status"] == in_chinese(Target.Status.IDENTIFIED.label)
    assert hik["priority"] == in_chinese(Target.Priority.MEDIUM.label)
    assert hik["last_interaction"] == Interaction.objects.get(target=pack_campaign.hik).occurred_on.isoformat()
    assert hik["institution_zh"] == "海康威视"
    evidence = {row["id"]: row for row in csv.DictReader(
        io.StringIO(chinese_pack["evidence.csv"].decode("utf-8-sig")))}
    vendor = in_chinese(RecordInstitution.Role.VENDOR.label)
    assert evidence[f"E{pack_campaign.ordinary.pk}"]["institutions"] == f"Hikvision Pack Test (海康威视) ({vendor})"


#
# A failed pack's reason, in the language of whoever reads it
#


def test_a_failed_packs_reason_is_shown_in_each_readers_language(client_for, api_for, coordinator, group,
                                                                  pack_campaign, django_capture_on_commit_callbacks):
    pack = request(coordinator, group, pack_campaign.campaign, django_capture_on_commit_callbacks)
    BriefingPack.objects.filter(pk=pack.pk).update(campaign=None)
    with translation.override("en"):  # the worker's language is nobody's
        build_briefing_pack(pack.pk)

    english = client_for(coordinator).get(reverse("pack-detail", args=[pack.pk])).content.decode()
    assert "The campaign of this pack no longer exists." in english
    coordinator.save_language("zh-hans")
    chinese = client_for(coordinator).get(reverse("pack-detail", args=[pack.pk])).content.decode()
    assert "此简报包所属的倡导行动已不存在。" in chinese and "The campaign of this pack" not in chinese
    api = api_for(coordinator).get(reverse("api:pack-detail", args=[pack.pk]))
    assert api.json()["error"] == "此简报包所属的倡导行动已不存在。"
