from django.urls import path

from evidence import views

urlpatterns = [
    path("reports/", views.report_list, name="report-list"),
    path("reports/<slug:slug>/", views.report_detail, name="report-detail"),
    path("institutions/", views.institution_list, name="institution-list"),
    # Before the slug pattern, so "new" is never read as an institution
    # (models.RESERVED_INSTITUTION_SLUGS keeps it free).
    path("institutions/new/", views.institution_create, name="institution-create"),
    path("institutions/<slug:slug>/", views.institution_detail, name="institution-detail"),
    path("institutions/<slug:slug>/edit/", views.institution_edit, name="institution-edit"),
    path("institutions/<slug:slug>/add-to-directory/", views.institution_add_to_directory,
         name="institution-add-to-directory"),
    path("institutions/<slug:slug>/relationships/add/", views.relationship_add, name="relationship-add"),
    path("relationships/<int:pk>/remove/", views.relationship_remove, name="relationship-remove"),
]

urlpatterns += [
    path("evidence/", views.evidence_list, name="evidence-list"),
    path("evidence/new/", views.evidence_create, name="evidence-create"),
    path("evidence/bulk/", views.evidence_bulk, name="evidence-bulk"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence-detail"),
    # Before the step pattern, which would otherwise read "edit", "share" and "attachments" as steps.
    path("evidence/<int:pk>/edit/", views.evidence_edit, name="evidence-edit"),
    path("evidence/<int:pk>/share/", views.evidence_share, name="evidence-share"),
    path("evidence/<int:pk>/attachments/", views.attachment_upload, name="attachment-upload"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence-delete"),
    path("evidence/<int:pk>/<str:step>/", views.evidence_step, name="evidence-step"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
]

urlpatterns += [
    path("evidence/import/", views.evidence_import, name="evidence-import"),
    path("evidence/import/<str:token>/", views.evidence_import_confirm, name="evidence-import-confirm"),
    path("evidence/imports/<int:pk>/", views.evidence_import_detail, name="evidence-import-detail"),
    path("evidence/imports/<int:pk>/retry/", views.evidence_import_retry, name="evidence-import-retry"),
]
