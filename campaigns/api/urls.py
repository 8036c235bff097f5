from rest_framework.routers import SimpleRouter

from campaigns.api import comments, views

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("targets", views.TargetViewSet, basename="target")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("batches", views.AskBatchViewSet, basename="batch")
router.register("packs", views.BriefingPackViewSet, basename="pack")
router.register("target-comments", comments.TargetCommentViewSet, basename="target-comment")

urlpatterns = router.urls
