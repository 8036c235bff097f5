import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.permissions import groups_requiring_two_factor
from accounts.signin import has_second_factor

# Reachable without a second factor: setting one up, the rest of one's own account, signing out, and joining a group.
EXEMPT_PREFIXES = ("/accounts/", "/login/", "/logout/", "/invitations/accept/", "/static/")


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


def two_factor_missing(user):
    """The groups that require a second factor of `user`, if `user` has none; else nothing."""
    required = groups_requiring_two_factor(user)
    if not required or has_second_factor(user):
        return []
    return required


class TwoFactorRequiredMiddleware:
    """
    A member of a group that requires two-factor sign-in, who has not set it up, is sent to set it up before any
    other page or API call. All of the site, not just that group's pages: lists such as the evidence list mix
    every group the member belongs to, so a per-page rule would still show that group's data.
    Token-authenticated API calls are refused by accounts.api.authentication, which runs after this.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not request.path_info.startswith(EXEMPT_PREFIXES):
            groups = two_factor_missing(user)
            if groups:
                message = two_factor_message(groups)
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": message}, status=403)
                messages.warning(request, message)
                return redirect(reverse("mfa_index"))
        return self.get_response(request)


def two_factor_message(groups):
    names = ", ".join(sorted(group_name for group_name in groups))
    return gettext(
        "%(groups)s requires two-factor sign-in. Set up an authenticator app or a security key "
        "(Account → Two-factor sign-in) before you continue."
    ) % {"groups": names}


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
