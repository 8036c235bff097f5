"""
The IMAP connection to a group's mailbox: TLS only, with the certificate checked, a timeout on every step, and
its failures told in plain words (MailboxError) for the mailbox form and the fetch job's row.

Messages are read with BODY.PEEK, so nothing on the server changes: the group's own mail program still sees them
as unread, and a fetch that failed halfway has moved nothing.
"""

import imaplib
import ipaddress
import re
import socket
import ssl
from contextlib import contextmanager

from django.conf import settings
from django.utils.translation import gettext_noop

from accounts.stored_text import for_reader, stored

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox could not be read; `str()` says why in the reader's language, `stored` keeps it for a row."""

    def __init__(self, msgid, **params):
        self.stored = stored(msgid, **params)
        super().__init__(self.stored)

    def __str__(self):
        return for_reader(self.stored)


def _refuse_private(host):
    """A coordinator must not make the site probe the machines next to it: public addresses only (except in tests)."""
    if settings.MAILBOX_ALLOW_PRIVATE_HOSTS:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except (socket.gaierror, UnicodeError) as exc:
        raise MailboxError(gettext_noop("The server %(host)s was not found."), host=host) from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise MailboxError(gettext_noop("The server %(host)s is on a private network address; use the mail "
                                            "provider's public IMAP server."), host=host)


def _tls_context():
    context = ssl.create_default_context()
    if settings.MAILBOX_TLS_CA_FILE:
        context.load_verify_locations(cafile=settings.MAILBOX_TLS_CA_FILE)
    return context


class Connection:
    """An open, logged-in mailbox with its folder selected."""

    def __init__(self, imap, uid_validity, host):
        self.imap, self.uid_validity, self.host = imap, uid_validity, host

    def _ok(self, response, what):
        status, data = response
        if status != "OK":
            raise MailboxError(gettext_noop("The mailbox refused to %(what)s: %(answer)s"), what=what,
                               answer=_text(data))
        return data

    def _uid(self, *args):
        """An IMAP UID command; the server going silent or the connection breaking is a MailboxError."""
        try:
            return self.imap.uid(*args)
        except TimeoutError as exc:
            raise MailboxError(gettext_noop("The server %(host)s stopped answering (no reply within %(seconds)s "
                                            "seconds)."), host=self.host,
                               seconds=settings.MAILBOX_TIMEOUT_SECONDS) from exc
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise MailboxError(gettext_noop("The connection to %(host)s broke off (%(error)s)."), host=self.host,
                               error=exc) from exc

    def uids_after(self, last_uid):
        """The UIDs of the messages after `last_uid`, in order (IMAP's "n:*" also returns the last one, so filter)."""
        data = self._ok(self._uid("SEARCH", None, f"UID {last_uid + 1}:*"), "search the folder")
        return sorted(uid for uid in (int(value) for value in b" ".join(data).split()) if uid > last_uid)

    def size(self, uid):
        data = self._ok(self._uid("FETCH", str(uid), "(RFC822.SIZE)"), "give a message's size")
        match = _SIZE.search(b" ".join(part if isinstance(part, bytes) else b"" for part in data))
        return int(match.group(1)) if match else None

    def fetch(self, uid, *, headers_only=False):
        """The message's bytes (its headers only with `headers_only`), or None if it is gone."""
        part = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        data = self._ok(self._uid("FETCH", str(uid), f"({part})"), "send a message")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None


def _text(data):
    return b" ".join(part for part in data if isinstance(part, bytes)).decode("utf-8", "replace")[:300]


@contextmanager
def connect(*, host, port, username, password, folder):
    """
    Log in over TLS and select `folder` read-only; yields a Connection. Raises MailboxError saying what went wrong:
    the server not found or refusing, a timeout, a TLS failure, the login refused, the folder missing.
    """
    _refuse_private(host)
    timeout = settings.MAILBOX_TIMEOUT_SECONDS
    try:
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=_tls_context(), timeout=timeout)
    except TimeoutError as exc:
        raise MailboxError(gettext_noop("The server %(host)s did not answer within %(seconds)s seconds."),
                           host=host, seconds=timeout) from exc
    except ssl.SSLCertVerificationError as exc:
        raise MailboxError(gettext_noop("The TLS certificate of %(host)s could not be verified (%(error)s)."),
                           host=host, error=exc.verify_message or exc) from exc
    except ssl.SSLError as exc:
        raise MailboxError(gettext_noop("A TLS connection to %(host)s:%(port)s failed (%(error)s); the port must "
                                        "speak IMAP over TLS (usually 993)."), host=host, port=port,
                           error=exc.reason or exc) from exc
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(gettext_noop("Could not connect to %(host)s:%(port)s (%(error)s)."), host=host,
                           port=port, error=exc) from exc
    try:
        try:
            uid_validity = _open_folder(imap, username, password, folder)
        except TimeoutError as exc:
            raise MailboxError(gettext_noop("The server %(host)s stopped answering (no reply within %(seconds)s "
                                            "seconds)."), host=host, seconds=timeout) from exc
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise MailboxError(gettext_noop("The connection to %(host)s broke off (%(error)s)."), host=host,
                               error=exc) from exc
        # What the caller does with the open connection raises its own errors; the commands it sends say theirs.
        yield Connection(imap, uid_validity, host)
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _open_folder(imap, username, password, folder):
    """Log in and select `folder` read-only; returns its UIDVALIDITY."""
    try:
        imap.login(username, password)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise MailboxError(gettext_noop("The server refused the login of %(user)s: %(answer)s"), user=username,
                           answer=str(exc)[:300]) from exc
    status, data = imap.select(_quoted(folder), readonly=True)
    if status != "OK":
        raise MailboxError(gettext_noop("The folder “%(folder)s” could not be opened: %(answer)s"),
                           folder=folder, answer=_text(data))
    match = _UIDVALIDITY.search(b" ".join(part for part in imap.untagged_responses.get("OK", [])
                                          if isinstance(part, bytes)))
    if match is None:
        status, data = imap.status(_quoted(folder), "(UIDVALIDITY)")
        match = _UIDVALIDITY.search(b" ".join(part for part in data if isinstance(part, bytes)))
    return int(match.group(1)) if match else 0


def _quoted(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(*, host, port, username, password, folder):
    """Log in and open the folder, as a fetch would; raises MailboxError if that fails."""
    with connect(host=host, port=port, username=username, password=password, folder=folder):
        pass



