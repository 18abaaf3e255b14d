from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from declarations.urls import api_urlpatterns as declaration_api
from registry.urls import api_urlpatterns as registry_api
from registry.views import healthz
from verification.urls import api_urlpatterns as verification_api

# Unknown paths and failures under /api/ answer in the API's JSON error shape (with DEBUG=True too:
# declarations.errors.ApiErrorMiddleware).
handler404 = "declarations.errors.not_found"
handler500 = "declarations.errors.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(declaration_api)),
    path("api/v1/", include(verification_api)),
    path("api/v1/", include(registry_api)),
    path("resource/", include("registry.soda_urls")),  # soda4LCA-compatible read service for ILCD harvesters
    path("api/openepd/", include("registry.openepd_api")),  # mirrors the paths openepd's API client uses
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("", include("declarations.urls")),
    path("", include("verification.urls")),
    path("", include("registry.urls")),
]
