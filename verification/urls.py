from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api, pages

router = SimpleRouter(trailing_slash=True)
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register("accreditations", api.AccreditationViewSet, basename="accreditation")

api_urlpatterns = router.urls

urlpatterns = [
    path("reviews/", pages.queue, name="review-queue"),
    path("reviews/<int:pk>/", pages.review_page, name="review-page"),
    path("reviews/<int:pk>/report/", pages.report, name="review-report"),
    path("reviews/<int:pk>/comment/", pages.comment, name="review-comment"),
    path("reviews/<int:pk>/acknowledge/", pages.acknowledge, name="review-acknowledge"),
    path("reviews/<int:pk>/checklist/", pages.checklist, name="review-checklist"),
    path("reviews/<int:pk>/request-changes/", pages.request_changes, name="review-request-changes"),
    path("reviews/<int:pk>/reject/", pages.reject, name="review-reject"),
    path("reviews/<int:pk>/approve/", pages.approve, name="review-approve"),
    path("operator/assignments/", pages.assignments, name="operator-assignments"),
    path("operator/accreditations/", pages.add_accreditation, name="operator-add-accreditation"),
    path("operator/accreditations/<int:pk>/end/", pages.end_accreditation, name="operator-end-accreditation"),
]
