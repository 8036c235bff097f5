"""
The public scoreboard's pages, open to anyone (signed in or not, all read the same): the list of published
campaigns, a campaign's page and its Atom feed; and the coordinators' button that publishes a campaign. Each page
part is built once per campaign, language and cache generation (cache.py), then put in the site's frame, which
holds the per-request parts (the CSRF token of the language switcher, the signed-in person's menu).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import Action
from accounts.scoping import get_for_writer
from campaigns.models import Campaign, Target
from campaigns.public import cache, services
from campaigns.public.scoreboard import FEED_LENGTH, public_changes, published_campaign, published_campaigns, scoreboard

DESCRIPTION_LENGTH = 200


@require_safe
def public_index(request):
    body = cache.cached("index", get_language(), lambda: render_to_string(
        "campaigns/public/index_body.html", {"campaigns": list(published_campaigns())}))
    return render(request, "campaigns/public/index.html", {"body": body})


def _campaign_page(campaign):
    return {
        "title": campaign.title,
        "description": Truncator(campaign.public_summary).chars(DESCRIPTION_LENGTH),
        "body": render_to_string("campaigns/public/campaign_body.html", scoreboard(campaign)),
    }


@require_safe
def public_campaign(request, pk):
    campaign = published_campaign(pk)
    if campaign is None:
        raise Http404("No such campaign.")
    page = cache.cached("campaign", get_language(), lambda: _campaign_page(campaign), pk=campaign.pk)
    return render(request, "campaigns/public/campaign.html", {
        "page": page, "campaign_pk": campaign.pk,
        "page_url": request.build_absolute_uri(reverse("public-campaign", args=[campaign.pk])),
    })


class PublicCampaignFeed(Feed):
    """The campaign's stance changes, newest first, as an Atom feed: what its public page shows, no more."""

    feed_type = Atom1Feed

    def get_object(self, request, pk):
        campaign = published_campaign(pk)
        if campaign is None:
            raise Http404("No such campaign.")
        return campaign

    def title(self, campaign):
        return _("%(campaign)s: where the targets stand") % {"campaign": campaign.title}

    def link(self, campaign):
        return reverse("public-campaign", args=[campaign.pk])

    def subtitle(self, campaign):
        return campaign.public_summary

    def items(self, campaign):
        return public_changes(campaign, newest_first=True, limit=FEED_LENGTH)

    def item_title(self, change):
        return _("%(institution)s: %(from)s → %(to)s") % {
            "institution": change.target.institution.name, "from": Target.Status(change.from_status).label,
            "to": Target.Status(change.to_status).label}

    def item_description(self, change):
        if change.shown is not None:
            return _("Evidence: %(title)s") % {"title": change.shown.record.title}
        if change.justification_withheld:
            return _("The evidence for this change is not public.")
        return ""

    def item_link(self, change):
        return f"{reverse('public-campaign', args=[change.target.campaign_id])}#change-{change.pk}"

    def item_pubdate(self, change):
        return change.changed_at

    def item_updateddate(self, change):
        return change.changed_at


@login_required
@require_POST
def campaign_publish(request, pk):
    """Publish (publish=1) or unpublish (publish=0) a campaign: coordinators only (services.publish_campaign)."""
    campaign = get_for_writer(Campaign.objects.all(), request.user, Action.PUBLISH, pk=pk)
    try:
        if request.POST.get("publish") == "1":
            services.publish_campaign(campaign, actor=request.user)
            messages.success(request, _("The campaign is published: anyone can read its public page."))
        else:
            services.unpublish_campaign(campaign, actor=request.user)
            messages.success(request, _("The campaign is no longer published; its public page is gone."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(campaign)
