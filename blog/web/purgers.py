"""The caches in front of the site, and how each is told what changed.

- Varnish (``deploy/varnish.vcl``, Debian's ``varnish-modules``' xkey): one ``PURGE`` with
  the keys in ``xkey-purge``.
- nginx (``deploy/nginx-proxy.conf``, Debian's ``libnginx-mod-http-cache-purge``): its module
  purges a cache key at a time, so one request per path that showed a key (``ledger.py``)
  and per coding the cache keeps (none, br, gzip), the key in ``X-Purge-Key``.
- Fastly: its purge-by-surrogate-key API, 256 keys a call.
- Cloudflare: its purge-by-cache-tag API, 30 tags a call.

Each ``send`` raises ``PurgeFailed`` when the cache did not take it; ``Purging`` retries.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from blog.web.ledger import Ledger

TIMEOUT = 10.0  # seconds one call may take
CODINGS = ("", "br", "gzip")  # nginx keeps one copy per coding (deploy/nginx-proxy.conf)

# Loopback caches are reached directly, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_DEFAULT = urllib.request.build_opener()


class PurgeFailed(Exception):
    """A cache or API did not take a purge (unreachable, or an answer other than success)."""


def call(
    method: str,
    url: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    ok: Sequence[int] = (200,),
    direct: bool = False,
) -> tuple[int, bytes]:
    """One HTTP call: (status, body) when the status is one of ``ok``."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = _DIRECT if direct else _DEFAULT
    try:
        with opener.open(request, timeout=TIMEOUT) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    except (OSError, ValueError) as e:  # refused, reset, timed out, a name that is not
        raise PurgeFailed(f"{method} {url}: {e}") from e
    if status not in ok:
        raise PurgeFailed(f"{method} {url}: {status} {data[:200]!r}")
    return status, data


@dataclass
class Varnish:
    """Varnish with xkey at ``url``."""

    url: str
    name: str = "varnish"
    shared: bool = True  # every host sits behind it: one purge for all

    def send(self, tokens: Sequence[str]) -> None:
        call("PURGE", self.url.rstrip("/") + "/", {"xkey-purge": " ".join(tokens)}, direct=True)


@dataclass
class Nginx:
    """nginx's cache-purge location at ``url``, for a cache keyed as
    ``$scheme$host:$server_port$request_uri$courier_coding`` with the site at ``site_url``."""

    url: str
    site_url: str
    ledger: Ledger
    name: str = "nginx"
    shared: bool = False  # each host has its own nginx

    def send(self, tokens: Sequence[str]) -> None:
        origin = urlsplit(self.site_url)
        port = origin.port or (443 if origin.scheme == "https" else 80)
        prefix = f"{origin.scheme}{(origin.hostname or '').lower()}:{port}"
        for path in sorted(self.ledger.paths(tokens)):
            for coding in CODINGS:
                # 404: not in the cache (never asked for, or already gone): nothing to do.
                call(
                    "PURGE",
                    self.url.rstrip("/") + "/",
                    {"X-Purge-Key": prefix + path + coding},
                    ok=(200, 404),
                    direct=True,
                )


def batches(tokens: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    """``tokens`` in runs of at most ``size``: what one call of a CDN's purge API takes."""
    for i in range(0, len(tokens), size):
        yield tokens[i : i + size]


@dataclass
class Fastly:
    """A Fastly service, purged by surrogate key."""

    api_url: str
    service_id: str
    token: str
    name: str = "fastly"
    shared: bool = True
    batch: int = 256  # keys a call takes at most

    def send(self, tokens: Sequence[str]) -> None:
        url = f"{self.api_url.rstrip('/')}/service/{self.service_id}/purge"
        for batch in batches(tokens, self.batch):
            headers = {
                "Fastly-Key": self.token,
                "Surrogate-Key": " ".join(batch),
                "Accept": "application/json",
            }
            call("POST", url, headers)


@dataclass
class Cloudflare:
    """A Cloudflare zone, purged by cache tag."""

    api_url: str
    zone_id: str
    token: str
    name: str = "cloudflare"
    shared: bool = True
    batch: int = 30  # tags a call takes at most

    def send(self, tokens: Sequence[str]) -> None:
        url = f"{self.api_url.rstrip('/')}/zones/{self.zone_id}/purge_cache"
        for batch in batches(tokens, self.batch):
            body = json.dumps({"tags": list(batch)}).encode()
            headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
            _, data = call("POST", url, headers, body)
            try:
                success = json.loads(data).get("success") is True
            except (ValueError, AttributeError):
                success = False
            if not success:
                raise PurgeFailed(f"POST {url}: {data[:200]!r}")
