from allauth.account import views as allauth_views
from django.urls import path

from accounts import notification_views, views

urlpatterns = [
    # The site's own addresses for allauth's sign-in and sign-out (the rest of allauth lives under /accounts/).
    path("login/", allauth_views.LoginView.as_view(), name="login"),
    path("logout/", allauth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification-read-all"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification-read"),
    path("switch-group/", views.switch_group, name="switch-group"),
    # The person's own account pages, next to allauth's (under /accounts/).
    path("accounts/api-tokens/", views.api_token_list, name="api-token-list"),
    path("accounts/api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("accounts/calendar/", views.calendar_settings, name="calendar-settings"),
    path("groups/<slug:slug>/", views.group_dashboard, name="group-dashboard"),
    path("groups/<slug:slug>/members/", views.member_list, name="member-list"),
    path("groups/<slug:slug>/members/invite/", views.member_invite, name="member-invite"),
    path("groups/<slug:slug>/worker-checks/", views.worker_check_list, name="worker-check-list"),
    path("groups/<slug:slug>/two-factor/", views.group_two_factor, name="group-two-factor"),
    path("groups/<slug:slug>/sharing/", views.group_sharing, name="group-sharing"),
    path("groups/<slug:slug>/alert-titles/", views.group_alert_titles, name="group-alert-titles"),
    path("groups/<slug:slug>/leave/", views.group_leave, name="group-leave"),
    path("groups/<slug:slug>/audit/", views.audit_log, name="audit-log"),
    path("groups/<slug:slug>/audit/export.csv", views.audit_export, name="audit-export"),
    path("memberships/<int:pk>/role/", views.member_change_role, name="member-change-role"),
    path("memberships/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("invitations/decline/<str:token>/", views.invitation_decline, name="invitation-decline"),
    path("worker-checks/<int:pk>/", views.worker_check_detail, name="worker-check-detail"),
]
