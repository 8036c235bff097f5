from rest_framework import authentication, exceptions

from accounts.middleware import two_factor_message, two_factor_missing


class TokenAuthentication(authentication.TokenAuthentication):
    """
    DRF's token authentication, except for a member of a group that requires two-factor sign-in who has not set
    it up: a token was obtained with a password alone, so it is refused until they do (the session API is
    refused the same way by accounts.middleware).
    """

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        groups = two_factor_missing(user)
        if groups:
            raise exceptions.PermissionDenied(two_factor_message(groups))
        return user, token
