from django.urls import include, path

from campaigns.mailbox import views as mailbox_pages
from campaigns.public import views as public_views
from campaigns.views import (
    calendar_feed,
    campaign_pages,
    home_pages,
    letterhead_pages,
    pack_keys,
    pack_pages,
    target_comments,
    target_pages,
    work_pages,
)

urlpatterns = [
    # The personal home: it reads evidence and campaigns, so it lives in the top app (campaigns.views.home_pages).
    path("", home_pages.home, name="home"),
    path("campaigns/", campaign_pages.campaign_list, name="campaign-list"),
    path("campaigns/new/", campaign_pages.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", campaign_pages.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaign_pages.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/publish/", public_views.campaign_publish, name="campaign-publish"),
    path("campaigns/<int:pk>/overdue/", campaign_pages.campaign_overdue, name="campaign-overdue"),
    path("campaigns/<int:pk>/targets/add/", target_pages.target_add, name="target-add"),
    path("campaigns/<int:pk>/tasks/new/", work_pages.task_create, name="task-create"),
    path("targets/<int:pk>/", target_pages.target_detail, name="target-detail"),
    path("targets/<int:pk>/comments/", target_comments.comment_create, name="target-comment-create"),
    path("target-comments/<int:pk>/edit/", target_comments.comment_edit, name="target-comment-edit"),
    path("target-comments/<int:pk>/delete/", target_comments.comment_delete, name="target-comment-delete"),
    path("targets/<int:pk>/edit/", target_pages.target_edit, name="target-edit"),
    path("targets/<int:pk>/advance/", target_pages.target_advance, name="target-advance"),
    path("targets/<int:pk>/interactions/new/", work_pages.interaction_create, name="interaction-create"),
    path("targets/<int:pk>/evidence/", target_pages.target_evidence_link, name="target-evidence-link"),
    path("targets/<int:pk>/evidence/<int:record_pk>/unlink/", target_pages.target_evidence_unlink,
         name="target-evidence-unlink"),
    path("targets/<int:pk>/evidence/<int:record_pk>/key/", target_pages.target_evidence_key,
         name="target-evidence-key"),
    path("groups/<slug:slug>/letterhead/", letterhead_pages.group_letterhead, name="group-letterhead"),
    path("groups/<slug:slug>/letterhead/logo", letterhead_pages.group_logo, name="group-logo"),
    path("batches/<int:pk>/", work_pages.batch_detail, name="batch-detail"),
    path("tasks/<int:pk>/done/", work_pages.task_complete, name="task-complete"),
    path("interaction-files/<int:pk>/download/", work_pages.interaction_attachment_download,
         name="interaction-attachment-download"),
    path("my-work/", work_pages.my_work, name="my-work"),
    path("calendar/<str:key>.ics", calendar_feed.calendar_feed, name="calendar-feed"),
    # Briefing packs
    path("campaigns/<int:pk>/pack/", pack_pages.pack_create_campaign, name="pack-create-campaign"),
    path("targets/<int:pk>/pack/", pack_pages.pack_create_target, name="pack-create-target"),
    path("institutions/<slug:slug>/pack/", pack_pages.pack_create_institution, name="pack-create-institution"),
    path("evidence/pack/", pack_pages.pack_create_search, name="pack-create-search"),
    path("groups/<slug:slug>/packs/", pack_pages.pack_list, name="pack-list"),
    path("packs/verify/", pack_pages.pack_verify, name="pack-verify"),
    path("packs/public-key.pem", pack_keys.public_key, name="pack-public-key"),
    path("packs/public-keys.txt", pack_keys.public_keys, name="pack-public-keys"),
    path("packs/<int:pk>/", pack_pages.pack_detail, name="pack-detail"),
    path("packs/<int:pk>/retry/", pack_pages.pack_retry, name="pack-retry"),
    path("packs/<int:pk>/download/", pack_pages.pack_download, name="pack-download"),
    # The public scoreboard: open to anyone, published campaigns only (campaigns/public/).
    path("public/", public_views.public_index, name="public-index"),
    path("public/campaigns/<int:pk>/", public_views.public_campaign, name="public-campaign"),
    path("public/campaigns/<int:pk>/feed/", public_views.PublicCampaignFeed(), name="public-campaign-feed"),
    # Letters from templates
    path("", include("campaigns.letters.urls")),
    # The group's mailbox and the replies filed from it
    path("groups/<slug:slug>/mailbox/", mailbox_pages.mailbox_settings, name="mailbox-settings"),
    path("groups/<slug:slug>/mailbox/fetch/", mailbox_pages.mailbox_fetch, name="mailbox-fetch"),
    path("groups/<slug:slug>/mailbox/disconnect/", mailbox_pages.mailbox_disconnect, name="mailbox-disconnect"),
    path("groups/<slug:slug>/inbox/", mailbox_pages.inbox, name="mailbox-inbox"),
    path("inbox/<int:pk>/", mailbox_pages.inbound_message_detail, name="inbound-message-detail"),
    path("inbox/<int:pk>/file/", mailbox_pages.inbound_message_file, name="inbound-message-file"),
    path("inbox/<int:pk>/discard/", mailbox_pages.inbound_message_discard, name="inbound-message-discard"),
]
