import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext

from accounts.scoping import SecondFactorOwed

# When the session was last used (seconds since the epoch), and how stale that may get before it is written again.
LAST_ACTIVITY_KEY = "last_activity"
ACTIVITY_RESOLUTION = 60


class IdleSessionTimeoutMiddleware:
    """
    Sign out a session unused for longer than SESSION_IDLE_TIMEOUT seconds: a computer left signed in (in an
    office, a café, a seized laptop) stops showing the group's data. The next request finds the person signed out;
    pages then ask them to sign in again (coming back to the page they wanted), the API answers as to anyone.

    The last use is kept in the session and written at most once a minute, not on every request as
    SESSION_SAVE_EVERY_REQUEST would (one UPDATE per request, HTMX partials and progress polls included); the
    timeout is therefore exact to within a minute. Progress polls do count as use, but they stop when their job
    finishes, within a minute or so. Token-authenticated API calls have no session and are not concerned.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int) and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                minutes = settings.SESSION_IDLE_TIMEOUT // 60
                messages.info(request, ngettext(
                    "You were signed out after %(minutes)s minute without activity.",
                    "You were signed out after %(minutes)s minutes without activity.", minutes) % {"minutes": minutes})
            elif not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION:
                mark_active(request.session, now)
        return self.get_response(request)


def mark_active(session, now=None):
    """Start the idle clock again; signing in starts it (accounts.receivers), so a first request writes nothing."""
    session[LAST_ACTIVITY_KEY] = int(time.time()) if now is None else now


class SecondFactorOwedMiddleware:
    """
    Someone opening an object of a group that requires two-factor sign-in, which they have not set up, is sent to
    set it up, with the reason (the API answers 403 with it). Their other groups' pages work as before: the rule
    itself lives in accounts.scoping, which leaves that group out of what they may read and do.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SecondFactorOwed):
            return None
        message = exception.args[0]
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        messages.warning(request, message)
        return redirect(reverse("mfa_index"))


NUL_REFUSED = gettext_lazy("Text cannot contain NUL characters (\\0).")


class RejectNulCharactersMiddleware:
    """
    Refuse a request whose address, form fields or JSON body carry a NUL character: no text anyone types has one,
    and PostgreSQL cannot store or even compare it, so it would end as a server error wherever it reached a query.
    Uploaded files are not looked at; binary files are full of NUL bytes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": NUL_REFUSED}, status=400)
            return HttpResponseBadRequest(str(NUL_REFUSED))
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request):
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return False
        content_type = request.content_type or ""
        if content_type == "application/json":
            body = request.body
            return b"\x00" in body or b"\\u0000" in body
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return any("\x00" in value for _, values in request.POST.lists() for value in values)
        return False
