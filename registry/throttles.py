"""Rate limits of the public API, and the headers that tell a client where it stands.

Anonymous clients are counted per IP, clients with a token (or a session) per user, at the rates of
settings.REGISTRY_THROTTLE_RATES, plus a scoped rate for the views that set `throttle_scope`. A client is its
REMOTE_ADDR, or the address NUM_PROXIES hops back in X-Forwarded-For; counters live in the cache (Redis in
production, so every web process shares them). Every answer of a throttled endpoint, the 429 included, carries the fields
of draft-ietf-httpapi-ratelimit-headers-06 (RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset,
RateLimit-Policy); a 429 also carries Retry-After (DRF sets it from the same window).
"""

import math

from django.conf import settings
from rest_framework import throttling, views


class SettingsRate:
    """Rates from settings.REGISTRY_THROTTLE_RATES, read per request (so they can change without a restart of tests)."""

    def get_rate(self):
        return settings.REGISTRY_THROTTLE_RATES.get(self.scope)  # None: not limited

    def window(self) -> tuple[int, int, int, int] | None:
        """(limit, remaining, seconds until the window frees a request, window seconds) after allow_request,
        or None when this throttle does not count this client (an anonymous throttle for a token holder)."""
        if getattr(self, "key", None) is None or not hasattr(self, "history"):
            return None
        remaining = max(0, self.num_requests - len(self.history))
        if self.history:
            reset = math.ceil(self.duration - (self.now - self.history[-1]))
        else:
            reset = self.duration
        return self.num_requests, remaining, max(0, reset), self.duration


class AnonThrottle(SettingsRate, throttling.AnonRateThrottle):
    scope = "registry_anon"


class TokenThrottle(SettingsRate, throttling.UserRateThrottle):
    """Higher limits for clients with an API token (or a session); anonymous clients get AnonThrottle only."""

    scope = "registry_token"

    def get_cache_key(self, request, view):
        return super().get_cache_key(request, view) if request.user and request.user.is_authenticated else None


class ScopedThrottle(SettingsRate, throttling.ScopedRateThrottle):
    """A further limit for the views that name a `throttle_scope` (verify, log, keys), per client as above."""


RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


class RateLimited(views.APIView):
    """An APIView counted by AnonThrottle / TokenThrottle that says so in RateLimit-* headers."""

    throttle_classes = [AnonThrottle, TokenThrottle, ScopedThrottle]

    def get_throttles(self):
        self._throttles = super().get_throttles()
        return self._throttles

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        windows = [w for w in (t.window() for t in getattr(self, "_throttles", ())) if w is not None]
        if windows:
            # The tightest window is the one the client meets first.
            limit, remaining, reset, seconds = min(windows, key=lambda w: (w[1], -w[2]))
            response["RateLimit-Limit"] = str(limit)
            response["RateLimit-Remaining"] = str(remaining)
            response["RateLimit-Reset"] = str(reset)
            response["RateLimit-Policy"] = f"{limit};w={seconds}"
        return response
