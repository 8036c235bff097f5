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
    path("institutions/<slug:slug>/relationships/add/", views.relationship_add, name="relationship-add"),
    path("relationships/<int:pk>/remove/", views.relationship_remove, name="relationship-remove"),
]
