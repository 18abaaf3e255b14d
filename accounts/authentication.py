from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .models import ApiToken


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` (or `Bearer <key>`) against hashed ApiToken rows."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) == 2 and header[0].lower() == b"bearer":
            return self.authenticate_credentials(header[1].decode(errors="replace"))
        return super().authenticate(request)

    def authenticate_credentials(self, key):
        token = ApiToken.find_active(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API token."))
        # Write last use at most once a minute, so reads do not turn into writes.
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
