from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from accounts.models import ApiToken


class TokenAuthentication(authentication.TokenAuthentication):
    """
    DRF's "Authorization: Token <key>" header, checked against our hashed, expiring tokens (accounts.ApiToken).
    A group that requires two-factor sign-in of a member who has not set it up is left out of what they may read
    and do, through a token as through a session (accounts.scoping); their other groups are not.
    """

    def authenticate_credentials(self, key):
        token = ApiToken.objects.for_key(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        token.mark_used()
        # The audit rows written for this request name the token (accounts.audit).
        token.user.api_token_used = token
        return token.user, token
