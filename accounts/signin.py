"""
How people sign in: django-allauth's flows (password, then a second factor for those who have one) adapted to a
site where nobody signs up on their own, and django-axes's lock-out after repeated failures.
"""

import ipaddress
import math

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext

# The kinds of authenticator that count as a second factor; recovery codes only stand in for a lost one.
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Members join through a coordinator's invitation (accounts.views.invitation_accept), never on their own.
        return False

    def send_mail(self, template_prefix, email, context):
        # allauth's e-mails (password reset, security notices) in the recipient's saved language, not in that of
        # the request that caused them (a reset asked for from a browser set to another language, say).
        from accounts.languages import in_language_of

        user = context.get("user") or account_for_address(email)
        with in_language_of(user, default=translation.get_language()):
            super().send_mail(template_prefix, email, context)


def has_second_factor(user):
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


def has_verified_email(user, email):
    """
    Whether `email` is `user`'s own, proven address: one allauth verified, or the account's address as staff or
    an accepted invitation set it. An address someone typed into allauth's e-mail page without verifying it
    (there is an unverified row for it) proves nothing, whatever the account's e-mail field says.
    """
    from allauth.account.models import EmailAddress

    addresses = {address.email.lower(): address.verified for address in EmailAddress.objects.filter(user=user)}
    email = email.strip().lower()
    if email in addresses:
        return addresses[email]
    return bool(user.email) and user.email.strip().lower() == email


def account_for_address(email):
    """The active account whose own, proven address is `email` (see has_verified_email), or None."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    # get_user_model, not accounts.models: the scoping imports this module, and the models import the scoping.
    candidates = get_user_model().objects.filter(Q(email__iexact=email) | Q(emailaddress__email__iexact=email),
                                                 is_active=True)
    return next((user for user in candidates.distinct().order_by("pk") if has_verified_email(user, email)), None)


def account_with_address_exists(email):
    """Whether an active account has `email` as its own, proven address (see has_verified_email)."""
    return account_for_address(email) is not None


#
# Client address
#


def client_ip(request):
    """
    The address a request came from. X-Forwarded-For is believed only as far as settings.TRUSTED_PROXY_COUNT
    proxies of our own appended to it: each appends the address it saw, so the entry that many places from the
    right is the client's, and anything further left is whatever the client chose to send.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            candidate = hops[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


#
# Lock-out
#


class LoginThrottle(AxesDatabaseHandler):
    """
    django-axes with two limits: an account is locked after LOGIN_FAILURES_PER_ACCOUNT failures, an address after
    LOGIN_FAILURES_PER_ADDRESS, which is higher because a whole office may sign in from behind one router.
    Axes compares one number with one limit (AXES_FAILURE_LIMIT, the per-account one), so the address's count
    is scaled to that limit: it reaches it exactly when the address reaches its own.
    """

    def get_failures(self, request, credentials=None):
        # One queryset per AXES_LOCKOUT_PARAMETERS entry, in order: ["username", "ip_address"].
        per_account, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        account_limit, address_limit = settings.LOGIN_FAILURES_PER_ACCOUNT, settings.LOGIN_FAILURES_PER_ADDRESS
        return max(per_account, math.floor(per_address * account_limit / address_limit))


def lockout_minutes(request):
    return math.ceil(get_cool_off(request).total_seconds() / 60)


def lockout_message(request):
    minutes = lockout_minutes(request)
    return ngettext(
        "Too many failed sign-ins from this account or this address. Signing in is blocked for %(minutes)s "
        "minute; if you did not make these attempts, tell your group's coordinator.",
        "Too many failed sign-ins from this account or this address. Signing in is blocked for %(minutes)s "
        "minutes; if you did not make these attempts, tell your group's coordinator.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out person sees: a page that says why and for how long (429), or JSON for the API."""
    message, minutes = lockout_message(request), lockout_minutes(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "account/lockout.html", {"message": message, "minutes": minutes}, status=429)


#
# Second-factor codes count as failed sign-ins too
#


def second_factor_locked(request, user):
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


class SecondFactorLockMixin:
    """
    allauth's code forms, refusing a locked-out account. A wrong code is a failed sign-in for django-axes (see
    accounts.receivers), so guessing codes after a stolen password meets the same lock as guessing passwords, one
    counter that staff can see and lift (allauth's own cache counter for this is switched off in settings).
    """

    def clean_code(self):
        request = context.request
        if second_factor_locked(request, self.user):
            raise ValidationError(lockout_message(request))
        return super().clean_code()


class SecondFactorForm(SecondFactorLockMixin, AuthenticateForm):
    pass


class SecondFactorReauthenticateForm(SecondFactorLockMixin, ReauthenticateForm):
    pass


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, its "Remember Me" in the sentence case every other label of the site uses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = gettext_lazy("Remember me")
