import imaplib
import shutil
import ssl
import tempfile
import uuid

import pytest
from cryptography.fernet import Fernet

from campaigns.mailbox import secrets
from campaigns.mailbox.models import Mailbox, MailFetch
from campaigns.mailbox.tasks import fetch_mailbox, queue_fetches
from tests.campaigns.mailbox import dovecot as dovecot_server
from tests.conftest import needs_system_program


@pytest.fixture(scope="session")
def dovecot():
    """Debian's Dovecot on 127.0.0.1, for the whole session (tests/campaigns/mailbox/dovecot.py)."""
    # Not under pytest's temporary folders: those are private to this user, and Dovecot's own processes (its
    # unprivileged user, when the tests run as root) read the configuration and the user list.
    needs_system_program(dovecot_server.DOVECOT, "dovecot-imapd")
    folder = tempfile.mkdtemp(prefix="disentangle-test-dovecot-")
    server = dovecot_server.start(folder)
    yield server
    dovecot_server.stop(server)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mail_settings(settings, dovecot):
    settings.MAILBOX_ENCRYPTION_KEY = Fernet.generate_key().decode()
    settings.MAILBOX_TLS_CA_FILE = dovecot.ca_file
    settings.MAILBOX_ALLOW_PRIVATE_HOSTS = True
    settings.MAILBOX_TIMEOUT_SECONDS = 3
    return settings


class DovecotMailbox:
    """A folder of its own in the test Dovecot account, where a test delivers mail by IMAP APPEND."""

    def __init__(self, server):
        self.server = server
        self.folder = f"t{uuid.uuid4().hex[:12]}"
        with self.imap() as imap:
            imap.create(self.folder)

    def imap(self):
        imap = imaplib.IMAP4_SSL(self.server.host, self.server.port,
                                 ssl_context=ssl.create_default_context(cafile=self.server.ca_file), timeout=5)
        imap.login(self.server.user, self.server.password)
        return imap

    def deliver(self, raw):
        if isinstance(raw, str):
            raw = raw.replace("\r\n", "\n").replace("\n", "\r\n").encode()
        with self.imap() as imap:
            status, data = imap.append(self.folder, None, None, raw)
            assert status == "OK", data

    def fields(self, **overrides):
        return {"host": self.server.host, "port": self.server.port, "username": self.server.user,
                "password": self.server.password, "folder": self.folder, "address": "replies@alpha.example",
                **overrides}


@pytest.fixture
def imap_folder(dovecot, mail_settings):
    return DovecotMailbox(dovecot)


@pytest.fixture
def connected(group, imap_folder, coordinator):
    """Alpha Watch's mailbox, connected to the test folder (as the settings page would, without its check)."""
    fields = imap_folder.fields()
    password = fields.pop("password")
    return Mailbox.objects.create(group=group, password_encrypted=secrets.encrypt(password), connected_by=coordinator,
                                  **fields)


@pytest.fixture
def fetch_cycle():
    """One cycle of the periodic job, with its fetches run here by the task itself; returns the MailFetch rows."""

    def run():
        queue_fetches()
        fetches = list(MailFetch.objects.filter(status=MailFetch.Status.QUEUED).order_by("pk"))
        for fetch in fetches:
            fetch_mailbox.apply(args=[fetch.pk])
        return [MailFetch.objects.get(pk=fetch.pk) for fetch in fetches]

    return run
