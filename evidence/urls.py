from django.urls import path

from evidence.views import (
    captures,
    imports,
    institutions,
    quick,
    record_comments,
    record_detail,
    record_editing,
    record_files,
    record_list,
    reports,
    saved_searches,
)

urlpatterns = [
    path("reports/", reports.report_list, name="report-list"),
    path("reports/<slug:slug>/", reports.report_detail, name="report-detail"),
    path("institutions/", institutions.institution_list, name="institution-list"),
    # Before the slug pattern, so "new" is never read as an institution
    # (models.RESERVED_INSTITUTION_SLUGS keeps it free).
    path("institutions/new/", institutions.institution_create, name="institution-create"),
    path("institutions/<slug:slug>/", institutions.institution_detail, name="institution-detail"),
    path("institutions/<slug:slug>/edit/", institutions.institution_edit, name="institution-edit"),
    path("institutions/<slug:slug>/add-to-directory/", institutions.institution_add_to_directory,
         name="institution-add-to-directory"),
    path("institutions/<slug:slug>/relationships/add/", institutions.relationship_add, name="relationship-add"),
    path("relationships/<int:pk>/remove/", institutions.relationship_remove, name="relationship-remove"),
]

urlpatterns += [
    path("evidence/", record_list.evidence_list, name="evidence-list"),
    path("evidence/new/", record_editing.evidence_create, name="evidence-create"),
    # The phone's form: a draft from a few fields and a photo (evidence/views/quick.py).
    path("evidence/quick/", quick.evidence_quick, name="evidence-quick"),
    path("evidence/bulk/", record_list.evidence_bulk, name="evidence-bulk"),
    path("evidence/<int:pk>/", record_detail.evidence_detail, name="evidence-detail"),
    # Before the step pattern, which would otherwise read "edit", "share" and "attachments" as steps.
    path("evidence/<int:pk>/edit/", record_editing.evidence_edit, name="evidence-edit"),
    path("evidence/<int:pk>/share/", record_editing.evidence_share, name="evidence-share"),
    path("evidence/<int:pk>/public/", record_editing.evidence_public, name="evidence-public"),
    path("evidence/<int:pk>/attachments/", record_files.attachment_upload, name="attachment-upload"),
    path("evidence/<int:pk>/comments/", record_comments.comment_create, name="evidence-comment-create"),
    path("evidence/comments/<int:pk>/edit/", record_comments.comment_edit, name="evidence-comment-edit"),
    path("evidence/comments/<int:pk>/delete/", record_comments.comment_delete, name="evidence-comment-delete"),
    path("evidence/<int:pk>/delete/", record_editing.evidence_delete, name="evidence-delete"),
    path("evidence/<int:pk>/<str:step>/", record_editing.evidence_step, name="evidence-step"),
    path("attachments/<int:pk>/download/", record_files.attachment_download, name="attachment-download"),
]

urlpatterns += [
    path("evidence/import/", imports.evidence_import, name="evidence-import"),
    path("evidence/import/<str:token>/", imports.evidence_import_confirm, name="evidence-import-confirm"),
    path("evidence/imports/<int:pk>/", imports.evidence_import_detail, name="evidence-import-detail"),
    path("evidence/imports/<int:pk>/retry/", imports.evidence_import_retry, name="evidence-import-retry"),
    path("evidence/imports/<int:pk>/decide/", imports.evidence_import_decide, name="evidence-import-decide"),
]

urlpatterns += [
    path("groups/<slug:slug>/source-capture/", captures.group_source_capture, name="group-source-capture"),
    path("sources/<int:pk>/capture/", captures.source_capture_request, name="source-capture-request"),
    path("captures/<int:pk>/", captures.source_capture_detail, name="source-capture-detail"),
    path("captures/<int:pk>/retry/", captures.source_capture_retry, name="source-capture-retry"),
    path("capture-files/<int:pk>/download/", captures.capture_file_download, name="capture-file-download"),
    path("saved-searches/", saved_searches.saved_search_list, name="saved-search-list"),
    path("saved-searches/<int:pk>/", saved_searches.saved_search_change, name="saved-search-change"),
    path("saved-searches/<int:pk>/delete/", saved_searches.saved_search_delete, name="saved-search-delete"),
    path("saved-searches/<int:pk>/feed-address/", saved_searches.saved_search_feed_key, name="saved-search-feed-key"),
    path("saved-searches/feed/<str:key>.atom", saved_searches.saved_search_feed, name="saved-search-feed"),
]
