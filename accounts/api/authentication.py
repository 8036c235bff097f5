from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.middleware import two_factor_message, two_factor_missing
from accounts.models import ApiToken


class TokenAuthentication(authentication.TokenAuthentication):
    """
    DRF's "Authorization: Token <key>" header, checked against our hashed, expiring tokens (accounts.ApiToken).
    A member of a group that requires two-factor sign-in who has not set it up is refused: a token may have been
    obtained with a password alone (the session API is refused the same way by accounts.middleware).
    """

    def authenticate_credentials(self, key):
        token = ApiToken.objects.for_key(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        user = token.user
        groups = two_factor_missing(user)
        if groups:
            raise exceptions.PermissionDenied(two_factor_message(groups))
        token.mark_used()
        # The audit rows written for this request name the token (accounts.audit).
        user.api_token_used = token
        return user, token
