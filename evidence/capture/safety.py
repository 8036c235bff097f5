"""
Safe fetching for source captures: every request a capture makes, the page's own and each of its images, scripts
and styles, goes through `fetch` here, which
- takes only http and https;
- resolves the host and refuses the request if ANY address is not a public one (loopback, private, link-local
  and the cloud metadata address 169.254.169.254, carrier-grade NAT, multicast, reserved, and their IPv6
  equivalents), so that a page cannot make the server reach its own network;
- connects to the address it checked (the connection is pinned: a second DNS answer cannot swap it), sending the
  host name for TLS (SNI and certificate check) and in the Host header;
- follows at most CAPTURE_MAX_REDIRECTS redirects, checking each new address the same way;
- stops at CAPTURE_MAX_BYTES of body and CAPTURE_REQUEST_SECONDS per request;
- goes through CAPTURE_PROXY (a SOCKS proxy such as Tor) when set, still to the checked address, so that the
  site sees the proxy's address rather than the server's.
The tests serve pages from 127.0.0.1 and allow loopback with CAPTURE_ALLOW_LOOPBACK, a test-only setting.
"""

import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext_noop

from accounts.stored_text import stored

# Why a capture failed, stored untranslated (accounts.stored_text) and shown in the reader's language.
REFUSED_SCHEME = gettext_noop("Only http and https addresses are captured (this one is %(scheme)s).")
REFUSED_ADDRESS = gettext_noop("%(host)s points to an address inside a private network (%(address)s); it is not "
                               "fetched.")
UNRESOLVED = gettext_noop("%(host)s could not be found.")
TOO_MANY_REDIRECTS = gettext_noop("The page redirects more than %(limit)s times (a redirect loop?).")
TOO_BIG = gettext_noop("The page is larger than the limit of %(limit)s bytes.")
TIMED_OUT = gettext_noop("The site did not answer within %(seconds)s seconds.")
UNREACHABLE = gettext_noop("The site could not be reached: %(error)s")

# Besides what `ipaddress` calls private, loopback, link-local, multicast and reserved: carrier-grade NAT
# (100.64.0.0/10, shared by an ISP's customers) and the IPv6 ranges that embed an IPv4 address.
_EXTRA_REFUSED = [ipaddress.ip_network(net) for net in ("100.64.0.0/10", "64:ff9b::/96", "64:ff9b:1::/48",
                                                          "2002::/16", "::ffff:0:0/96")]
REDIRECTS = (301, 302, 303, 307, 308)


class FetchRefused(Exception):
    """The request was not made, or was stopped: its `reason` says why (a stored text)."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


@dataclass
class Fetched:
    """One answer: the URL it came from (after redirects), its status, headers and body, and the chain."""

    url: str
    status: int
    headers: list = field(default_factory=list)  # (name, value) pairs as sent
    body: bytes = b""
    address: str = ""
    redirects: list = field(default_factory=list)  # the earlier Fetched answers that redirected here

    def header(self, name):
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")


def refused_address(address):
    """Whether `address` (an ipaddress object) is one a capture must never reach."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return refused_address(address.ipv4_mapped)
    if address.is_loopback and getattr(settings, "CAPTURE_ALLOW_LOOPBACK", False):
        return False
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified or not address.is_global
            or any(address in network for network in _EXTRA_REFUSED if network.version == address.version))


def checked_address(url):
    """The address to connect to for `url`, once every address its host resolves to was checked."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(stored(REFUSED_SCHEME, scheme=parts.scheme or "-"))
    host = parts.hostname
    if not host:
        raise FetchRefused(stored(UNRESOLVED, host=url[:200]))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(stored(UNRESOLVED, host=host)) from exc
    addresses = [ipaddress.ip_address(answer[4][0].split("%")[0]) for answer in answers]
    for address in addresses:
        # Every answer, not only the first: the one checked is the one connected to, but a host that also names
        # an inside address is someone's attempt.
        if refused_address(address):
            raise FetchRefused(stored(REFUSED_ADDRESS, host=host, address=str(address)))
    return parts, str(addresses[0]), port


def _pool(parts, address, port, timeout):
    """A connection pool to the checked address, sending the host name for TLS and the Host header."""
    host = parts.hostname
    options = {"timeout": timeout, "retries": False, "maxsize": 1}
    if parts.scheme == "https":
        options.update(server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED")
    proxy = getattr(settings, "CAPTURE_PROXY", "")
    if proxy:
        from urllib3.contrib.socks import SOCKSProxyManager

        # socks5:// (not socks5h://): the proxy is handed the address checked here, never the name.
        manager = SOCKSProxyManager(proxy.replace("socks5h://", "socks5://"), timeout=timeout, retries=False)
        return manager.connection_from_host(address, port, parts.scheme, pool_kwargs=options)
    pool_class = urllib3.HTTPSConnectionPool if parts.scheme == "https" else urllib3.HTTPConnectionPool
    return pool_class(address, port, **options)


def _fetch_once(url, *, method, headers, body, budget):
    parts, address, port = checked_address(url)
    host_header = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    seconds = settings.CAPTURE_REQUEST_SECONDS
    pool = _pool(parts, address, port, urllib3.Timeout(connect=min(seconds, 15), read=seconds))
    sent = {key: value for key, value in (headers or {}).items() if key.lower() not in ("host", "cookie")}
    sent["Host"] = host_header
    try:
        response = pool.urlopen(method, path, body=body, headers=sent, redirect=False, preload_content=False,
                                assert_same_host=False, decode_content=True)
        chunks, size = [], 0
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > budget:
                raise FetchRefused(stored(TOO_BIG, limit=settings.CAPTURE_MAX_BYTES))
            chunks.append(chunk)
        response.release_conn()
    except urllib3.exceptions.NewConnectionError as exc:  # refused (a subclass of the timeout error, not one)
        raise FetchRefused(stored(UNREACHABLE, error=str(exc)[:300])) from exc
    except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
        raise FetchRefused(stored(TIMED_OUT, seconds=seconds)) from exc
    except urllib3.exceptions.HTTPError as exc:
        raise FetchRefused(stored(UNREACHABLE, error=str(exc)[:300])) from exc
    finally:
        pool.close()
    return Fetched(url=url, status=response.status, headers=list(response.headers.items()), body=b"".join(chunks),
                   address=address)


def fetch(url, *, method="GET", headers=None, body=None, budget=None, follow=True):
    """
    `url`'s answer after at most CAPTURE_MAX_REDIRECTS redirects, each one checked; raises FetchRefused with the
    reason. `budget` is how many body bytes are still allowed (the capture's whole limit by default). Without
    `follow`, a redirect is the answer (the browser follows it, through here again).
    """
    budget = settings.CAPTURE_MAX_BYTES if budget is None else budget
    if not follow:
        return _fetch_once(url, method=method, headers=headers, body=body, budget=budget)
    chain = []
    for _hop in range(settings.CAPTURE_MAX_REDIRECTS + 1):
        answer = _fetch_once(url, method=method, headers=headers, body=body, budget=budget)
        location = answer.header("Location")
        if answer.status not in REDIRECTS or not location:
            answer.redirects = chain
            return answer
        chain.append(answer)
        url = urljoin(url, location)
        if answer.status == 303 or (answer.status in (301, 302) and method == "POST"):
            method, body = "GET", None
    raise FetchRefused(stored(TOO_MANY_REDIRECTS, limit=settings.CAPTURE_MAX_REDIRECTS))
