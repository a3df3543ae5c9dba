"""One remote image, fetched the careful way: the standard library's HTTP client on a socket
we connected ourselves, to an address we checked.

Why not ``urllib``: it resolves the name and connects on its own, so an address check made
before it can be undone by a second DNS answer (rebinding); it follows redirects without
asking; its timeout is per socket operation, which a server sending a byte every few
seconds never trips. Here, for each hop (at most ``max_redirects`` redirects):

1. the URL must be ``http(s)``, carry no user name, and name an allowed host;
2. the name is resolved once, every address it has must be public (unless
   ``allow_private``), and the connection goes to one of those addresses, with the name
   kept for the ``Host`` header and the TLS certificate check;
3. the whole fetch runs against one deadline: each socket operation waits at most what is
   left of it, and a watchdog shuts the socket at the deadline whatever is blocking;
4. the body is read in pieces up to ``max_bytes`` (an announced length over it is refused
   before reading), must be sent as an image (or as bytes of no stated type), and not
   compressed for transport.

What comes back is checked again by its bytes (``probe.identify``) by the caller.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from blog.images.probe import Unusable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]  # (host, port) -> addresses

CHUNK = 64 * 1024
REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "HarbourCourier-images/1 (fetches an article's pictures once)"
ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,image/*;q=0.8"
UNTYPED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Name lookups run in threads of their own, so a resolver that hangs holds one of them, not
# the fetch: (process id, pool), made again in a forked child, which has none of its threads.
_LOOKUPS: tuple[int, ThreadPoolExecutor] | None = None


@dataclass(frozen=True, slots=True)
class FetchRules:
    """What a fetch may do (the ``IMAGE_FETCH_*`` and ``IMAGE_MAX_BYTES`` settings)."""

    hosts: tuple[str, ...] = ()  # names, or "*.example.org"; empty: any host
    allow_private: bool = False
    max_bytes: int = 20 * 1024 * 1024
    timeout: float = 15.0  # seconds for everything: lookups, connections, redirects, body
    connect_timeout: float = 5.0
    max_redirects: int = 3


@dataclass(frozen=True, slots=True)
class Fetched:
    """A body that came back as an image: the URL it came from last, its declared type."""

    url: str
    content_type: str
    data: bytes


def fetch(url: str, rules: FetchRules, resolver: Resolver | None = None) -> Fetched:
    """GET ``url`` under ``rules``; ``Unusable`` with the reason when it cannot be had."""
    deadline = time.monotonic() + rules.timeout
    for _ in range(rules.max_redirects + 1):
        target = _target(url, rules)
        addresses = _addresses(target, rules, deadline, resolver or _resolve)
        status, headers, body = _get(target, addresses, rules, deadline)
        if status not in REDIRECTS:
            return Fetched(url, headers.get("content-type", ""), body)
        location = headers.get("location")
        if not location:
            raise Unusable(f"HTTP {status} redirect from {target.host} without a Location")
        url = urljoin(url, location.strip())
    raise Unusable(f"more than {rules.max_redirects} redirects")


def host_allowed(host: str, hosts: Sequence[str]) -> bool:
    """True when ``hosts`` is empty or names ``host`` (``*.example.org``: its subdomains)."""
    if not hosts:
        return True
    for allowed in (h.strip().lower().rstrip(".") for h in hosts):
        if host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:])):
            return True
    return False


def public(address: Address) -> bool:
    """True for an address on the public internet, including one that another encodes
    (IPv4-mapped, 6to4, Teredo, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        inner: list[Address] = [
            a for a in (address.ipv4_mapped, address.sixtofour) if a is not None
        ]
        inner += list(address.teredo or ())
        if address in _NAT64:
            inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(not public(a) for a in inner):
            return False
    return address.is_global and not (address.is_multicast or address.is_reserved)


@dataclass(frozen=True, slots=True)
class _Target:
    """Where one request goes."""

    scheme: str
    host: str  # as written, for messages
    ascii_host: str  # as looked up and sent (IDNA)
    port: int
    path: str  # with the query, percent-encoded


def _target(url: str, rules: FetchRules) -> _Target:
    """Where a URL we may fetch points."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise Unusable(f"not a valid URL ({e})") from e
    if parts.scheme not in ("http", "https"):
        raise Unusable(f"not an http(s) URL: {url[:80]}")
    if parts.username is not None or parts.password is not None:
        raise Unusable("a URL with a user name or password is not fetched")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Unusable(f"no host in the URL {url[:80]}")
    if not host_allowed(host, rules.hosts):
        raise Unusable(f"{host} is not one of the hosts images are fetched from")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise Unusable(f"not a valid host name: {host[:80]}") from e
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # Spaces and non-ASCII as editors paste them, percent-encoded; escapes already there kept.
    path = quote(path, safe="/%:@!$&'()*+,;=?~")
    port = port or (443 if parts.scheme == "https" else 80)
    return _Target(parts.scheme, host, ascii_host, port, path)


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _lookups() -> ThreadPoolExecutor:
    global _LOOKUPS
    if _LOOKUPS is None or _LOOKUPS[0] != os.getpid():
        _LOOKUPS = (os.getpid(), ThreadPoolExecutor(2, thread_name_prefix="image-dns"))
    return _LOOKUPS[1]


def _addresses(
    target: _Target, rules: FetchRules, deadline: float, resolver: Resolver
) -> list[Address]:
    """The host's addresses, every one of them allowed; ``Unusable`` otherwise."""
    host = target.host
    lookup = _lookups().submit(resolver, target.ascii_host, target.port)
    try:
        found = lookup.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout as e:
        raise Unusable(f"no answer looking up {host} in time", lasting=False) from e
    except (OSError, UnicodeError) as e:
        raise Unusable(f"{host} not found ({e})", lasting=False) from e
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in dict.fromkeys(found)]
    if not addresses:
        raise Unusable(f"{host} has no address", lasting=False)
    refused = [a for a in addresses if not public(a)]
    if refused and not rules.allow_private:
        raise Unusable(
            f"{host} is at {refused[0]}, a private, loopback or otherwise non-public address"
        )
    return addresses


