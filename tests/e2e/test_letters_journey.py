"""
Journey (issue 17): carol (campaigner) writes a letter template (an unknown field is refused with its line first),
generates letters for three targets while the real Celery worker writes them, reviews them, and marks them sent:
three letters logged on the targets, with their PDFs, and the early targets moved to "contacted".
"""

import pytest
from playwright.sync_api import expect

from campaigns.letters.models import LetterBatch
from campaigns.models import Interaction, InteractionAttachment, Target
from tests.factories import (
    CampaignFactory,
    CitationFactory,
    EvidenceRecordFactory,
    InstitutionFactory,
    SourceFactory,
    TargetEvidenceFactory,
    TargetFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.worker]

NAMES = ("Hikvision Journey", "Dahua Journey", "Hanwang Journey")


@pytest.fixture
def campaign(group):
    campaign = CampaignFactory(group=group, title="No emotion recognition in classrooms")
    for name, status in zip(NAMES, ("identified", "researched", "in_dialogue"), strict=True):
        target = TargetFactory(campaign=campaign, status=status, ask=f"{name}: withdraw the cameras.",
                               institution=InstitutionFactory(name=name, slug=name.lower().replace(" ", "-")))
        record = EvidenceRecordFactory(group=group, title=f"Classroom cameras sold by {name}", status="verified")
        CitationFactory(record=record, source=SourceFactory(group=group, title="Hangzhou Daily"))
        TargetEvidenceFactory(target=target, record=record)
    return campaign


def test_a_campaigner_writes_a_template_generates_three_letters_and_marks_them_sent(
        browse, campaigner, campaign, celery_worker_process):
    carol = browse("carol")
    page = carol.sign_in("carol")
    carol.goto(campaign.get_absolute_url())
    carol.follow(page.get_by_role("link", name="Letters", exact=True))
    carol.follow(page.get_by_role("link", name="New letter template"))

    page.fill("#id_name", "First letter")
    page.fill("#id_subject", "Our ask to {{ institution }}")
    page.fill("#id_body", "Dear {{ institution }},\n\n{{ ask }}\n\n{{ signature }}")
    carol.follow(page.get_by_role("button", name="Save"), status=400)
    expect(page.get_by_text("Line 5: “signature” is not a merge field.", exact=False)).to_be_visible()
    page.fill("#id_body", "Dear {{ institution }},\n\n{{ ask }}\n{% for item in evidence %}"
                          "{{ loop.index }}. {{ item.title }} ({{ item.source }})\n{% endfor %}\nYours,")
    carol.follow(page.get_by_role("button", name="Save"))

    carol.follow(page.get_by_role("link", name="Generate letters"))
    for name in NAMES:
        page.get_by_role("checkbox", name=name).check()
    page.fill("#id_sender_name", "Carol, for Alpha Watch")
    carol.follow(page.get_by_role("button", name="Generate letters"))

    # The page polls the batch (HTMX) until the worker has written every letter.
    expect(page.locator("#letters-status [data-status]")).to_have_attribute("data-status", "ready", timeout=90_000)
    carol.audit()
    batch = LetterBatch.objects.get()
    assert batch.letters.count() == 3 and batch.requested_by == campaigner
    for name in NAMES:
        expect(page.locator("#letters-status").get_by_role("link", name=name)).to_be_visible()

    carol.follow(page.get_by_role("button", name="Mark sent"))
    expect(page.get_by_text("3 letters marked sent", exact=False)).to_be_visible()
    interactions = Interaction.objects.filter(target__campaign=campaign, kind="letter", direction="sent")
    assert interactions.count() == 3
    assert InteractionAttachment.objects.filter(interaction__in=interactions).count() == 3
    statuses = dict(Target.objects.filter(campaign=campaign).values_list("institution__name", "status"))
    assert statuses == {NAMES[0]: "contacted", NAMES[1]: "contacted", NAMES[2]: "in_dialogue"}
