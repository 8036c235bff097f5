from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts import views as account_views
from accounts.api.views import ObtainTokenView
from config.health import health
from config.views import SwaggerDocsView

# Site staff sign in through the site's own form, with their second factor, never the admin's password-only one.
admin.site.login = secure_admin_login(admin.site.login)

api_patterns = [
    path("", include("accounts.api.urls")),
    path("", include("evidence.api.urls")),
    path("", include("campaigns.api.urls")),
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script (CSP).
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
         name="docs"),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("evidence.urls")),
    path("", include("campaigns.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    # The language switcher posts here; it sets the language cookie (and saves it on the account of a signed-in
    # person) and goes back to `next`.
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    # Whether this process reaches its database, cache, broker and storage (config/health.py); no group data.
    path("health/", health, name="health"),
]

# A body or form past Django's limits says which limit it passed (config/views.py), not a bare "Bad Request".
handler400 = "config.views.bad_request"
