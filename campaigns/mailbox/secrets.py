"""
The mailbox password, encrypted with Fernet under settings.MAILBOX_ENCRYPTION_KEY (from the environment), so that a
copy of the database (a backup, a dump) does not carry the group's mail credentials.
"""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class KeyMissing(ImproperlyConfigured):
    """MAILBOX_ENCRYPTION_KEY is unset or not a Fernet key: no mailbox can be connected or read."""


def _fernet():
    key = settings.MAILBOX_ENCRYPTION_KEY
    if not key:
        raise KeyMissing("MAILBOX_ENCRYPTION_KEY is not set.")
    try:
        return Fernet(key)
    except (ValueError, TypeError) as exc:
        raise KeyMissing("MAILBOX_ENCRYPTION_KEY is not a valid Fernet key (32 url-safe base64-encoded bytes).") \
            from exc


def key_problem():
    """Why mailboxes are unavailable on this site, or None if the key is in place."""
    try:
        _fernet()
    except KeyMissing as exc:
        return str(exc)
    return None


def encrypt(password):
    return _fernet().encrypt(password.encode()).decode()


def decrypt(token):
    """The password; KeyMissing if the key is missing, or is not the one it was encrypted with."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise KeyMissing("The stored mailbox password was encrypted with another MAILBOX_ENCRYPTION_KEY; "
                         "enter the password again.") from exc
