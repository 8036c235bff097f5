"""
Limits a page declares on what it is sent (@request_limits), enforced by RequestLimitsMiddleware before anything
reads the body: an upload past the page's size is refused from its Content-Length, and a sender past the page's
rate gets 429 with Retry-After. Both would otherwise cost the server the whole upload first (Django parses a
multipart body the first time anything reads request.POST).
"""

import math
from dataclasses import dataclass

from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class RequestLimits:
    throttle: type  # a config.api throttle class, counting POSTs
    max_bytes: object = None  # a function giving the largest body taken, read from settings on each request


def request_limits(*, throttle, max_bytes=None):
    """Declare a page's limits. functools.wraps copies the attribute onto decorators applied after this one."""
    def decorate(view):
        view.request_limits = RequestLimits(throttle, max_bytes)
        return view

    return decorate


def _limits_for(path):
    try:
        return getattr(resolve(path).func, "request_limits", None)
    except Resolver404:
        return None


def refuse(request, message, *, status):
    return render(request, "request_refused.html", {"message": message}, status=status)


class RequestLimitsMiddleware:
    """Runs after the session and user are known and before RejectNulCharactersMiddleware reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and (limits := _limits_for(request.path_info)) is not None:
            if limits.max_bytes is not None:
                largest = limits.max_bytes()
                try:
                    length = int(request.META.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = 0
                if length > largest:
                    return refuse(request, _("The file is larger than %(limit)s, the most this page takes.")
                                  % {"limit": filesizeformat(largest)}, status=413)
            throttle = limits.throttle()
            if not throttle.allow_request(request, None):
                minutes = max(1, math.ceil((throttle.wait() or 60) / 60))
                response = refuse(request, ngettext(
                    "Too many uploads from here for now. Try again in %(minutes)s minute.",
                    "Too many uploads from here for now. Try again in %(minutes)s minutes.", minutes)
                    % {"minutes": minutes}, status=429)
                response["Retry-After"] = str(math.ceil(throttle.wait() or 60))
                return response
        return self.get_response(request)
