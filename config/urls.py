from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

api_patterns = [
    path("", include("accounts.api.urls")),
    path("", include("evidence.api.urls")),
    path("", include("campaigns.api.urls")),
    path("auth/token/", obtain_auth_token, name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("evidence.urls")),
    path("", include("campaigns.urls")),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
]
