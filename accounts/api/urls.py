from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import views
from accounts.api.comments import NotificationViewSet

router = SimpleRouter()
router.register("groups", views.GroupViewSet, basename="group")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("worker-checks", views.WorkerCheckViewSet, basename="worker-check")
router.register("tokens", views.ApiTokenViewSet, basename="api-token")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("me/calendar-feed/", views.CalendarFeedView.as_view(), name="me-calendar-feed"),
    *router.urls,
]
