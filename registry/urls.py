from django.urls import path, re_path

from . import api, log_api, operator_views, pages, pki_api, public
from .models import ArtefactName

# Public registry API (api_urlpatterns) and pages (urlpatterns).
api_urlpatterns: list = [
    path("keys/", log_api.KeysView.as_view(), name="keys"),
    path("keys/root.pem", log_api.RootCertificateView.as_view(), name="keys-root-pem"),
    path("keys/root.crl", pki_api.CrlView.as_view(), name="keys-root-crl"),
    path("tsa", pki_api.TimeStampView.as_view(), name="tsa"),
    re_path(r"^timestamps/(?P<digest>[0-9a-f]{64})\.tst$", pki_api.TimeStampTokenView.as_view(), name="jws-timestamp"),
    path("log/tree-head", log_api.TreeHeadView.as_view(), name="log-tree-head"),
    path("log/checkpoint", log_api.CheckpointView.as_view(), name="log-checkpoint"),
    path("log/checkpoint-key", log_api.CheckpointKeyView.as_view(), name="log-checkpoint-key"),
    path("log/entries", log_api.EntriesView.as_view(), name="log-entries"),
    path("log/proof/inclusion", log_api.InclusionProofView.as_view(), name="log-proof-inclusion"),
    path("log/proof/consistency", log_api.ConsistencyProofView.as_view(), name="log-proof-consistency"),
    path("verify/", api.VerifyView.as_view(), name="verify"),
    path("epds/", public.SearchView.as_view(), name="epd-search"),
    path("epds/facets/", public.FacetsView.as_view(), name="epd-facets"),  # before epds/<number>/: never a registration number
    path("epds/<str:registration_number>/", public.DetailView.as_view(), name="epd-detail"),
    path("epds/<str:registration_number>/versions/", public.VersionsView.as_view(), name="epd-versions"),
    re_path(
        r"^epds/(?P<registration_number>[^/]+)/(?P<name>" + "|".join(n.replace(".", r"\.") for n in ArtefactName.values) + ")$",
        public.DocumentView.as_view(),
        name="epd-document",
    ),
    path("categories/", public.CategoriesView.as_view(), name="categories"),
    path("manufacturers/", public.ManufacturersView.as_view(), name="manufacturers"),
    path("changes/", public.ChangesView.as_view(), name="changes"),
    path("changes.atom", public.ChangesAtomView.as_view(), name="changes-atom"),
    path("exports/epds.jsonl.gz", public.ExportView.as_view(), name="export-epds"),
    path("epds/<str:registration_number>/status/", api.StatusChangeView.as_view(), name="epd-status"),
]
urlpatterns = [
    path("", pages.search, name="home"),
    path("epds/<str:registration_number>/", pages.epd_page, name="epd-page"),
    path("epds/<str:registration_number>/status/", operator_views.change_status, name="epd-status-change"),
    path("compare/", pages.compare, name="compare"),
    path("verify/", pages.verify_page, name="verify-page"),
]
