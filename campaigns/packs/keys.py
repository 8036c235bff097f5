"""
The site's Ed25519 keys, with which every briefing pack's manifest is signed so that anyone can check a pack with
`openssl` alone, without this site (issue 18).

- The current private key comes from settings: PACK_SIGNING_KEY (the PEM itself) or else the file
  PACK_SIGNING_KEY_FILE (default var/pack-signing-key.pem). It is never stored in the database. Every web process
  and worker reads the same key from its settings, so a pack built on one machine verifies on another. Only in
  development is a missing key file generated on first use (so `make run` and the tests need no configuration); in
  production a missing key is an error that names the command to run (generate_pack_signing_key).
- Earlier keys, after a rotation, are public keys only: PEM files in PACK_SIGNING_OLD_KEYS_DIR named
  `<valid from>_<valid until>.pem` (dates as YYYY-MM-DD), e.g. `2026-01-10_2026-12-06.pem`. A pack signed by one
  of them still verifies, and the verdict names its dates.
- A key is named by its fingerprint: the SHA-256 of its DER SubjectPublicKeyInfo, which anyone can compute with
  `openssl pkey -pubin -in public-key.pem -outform DER | sha256sum`.
"""

import datetime
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "Ed25519"
OLD_KEY_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})\.pem$")


class SigningKeyMissing(ImproperlyConfigured):
    """A production site given no signing key: packs cannot be built, but earlier keys still verify."""


@dataclass(frozen=True)
class SiteKey:
    """One public key of the site: the current one (until is None) or an earlier one, with its dates."""

    public_key: Ed25519PublicKey
    valid_from: datetime.date | None
    valid_until: datetime.date | None

    @property
    def current(self):
        return self.valid_until is None

    @property
    def pem(self):
        return public_pem(self.public_key)

    @property
    def pem_text(self):
        return self.pem.decode()

    @property
    def fingerprint(self):
        return fingerprint(self.public_key)


def public_pem(public_key):
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def new_private_key_pem():
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def public_key_of(private_pem):
    return _load_private_pem(private_pem, "the key").public_key()


def write_private_key(path, pem):
    """
    Write `pem` to a new file readable by its owner only (0600); raises FileExistsError rather than overwrite a key.
    Written whole under a temporary name and then linked into place, so that processes starting together (the
    test suite's workers, `make run`) never read a half-written key: one wins, the others read its key.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pack-signing-key-")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        os.unlink(temporary)


def _load_private_pem(pem, where):
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{where} is not an unencrypted PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{where} must be an Ed25519 key (manage.py generate_pack_signing_key)")
    return key


def private_key():
    """The current signing key, read from settings each time (a rotation takes effect on the next restart)."""
    if settings.PACK_SIGNING_KEY:
        return _load_private_pem(settings.PACK_SIGNING_KEY.encode(), "PACK_SIGNING_KEY")
    path = Path(settings.PACK_SIGNING_KEY_FILE)
    if not path.exists():
        if settings.PRODUCTION:
            raise SigningKeyMissing(
                f"The site has no key to sign briefing packs: {path} does not exist. Run "
                f"`manage.py generate_pack_signing_key --out {path}` or set PACK_SIGNING_KEY_FILE.")
        try:
            write_private_key(path, new_private_key_pem())
        except FileExistsError:
            pass  # another process of the same development site made it first: use theirs
    return _load_private_pem(path.read_bytes(), f"PACK_SIGNING_KEY_FILE ({path})")


def _date(value, name):
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a date like 2026-12-06, not {value!r}") from exc


def current_key():
    return SiteKey(private_key().public_key(), _date(settings.PACK_SIGNING_KEY_SINCE, "PACK_SIGNING_KEY_SINCE"), None)


def old_keys():
    """The earlier public keys, newest first; a file in the folder not named by the rule is an error, not ignored."""
    folder = Path(settings.PACK_SIGNING_OLD_KEYS_DIR)
    if not folder.is_dir():
        return []
    keys = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        match = OLD_KEY_NAME.match(path.name)
        if not match:
            raise ImproperlyConfigured(
                f"{path}: name the site's earlier public keys <valid from>_<valid until>.pem, e.g. "
                f"2026-01-10_2026-12-06.pem")
        try:
            public_key = serialization.load_pem_public_key(path.read_bytes())
        except ValueError as exc:
            raise ImproperlyConfigured(f"{path} is not a PEM public key: {exc}") from exc
        if not isinstance(public_key, Ed25519PublicKey):
            raise ImproperlyConfigured(f"{path} is not an Ed25519 public key")
        keys.append(SiteKey(public_key, _date(match[1], str(path)), _date(match[2], str(path))))
    return sorted(keys, key=lambda key: key.valid_until, reverse=True)


def site_keys():
    """Every public key of the site, the current one first (none, on a production site given no key yet)."""
    try:
        current = [current_key()]
    except SigningKeyMissing:
        current = []
    return [*current, *old_keys()]


def sign(data):
    """The detached Ed25519 signature of `data` (64 bytes) and the key that made it."""
    key = private_key()
    return key.sign(data), fingerprint(key.public_key())


def key_that_signed(data, signature):
    """The site's key (current or earlier) whose signature of `data` `signature` is, else None."""
    for key in site_keys():
        try:
            key.public_key.verify(signature, data)
        except InvalidSignature:
            continue
        return key
    return None


def key_by_fingerprint(value):
    return next((key for key in site_keys() if key.fingerprint == value), None)


def retire_current_key(until):
    """
    Copy the current public key into the earlier keys' folder, dated from PACK_SIGNING_KEY_SINCE until `until`,
    before the operator installs a new private key. Returns the file written.
    """
    key = current_key()
    if key.valid_from is None:
        raise ImproperlyConfigured("Set PACK_SIGNING_KEY_SINCE (the date the current key came into use) to retire it")
    folder = Path(settings.PACK_SIGNING_OLD_KEYS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key.valid_from.isoformat()}_{until.isoformat()}.pem"
    path.write_bytes(key.pem)
    return path


def configuration_errors():
    """
    What is wrong with the keys' settings, for the system check (campaigns.apps), so that a malformed key or an
    earlier key's misnamed file stops the site at start-up rather than making the verify page fail. A missing key
    file is not an error here: development makes it on first use, and production only cannot build packs.
    """
    problems = []
    checks = [old_keys, lambda: _date(settings.PACK_SIGNING_KEY_SINCE, "PACK_SIGNING_KEY_SINCE")]
    if settings.PACK_SIGNING_KEY or Path(settings.PACK_SIGNING_KEY_FILE).exists():
        checks.append(private_key)
    authority_ca = settings.PACK_TIMESTAMP_AUTHORITY_CA_FILE
    if authority_ca and not Path(authority_ca).is_file():
        problems.append(f"PACK_TIMESTAMP_AUTHORITY_CA_FILE names no file: {authority_ca}")
    for check in checks:
        try:
            check()
        except ImproperlyConfigured as exc:
            problems.append(str(exc))
        except OSError as exc:
            problems.append(f"The pack signing keys cannot be read: {exc}")
    return problems
