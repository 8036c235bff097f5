"""
The site's signatures of the manifests it writes (briefing packs, group backups): an HMAC-SHA256 of the manifest,
without its "signature" member, in canonical JSON, keyed with django.utils.crypto.salted_hmac, i.e. a key derived
from SECRET_KEY and a salt of each kind of manifest, so that a signature of one kind is never valid for another.
Only the site can make or check one. SECRET_KEY_FALLBACKS are accepted, so rotating the key does not invalidate
what was signed before.
"""

import json

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

ALGORITHM = "HMAC-SHA256"


def _canonical(manifest):
    unsigned = {key: value for key, value in manifest.items() if key != "signature"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _mac(manifest, salt, secret):
    return salted_hmac(salt, _canonical(manifest), secret=secret, algorithm="sha256").hexdigest()


def sign(manifest, *, salt):
    """`manifest` with its "signature" member: the algorithm, which key (described, never the key) and the value."""
    return {**manifest, "signature": {"algorithm": ALGORITHM,
                                      "key": f"the site's key: salted_hmac(SECRET_KEY, salt '{salt}')",
                                      "value": _mac(manifest, salt, settings.SECRET_KEY)}}


def is_signed(manifest):
    return isinstance(manifest, dict) and isinstance(manifest.get("signature"), dict)


def signature_is_valid(manifest, *, salt):
    if not is_signed(manifest) or manifest["signature"].get("algorithm") != ALGORITHM:
        return False
    value = manifest["signature"].get("value")
    if not isinstance(value, str):
        return False
    return any(constant_time_compare(value, _mac(manifest, salt, secret))
               for secret in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])])