def _get(
    target: _Target, addresses: list[Address], rules: FetchRules, deadline: float
) -> tuple[int, dict[str, str], bytes]:
    """One request: (status, headers, the body; empty for a redirect)."""
    host = target.ascii_host
    watchdog = _Watchdog(_connect(target, addresses, rules, deadline), deadline)
    try:
        if target.scheme == "https":
            context = ssl.create_default_context()
            watchdog.sock = context.wrap_socket(watchdog.sock, server_hostname=host)
        connection = _Connection(host, target.port, watchdog.sock)
        name = f"[{host}]" if ":" in host else host
        default = 443 if target.scheme == "https" else 80
        headers = {
            "Host": name if target.port == default else f"{name}:{target.port}",
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Encoding": "identity",
            "Connection": "close",
        }
        connection.request("GET", target.path, headers=headers)
        response = connection.getresponse()
        found = {k.lower(): v for k, v in response.getheaders()}
        if response.status in REDIRECTS:
            return response.status, found, b""
        _acceptable(response.status, found, host, rules)
        return response.status, found, _body(response, rules, deadline)
    except (OSError, ValueError, http.client.HTTPException) as e:
        if time.monotonic() >= deadline:
            raise Unusable(f"took longer than {rules.timeout:g} s", lasting=False) from e
        if isinstance(e, ssl.SSLError):
            raise Unusable(f"TLS with {host} failed ({e.reason or e})", lasting=False) from e
        if isinstance(e, TimeoutError):
            raise Unusable(
                f"{host} stopped sending for {rules.connect_timeout:g} s", lasting=False
            ) from e
        if isinstance(e, ValueError | http.client.HTTPException) and not isinstance(
            e, http.client.IncompleteRead | http.client.RemoteDisconnected
        ):
            raise Unusable(f"{host} did not answer in HTTP ({type(e).__name__}: {e})") from e
        raise Unusable(f"{host} broke off ({type(e).__name__}: {e})", lasting=False) from e
    finally:
        watchdog.stop()


class _Watchdog:
    """Shuts the socket at the deadline, so whatever the fetch is blocked on returns."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock  # replaced by its TLS wrapper, which then owns the connection
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._shut)
        self._timer.daemon = True
        self._timer.start()

    def _shut(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already

    def stop(self) -> None:
        self._timer.cancel()
        self.sock.close()


def _connect(
    target: _Target, addresses: list[Address], rules: FetchRules, deadline: float
) -> socket.socket:
    """A socket connected to the first of ``addresses`` that answers."""
    failure: OSError | None = None
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            sock = socket.create_connection(
                (str(address), target.port), timeout=min(rules.connect_timeout, left)
            )
        except OSError as e:
            failure = e
            continue
        sock.settimeout(max(0.01, min(rules.connect_timeout, deadline - time.monotonic())))
        return sock
    if time.monotonic() >= deadline:
        raise Unusable(f"took longer than {rules.timeout:g} s", lasting=False)
    raise Unusable(f"could not connect to {target.host} ({failure})", lasting=False)


def _acceptable(status: int, headers: dict[str, str], host: str, rules: FetchRules) -> None:
    """``Unusable`` unless the reply is a whole image of acceptable size and type."""
    if status != 200:
        lasting = 400 <= status < 500 and status not in (408, 425, 429)
        raise Unusable(f"HTTP {status} from {host}", lasting=lasting)
    kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind == "image/svg+xml":
        raise Unusable("an SVG (drawing), never turned into pixels", svg=True)
    if not kind.startswith("image/") and kind not in UNTYPED:
        raise Unusable(f"sent as {kind}, not as an image")
    coding = headers.get("content-encoding", "identity").strip().lower()
    if coding not in ("", "identity"):
        raise Unusable(f"sent compressed ({coding}), which an image never needs")
    length = headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > rules.max_bytes:
        raise Unusable(f"{_size(int(length))}, over the limit of {_size(rules.max_bytes)}")


def _body(response: http.client.HTTPResponse, rules: FetchRules, deadline: float) -> bytes:
    """The body, a piece at a time, stopped at the size limit and at the deadline."""
    pieces: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() >= deadline:
            raise Unusable(f"took longer than {rules.timeout:g} s", lasting=False)
        piece = response.read1(CHUNK)
        if not piece:
            break
        size += len(piece)
        if size > rules.max_bytes:
            raise Unusable(f"over the limit of {_size(rules.max_bytes)} (stopped reading there)")
        pieces.append(piece)
    if time.monotonic() >= deadline:  # the watchdog ended the body, not the server
        raise Unusable(f"took longer than {rules.timeout:g} s", lasting=False)
    if response.length:  # fewer bytes than announced: cut off
        raise Unusable("the connection closed before the whole image came", lasting=False)
    return b"".join(pieces)


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.0f} kB"


class _Connection(http.client.HTTPConnection):
    """An HTTP connection over a socket connected (and checked) already."""

    def __init__(self, host: str, port: int, sock: socket.socket) -> None:
        super().__init__(host, port)
        self.sock = sock

    def connect(self) -> None:  # never: the socket is given
        raise http.client.HTTPException("connection already closed")
