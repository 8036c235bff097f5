"""
Each person's own language: what they saved with the language switcher (User.language). Pages follow it once they
are signed in (SavedLanguageMiddleware); e-mails are rendered in the recipient's language, whoever or whatever
(a worker, beat, another person's request) sends them.
"""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import translation


def language_of(user, default=None):
    """`user`'s saved language, else `default`, else the site's (LANGUAGE_CODE). `user` may be None."""
    return getattr(user, "language", "") or default or settings.LANGUAGE_CODE


def in_language_of(user, default=None):
    """A context manager: what is rendered inside it is in `user`'s language (see language_of)."""
    return translation.override(language_of(user, default))


class SavedLanguageMiddleware:
    """
    A signed-in person sees the site in their saved language, whatever the browser or the cookie says: the choice
    follows them to another device and comes back when they sign in again. The language cookie is brought in line,
    so that pages keep the language after signing out. Goes after AuthenticationMiddleware; LocaleMiddleware has
    already chosen from the cookie and the browser, for everybody else.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        saved = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
        if saved:
            translation.activate(saved)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        # Read again: the request may have signed someone in or out, or saved another language. Only for a
        # session (a browser): an API call with a token has no use for a cookie.
        user = getattr(request, "user", None)
        saved = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
        signed_in_browser = hasattr(request, "session") and SESSION_KEY in request.session
        if saved and signed_in_browser and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != saved:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, saved,
                max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response
