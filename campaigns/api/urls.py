from rest_framework.routers import SimpleRouter

from campaigns.api import views

router = SimpleRouter()
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("targets", views.TargetViewSet, basename="target")
router.register("interactions", views.InteractionViewSet, basename="interaction")
router.register("tasks", views.TaskViewSet, basename="task")
router.register("batches", views.AskBatchViewSet, basename="batch")
router.register("packs", views.BriefingPackViewSet, basename="pack")

urlpatterns = router.urls
