"""
A briefing pack's manifest and its signature.

manifest.json lists every other file of the pack with its SHA-256 and size, the scope, the options, what
redaction withheld (counts only), who generated it and when. The signature is an HMAC-SHA256 of the manifest
(without its "signature" member) in canonical JSON, keyed with django.utils.crypto.salted_hmac: a key derived from
SECRET_KEY and the salt below (config.signatures), so it proves the site made the manifest and nobody changed it,
and only the site can check it (SECRET_KEY_FALLBACKS are accepted, so rotating the key does not invalidate the
packs already handed out).
"""

from django.conf import settings

from config import signatures

MANIFEST_FORMAT = "disentangle-briefing-pack"
MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_SALT = "disentangle.campaigns.packs.manifest"


def build_manifest(content, entries, *, pack, generated_at):
    briefing = content.briefing
    return {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "site": settings.SITE_URL,
        "pack": pack.pk,
        "group": pack.group.name,
        "generated_at": briefing["generated_at"],
        "generated_by": briefing["generated_by"],
        "scope": content.scope,
        "options": pack.options(),
        "withheld": content.withheld,
        "counts": {"targets": len(briefing["targets"]), "evidence": len(briefing["evidence"]),
                   "attachments": len(content.attachments)},
        "files": entries,
    }


def sign(manifest):
    return signatures.sign(manifest, salt=SIGNATURE_SALT)


def signature_is_valid(manifest):
    return signatures.signature_is_valid(manifest, salt=SIGNATURE_SALT)

