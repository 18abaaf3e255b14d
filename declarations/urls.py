from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import api, views

router = SimpleRouter(trailing_slash=True)
router.register("declarations", api.DeclarationViewSet, basename="declaration")
router.register("pcrs", api.PCRViewSet, basename="pcr")
router.register("catalogue", api.CatalogueView, basename="catalogue")

api_urlpatterns = [
    *router.urls,
    re_path(r"^templates/results\.(?P<fmt>xlsx|csv)$", api.ResultsTemplateView.as_view(), name="results-template"),
]

# Web pages. Names start with "web-": the API router already uses "declaration-detail", "declaration-submit"…
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("declarations/new/", views.declaration_new, name="web-declaration-new"),
    path("declarations/<int:pk>/", views.declaration_page, name="web-declaration"),
    path("declarations/<int:pk>/edit/", views.declaration_edit, name="web-declaration-edit"),
    path("declarations/<int:pk>/results/", views.declaration_results, name="web-declaration-results"),
    path("declarations/<int:pk>/import/", views.declaration_import, name="web-declaration-import"),
    path("declarations/<int:pk>/report/", views.declaration_report, name="web-declaration-report"),
    path("declarations/<int:pk>/submit/", views.declaration_submit, name="web-declaration-submit"),
    path("declarations/<int:pk>/withdraw/", views.declaration_withdraw, name="web-declaration-withdraw"),
]
