"""
Public: the site's keys that sign briefing packs, for anyone checking a pack with openssl (issue 18). No group data.
"""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from campaigns.packs import keys
from campaigns.packs.verdict import key_description


def _plain(body, content_type):
    response = HttpResponse(body, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # Public, but changed by a rotation: caches may keep it a little while only.
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def public_key(request):
    """The current public key, as PEM: what VERIFY.txt's openssl commands compare a pack's public-key.pem with."""
    try:
        key = keys.current_key()
    except keys.SigningKeyMissing as exc:
        raise Http404("This site has no key to sign packs yet.") from exc
    return _plain(key.pem, "application/x-pem-file")


@require_safe
def public_keys(request):
    """Every key of the site, the current one first, each with its dates and fingerprint, as plain text."""
    parts = []
    for key in keys.site_keys():
        parts.append(f"# {key_description(key)}\n# SHA-256 {key.fingerprint}\n{key.pem.decode()}")
    return _plain("\n".join(parts), "text/plain; charset=utf-8")
