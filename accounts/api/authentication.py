from rest_framework import authentication


class TokenAuthentication(authentication.TokenAuthentication):
    """
    DRF's token authentication. A group that requires two-factor sign-in of a member who has not set it up is
    left out of what they may read and do, through a token as through a session (accounts.scoping); their other
    groups are not.
    """
