"""Storefronts authenticate with `Authorization: Bearer <api key>`; one key, one retailer."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions, permissions, throttling

from kernel.cache import cache_call
from retailers.models import ApiKey, hash_api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not key.strip():
            raise exceptions.AuthenticationFailed(_("Use 'Authorization: Bearer <api key>'."))
        # The retailer's branding comes along: an approval's customer message is signed
        # with it, and reading it here is a join rather than a query of its own.
        api_key = (
            ApiKey.objects.select_related("retailer", "retailer__branding")
            .filter(key_hash=hash_api_key(key.strip()), revoked_at__isnull=True)
            .first()
        )
        if api_key is None or not api_key.retailer.is_active:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        return (None, api_key)

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class HasApiKey(permissions.BasePermission):
    message = "An API key is required."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            return True
        raise exceptions.NotAuthenticated(_("Send 'Authorization: Bearer <api key>'."))


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Per-key rate limit, sized for a busy storefront (API_RATE_LIMIT).

    The counters live in the cache; when it is down the throttle fails open (logged and
    counted by kernel.cache): storefronts keep working unthrottled rather than getting
    500s for the length of the outage.
    """

    scope = "api_key"

    def allow_request(self, request, view):
        return cache_call(
            "throttle",
            lambda: super(ApiKeyRateThrottle, self).allow_request(request, view),
            fallback=True,
        )

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
