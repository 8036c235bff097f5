"""
What every API request goes through before a view reads it: the JSON parser with a depth limit and the throttles;
and on its way out, the one exception handler. Settings name these, so nothing here imports views or models at
import time (DRF's settings would import them half-loaded).
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.serializers import as_serializer_error
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

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


#
# Errors
#


def exception_handler(exc, context):
    """
    DRF's, with two additions. A Django ValidationError (what models and service verbs raise) is a 400 with its
    field errors, as a serializer's would be, so that no view wraps a service call to translate it. And an object
    the caller cannot see because its group requires a second factor they have not set up is a 403 saying so,
    rather than a 404 (the pages send them to set it up: accounts.middleware).
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404 | exceptions.NotFound):
        from accounts.scoping import SecondFactorOwed

        try:
            _refuse_if_second_factor_owed(context)
        except SecondFactorOwed as owed:
            exc = exceptions.PermissionDenied(owed.args[0])
    return drf_exception_handler(exc, context)


def _refuse_if_second_factor_owed(context):
    from accounts.scoping import refuse_if_second_factor_owed

    view, request = context.get("view"), context.get("request")
    lookup_field = getattr(view, "lookup_field", None)
    value = getattr(view, "kwargs", {}).get(getattr(view, "lookup_url_kwarg", None) or lookup_field)
    queryset = getattr(view, "queryset", None)
    if value is None or request is None:
        return
    if queryset is None:
        queryset = view.get_queryset()
    if hasattr(queryset.model, "scope_path"):
        refuse_if_second_factor_owed(queryset.model.objects.all(), request.user, **{lookup_field: value})
