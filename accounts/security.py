"""Password guessing (django-axes, settings.AXES_*): the address failures count against, and the lockout answer."""

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.settings import api_settings


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from. Behind NUM_PROXIES reverse proxies (the API throttles' setting, so
    both count the same address) it is the address the
    outermost trusted proxy saw, read from X-Forwarded-For counted from the right: entries further left
    are the client's to write, and trusting them would let a guesser pick a fresh address per attempt."""
    hops = api_settings.NUM_PROXIES
    if hops:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer to a locked-out login: 429, the page in the reader's language, and Retry-After."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes}
    response = render(request, "accounts/locked_out.html", context, status=429)
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
