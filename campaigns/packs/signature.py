"""
The files that let anyone check a pack without this site (issue 18), written into the ZIP by writers.write_pack:

- public-key.pem: the site's current public key, for convenience. Safe to include: a forger could put their own key
  in a pack, so it proves nothing by itself; VERIFY.txt says to compare it (or its fingerprint) with the key the
  site publishes at /packs/public-key.pem and in its README, and the verify page ignores it, checking against the
  site's own keys only.
- VERIFY.txt: the exact openssl commands, and the verify page's address.
- manifest.json: as before (still carrying the HMAC of the old way), plus which key signs it.
- manifest.sig: the raw Ed25519 signature (64 bytes) of manifest.json's bytes, as `openssl pkeyutl -rawin` checks it.
- manifest.sig.tsr: when a timestamp authority is configured, its RFC 3161 timestamp of manifest.sig.

public-key.pem and VERIFY.txt are listed in the manifest, so they are covered by the signature too.
"""

import hashlib
import json

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from accounts import stored_text
from campaigns.packs import keys, timestamps
from campaigns.packs.manifest import MANIFEST_NAME, sign
from campaigns.packs.scope import PackError

SIGNATURE_NAME = "manifest.sig"
PUBLIC_KEY_NAME = "public-key.pem"
INSTRUCTIONS_NAME = "VERIFY.txt"
# The files of a pack that the manifest cannot list, since they are made from it.
UNLISTED = {MANIFEST_NAME, SIGNATURE_NAME, timestamps.TIMESTAMP_NAME}

OPENSSL_VERIFY = (f"openssl pkeyutl -verify -pubin -inkey {PUBLIC_KEY_NAME} -rawin -in {MANIFEST_NAME} "
                  f"-sigfile {SIGNATURE_NAME}")
OPENSSL_FINGERPRINT = f"openssl pkey -pubin -in {PUBLIC_KEY_NAME} -outform DER | openssl dgst -sha256"
OPENSSL_TIMESTAMP = (f"openssl ts -verify -data {SIGNATURE_NAME} -in {timestamps.TIMESTAMP_NAME} "
                     f"-CAfile tsa-ca.pem")


def site_url(path):
    return settings.SITE_URL.rstrip("/") + path


def instructions(key):
    """VERIFY.txt, in the pack's language (the build runs in it)."""
    site = settings.SITE_URL
    parts = [
        gettext("How to check this briefing pack"),
        gettext("This pack was made by %(site)s. manifest.json lists every other file of the pack with its SHA-256; "
                "manifest.sig is the site's Ed25519 signature of manifest.json. You need only OpenSSL 3.") % {
                    "site": site},
        "1. " + gettext("Check that public-key.pem is the site's key. Anyone can put a key in a ZIP, so compare it "
                        "with the key the site publishes at %(url)s. Its SHA-256 fingerprint is %(fingerprint)s:") % {
                    "url": site_url("/packs/public-key.pem"), "fingerprint": key.fingerprint},
        "   " + OPENSSL_FINGERPRINT,
        "2. " + gettext("Check the signature of the manifest; OpenSSL prints “Signature Verified Successfully” for "
                        "an intact one:"),
        "   " + OPENSSL_VERIFY,
        "3. " + gettext("Check each file against its SHA-256 in manifest.json, for example:"),
        "   openssl dgst -sha256 briefing.pdf",
    ]
    if timestamps.enabled():
        parts += ["4. " + gettext("The signature is timestamped by %(authority)s. With that authority's CA "
                                  "certificate saved as tsa-ca.pem:") % {
                      "authority": settings.PACK_TIMESTAMP_AUTHORITY_URL},
                  "   " + OPENSSL_TIMESTAMP]
    parts.append(gettext("Or upload the whole ZIP to %(url)s: it checks all of this, and also accepts packs signed "
                         "by the site's earlier keys.") % {"url": site_url("/packs/verify/")})
    return ("\n\n".join(parts) + "\n").encode()


def write_verification_files(archive, *, language):
    """Write public-key.pem and VERIFY.txt; return their manifest entries (they are signed with the rest)."""
    key = keys.current_key()
    with translation.override(language):
        text = instructions(key)
    entries = []
    for name, data in ((PUBLIC_KEY_NAME, key.pem), (INSTRUCTIONS_NAME, text)):
        archive.writestr(name, data)
        entries.append({"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    return entries


def write_signed_manifest(archive, manifest):
    """Write manifest.json naming the signing key, its detached signature and, if configured, its timestamp."""
    signature_key = keys.current_key()
    manifest = sign({**manifest, "signing_key": {"algorithm": keys.ALGORITHM, "fingerprint": signature_key.fingerprint,
                                                 "url": site_url("/packs/public-key.pem")}})
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    signature, _fingerprint = keys.sign(data)
    archive.writestr(MANIFEST_NAME, data)
    archive.writestr(SIGNATURE_NAME, signature)
    if timestamps.enabled():
        try:
            archive.writestr(timestamps.TIMESTAMP_NAME, timestamps.request_timestamp(signature))
        except timestamps.TimestampError as exc:
            raise PackError(stored_text.stored(gettext_noop(
                "The pack's signature could not be timestamped (%(error)s). Try again later."),
                error=str(exc))) from exc
