"""
What every API request goes through before a view reads it: the JSON parser with a depth limit and the throttles.
Settings name these classes, so nothing here imports views (DRF's settings would import them half-loaded).
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.throttling import SimpleRateThrottle

# No request of this API needs more than a few levels (a record, its citations, one citation); a generous limit.
JSON_MAX_DEPTH = 32
JSON_TOO_DEEP = _("JSON nested too deeply.")


def _deeper_than(data, limit):
    # Without recursion, so that the check itself cannot run out of stack.
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False


class BoundedJSONParser(JSONParser):
    """
    DRF's JSON parser, refusing a body nested deeper than JSON_MAX_DEPTH with a 400. Python's json module raises
    RecursionError (not the ValueError DRF turns into a 400) at about a thousand levels, so `[[[…]]]` ten thousand
    deep was a server error; and anything deeper than the API needs only costs the serializers' time.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(JSON_TOO_DEEP) from None
        if _deeper_than(data, JSON_MAX_DEPTH):
            raise ParseError(JSON_TOO_DEEP)
        return data


#
# Throttles
#


class SettingsRateThrottle(SimpleRateThrottle):
    """
    DRF's cache-counted throttle with its rate read from settings.THROTTLE_RATES[scope] on each request (DRF reads
    its own rates once, at import), and the client's address as accounts.signin.client_ip sees it, believing
    X-Forwarded-For only as far as TRUSTED_PROXY_COUNT. Counts live in Django's default cache: Redis in the
    compose file, so that every web process counts together.
    """

    def get_rate(self):
        return settings.THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        from accounts.signin import client_ip

        return client_ip(request)

    def _counter(self, ident):
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MemberRateThrottle(SettingsRateThrottle):
    """API requests of a signed-in user (session or token), counted per user wherever they come from."""

    scope = "api_member"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self._counter(request.user.pk)


class AddressRateThrottle(SettingsRateThrottle):
    """Anonymous API requests (asking for a token, the schema), counted per address."""

    scope = "api_anonymous"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self._counter(self.get_ident(request))


class UploadRateThrottle(SettingsRateThrottle):
    """Uploads (POSTs carrying files): per user when signed in, else per address. Reading a file costs the most."""

    scope = "upload"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return self._counter(f"user-{user.pk}")
        return self._counter(f"address-{self.get_ident(request)}")


class VerifyRateThrottle(UploadRateThrottle):
    """Checks of a briefing pack on the public verify page: anyone may ask, so per address."""

    scope = "verify"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        return self._counter(self.get_ident(request))
