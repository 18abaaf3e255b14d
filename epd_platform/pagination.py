"""The API's page-number pagination (settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"])."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's, but `page` must be one whole number from 1: `?page=` or `?page=2&page=x` is a 404 ("Invalid
    page"), as `?page=x` already is, rather than a silent first or last page."""

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1 or not values[0].isdigit():
            raise exceptions.NotFound(_("Invalid page."))
        return values[0]
