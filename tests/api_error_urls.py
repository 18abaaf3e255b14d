"""The project's URLs plus one API view that fails, to see what a client gets from an unexpected error."""

from django.urls import path
from rest_framework import permissions, views

from epd_platform.urls import handler404, handler500
from epd_platform.urls import urlpatterns as project_urlpatterns

__all__ = ["handler404", "handler500", "urlpatterns"]


class FailingView(views.APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request):
        raise RuntimeError("a defect the tests put here on purpose")


urlpatterns = [path("api/v1/test-failure/", FailingView.as_view()), *project_urlpatterns]
