from django.urls import path

from . import api, log_api

# Public registry API (api_urlpatterns) and pages (urlpatterns).
api_urlpatterns: list = [
    path("keys/", log_api.KeysView.as_view(), name="keys"),
    path("keys/root.pem", log_api.RootCertificateView.as_view(), name="keys-root-pem"),
    path("log/tree-head", log_api.TreeHeadView.as_view(), name="log-tree-head"),
    path("log/entries", log_api.EntriesView.as_view(), name="log-entries"),
    path("log/proof/inclusion", log_api.InclusionProofView.as_view(), name="log-proof-inclusion"),
    path("log/proof/consistency", log_api.ConsistencyProofView.as_view(), name="log-proof-consistency"),
    path("verify/", api.VerifyView.as_view(), name="verify"),
    path("epds/<str:registration_number>/status/", api.StatusChangeView.as_view(), name="epd-status"),
]
urlpatterns: list = []
