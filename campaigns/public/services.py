"""
Publishing a campaign on the public scoreboard, and taking it off. Coordinators only (Action.PUBLISH): the world
then reads the campaign's summary, its targets and where each stands, which cannot be taken back once read.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import record_change
from accounts.permissions import Action, ensure_can
from campaigns.models import Campaign


def _locked(campaign):
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def publish_campaign(campaign, *, actor):
    """Put `campaign` on the public scoreboard. It needs a public summary: the page says what the group says."""
    campaign = _locked(campaign)
    ensure_can(actor, Action.PUBLISH, campaign.group)
    if not campaign.public_summary.strip():
        raise ValidationError({"public_summary": _("Write the campaign's public summary before publishing it: it "
                                                   "is what the public page says about the campaign.")})
    if campaign.published_at is None:
        campaign.published_at = timezone.now()
        campaign.save(update_fields=["published_at", "updated_at"])
        record_change(actor=actor, obj=campaign, action="campaign.published", before={"published": False},
                      after={"published": True})
    return campaign


@transaction.atomic
def unpublish_campaign(campaign, *, actor):
    """Take `campaign` off the public scoreboard: its pages answer 404 at once, like a campaign that never was."""
    campaign = _locked(campaign)
    ensure_can(actor, Action.PUBLISH, campaign.group)
    if campaign.published_at is not None:
        campaign.published_at = None
        campaign.save(update_fields=["published_at", "updated_at"])
        record_change(actor=actor, obj=campaign, action="campaign.unpublished", before={"published": True},
                      after={"published": False})
    return campaign
