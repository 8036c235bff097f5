"""
An optional RFC 3161 timestamp of each pack's signature (issue 18): when an operator names a timestamp authority
(PACK_TIMESTAMP_AUTHORITY_URL), the worker asks it to countersign the SHA-256 of manifest.sig and puts its answer in
the ZIP as manifest.sig.tsr, so that anyone can prove the pack existed at that time, even if the site's key later
leaks. With no authority named nothing is sent anywhere. rfc3161-client makes the request and reads the answer;
the standard library sends it (no extra dependency).
"""

import hashlib
import urllib.request
from dataclasses import dataclass

from cryptography import x509
from django.conf import settings
from django.utils.translation import gettext
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

TIMESTAMP_NAME = "manifest.sig.tsr"
TIMEOUT_SECONDS = 20
# A timestamp is a few kilobytes (the authority's certificates included).
MAX_ANSWER_BYTES = 1024 * 1024


class TimestampError(Exception):
    """The timestamp authority did not answer, or answered with something other than a timestamp of the signature."""


def enabled():
    return bool(settings.PACK_TIMESTAMP_AUTHORITY_URL)


def request_timestamp(signature):
    """The authority's timestamp (DER bytes) of `signature`; raises TimestampError. Only call when enabled()."""
    query = TimestampRequestBuilder().data(signature).hash_algorithm(HashAlgorithm.SHA256).build()
    post = urllib.request.Request(settings.PACK_TIMESTAMP_AUTHORITY_URL, data=query.as_bytes(), method="POST",
                                  headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(post, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (an operator's URL)
            body = response.read(MAX_ANSWER_BYTES)
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors; ValueError: not a URL
        raise TimestampError(f"The timestamp authority did not answer: {exc}") from exc
    try:
        answer = decode_timestamp_response(body)
    except ValueError as exc:
        raise TimestampError(f"The timestamp authority's answer is not an RFC 3161 response: {exc}") from exc
    if answer.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampError(f"The timestamp authority refused: status {answer.status}")
    if answer.tst_info.nonce != query.nonce or answer.tst_info.message_imprint.message != _imprint(signature):
        raise TimestampError("The timestamp authority timestamped something else than this pack's signature")
    return answer.as_bytes()


def _imprint(signature):
    return hashlib.sha256(signature).digest()


@dataclass(frozen=True)
class TimestampCheck:
    """What the verify page says of a pack's timestamp: the time, and whether the authority's signature was checked."""

    time: object = None
    checked: bool = False
    problem: str = ""


def check_timestamp(data, signature):
    """Read the timestamp `data` (manifest.sig.tsr) of `signature`; check its authority when its CA is configured."""
    try:
        answer = decode_timestamp_response(data)
        covers = answer.tst_info.message_imprint.message == _imprint(signature)
    except ValueError:
        return TimestampCheck(problem=gettext("The timestamp file cannot be read."))
    if not covers:
        return TimestampCheck(problem=gettext("The timestamp is not of this pack's signature."))
    if not settings.PACK_TIMESTAMP_AUTHORITY_CA_FILE:
        return TimestampCheck(time=answer.tst_info.gen_time)
    try:
        with open(settings.PACK_TIMESTAMP_AUTHORITY_CA_FILE, "rb") as handle:
            root = x509.load_pem_x509_certificate(handle.read())
    except (OSError, ValueError):
        # The operator's file is missing or not a certificate: say the time, unchecked, rather than fail the page.
        return TimestampCheck(time=answer.tst_info.gen_time)
    try:
        VerifierBuilder().add_root_certificate(root).build().verify_message(answer, signature)
    except VerificationError:
        return TimestampCheck(problem=gettext("The timestamp was not signed by the site's timestamp authority."))
    return TimestampCheck(time=answer.tst_info.gen_time, checked=True)
