from rest_framework.routers import SimpleRouter

from evidence.api import captures, comments, saved_searches, views

router = SimpleRouter()
router.register("reports", views.ReportViewSet, basename="report")
router.register("recommendations", views.RecommendationViewSet, basename="recommendation")
router.register("sectors", views.SectorViewSet, basename="sector")
router.register("rights", views.RightViewSet, basename="right")
router.register("institutions", views.InstitutionViewSet, basename="institution")
router.register("relationships", views.RelationshipViewSet, basename="relationship")
router.register("sources", views.SourceViewSet, basename="source")
router.register("evidence", views.EvidenceRecordViewSet, basename="evidence")
router.register("captures", captures.SourceCaptureViewSet, basename="source-capture")
router.register("saved-searches", saved_searches.SavedSearchViewSet, basename="saved-search")
router.register("record-comments", comments.RecordCommentViewSet, basename="record-comment")

urlpatterns = router.urls
