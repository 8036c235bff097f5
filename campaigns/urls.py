from django.urls import path

from campaigns import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/overdue/", views.campaign_overdue, name="campaign-overdue"),
    path("campaigns/<int:pk>/targets/add/", views.target_add, name="target-add"),
    path("campaigns/<int:pk>/tasks/new/", views.task_create, name="task-create"),
    path("targets/<int:pk>/", views.target_detail, name="target-detail"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target-edit"),
    path("targets/<int:pk>/advance/", views.target_advance, name="target-advance"),
    path("targets/<int:pk>/interactions/new/", views.interaction_create, name="interaction-create"),
    path("targets/<int:pk>/evidence/", views.target_evidence_link, name="target-evidence-link"),
    path("targets/<int:pk>/evidence/<int:record_pk>/unlink/", views.target_evidence_unlink,
         name="target-evidence-unlink"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("tasks/<int:pk>/done/", views.task_complete, name="task-complete"),
    path("interaction-files/<int:pk>/download/", views.interaction_attachment_download,
         name="interaction-attachment-download"),
    path("my-work/", views.my_work, name="my-work"),
    # Briefing packs
    path("campaigns/<int:pk>/pack/", views.pack_create_campaign, name="pack-create-campaign"),
    path("targets/<int:pk>/pack/", views.pack_create_target, name="pack-create-target"),
    path("institutions/<slug:slug>/pack/", views.pack_create_institution, name="pack-create-institution"),
    path("evidence/pack/", views.pack_create_search, name="pack-create-search"),
    path("groups/<slug:slug>/packs/", views.pack_list, name="pack-list"),
    path("packs/verify/", views.pack_verify, name="pack-verify"),
    path("packs/<int:pk>/", views.pack_detail, name="pack-detail"),
    path("packs/<int:pk>/retry/", views.pack_retry, name="pack-retry"),
    path("packs/<int:pk>/download/", views.pack_download, name="pack-download"),
]
