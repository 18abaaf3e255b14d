"""Password guessing (django-axes, settings.AXES_*): the address failures count against, and the lockout answer."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import BaseThrottle


def client_ip(request: HttpRequest) -> str | None:
    """The address failures count against: the one the API throttles count (DRF's get_ident), which trusts
    X-Forwarded-For only as far as NUM_PROXIES proxies append to it; entries further left are the client's to
    write, and trusting them would let a guesser pick a fresh address per attempt."""
    return BaseThrottle().get_ident(request)


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out login: 429, the page in the reader's language, and Retry-After."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    response = render(request, "accounts/locked_out.html", context, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
