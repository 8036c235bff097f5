from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views

router = SimpleRouter()
router.register("groups", views.GroupViewSet, basename="group")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("worker-checks", views.WorkerCheckViewSet, basename="worker-check")
router.register("tokens", views.ApiTokenViewSet, basename="api-token")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
