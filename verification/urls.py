from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter(trailing_slash=True)
router.register("reviews", api.ReviewViewSet, basename="review")
router.register("assignments", api.AssignmentViewSet, basename="assignment")
router.register("accreditations", api.AccreditationViewSet, basename="accreditation")

api_urlpatterns = router.urls

# Web pages (verifier queue, review page, operator assignment): see verification/views.py.
urlpatterns: list = []
