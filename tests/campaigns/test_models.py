"""Model-level guarantees: every campaign model is read through visible_to, documented, and dated sensibly."""

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from accounts.scoping import GroupScopedQuerySet, group_of
from tests.factories import AskBatchFactory, CampaignFactory, InteractionAttachmentFactory, TargetEvidenceFactory

pytestmark = pytest.mark.django_db

GROUP_DATA = ["Campaign", "AskBatch", "Target", "TargetEvidence", "Interaction", "StanceChange",
              "InteractionAttachment", "Task"]


def test_every_group_data_model_is_scoped_and_documented(group):
    for name in GROUP_DATA:
        model = apps.get_model("campaigns", name)
        assert isinstance(model.objects.all(), GroupScopedQuerySet), name
        assert model.__doc__ and not model.__doc__.startswith(f"{name}("), name
    for model in apps.get_app_config("campaigns").get_models():
        assert model.__doc__ and not model.__doc__.startswith(f"{model.__name__}("), model


def test_scope_paths_lead_to_the_campaigns_group(group, outsider):
    link = TargetEvidenceFactory(target__campaign=CampaignFactory(group=group))
    attachment = InteractionAttachmentFactory(interaction__target=link.target)
    for obj in [link.target.campaign, link.target, link, attachment.interaction, attachment,
                AskBatchFactory(campaign=link.target.campaign)]:
        assert group_of(obj) == group
        assert not type(obj).objects.visible_to(outsider).exists()


def test_the_database_keeps_dates_in_order(group):
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignFactory(group=group, starts_on="2025-05-01", ends_on="2025-01-01")
    with pytest.raises(IntegrityError), transaction.atomic():
        AskBatchFactory(sent_on="2025-05-01", reply_due="2025-01-01")


def test_the_demo_has_one_realistic_campaign(settings):
    from django.core.management import call_command

    from campaigns.models import Campaign, Interaction, StanceChange

    out = open("/dev/null", "w")
    call_command("load_report", stdout=out)
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=out)  # again: nothing doubles
    campaign = Campaign.objects.get()
    assert campaign.title == "Ban emotion recognition in schools" and campaign.group.slug == "demo-coalition"
    assert {t.institution.slug for t in campaign.targets.all()} == {"hikvision", "hanwang-education"}
    assert set(Interaction.objects.values_list("kind", flat=True)) == {"letter", "reply"}
    reply = Interaction.objects.get(kind="reply")
    assert StanceChange.objects.filter(interaction=reply, to_status="in_dialogue").exists()
    assert campaign.targets.get(institution__slug="hikvision").evidence.exists()
