"""The nginx configs in deploy/, run by Debian's nginx: the caching proxy keeps what the app
allows and no longer, and the frozen site goes out with the app's own security headers."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from bench.nginx import CACHE_PURGE, deploy_server_block, nginx
from blog.settings import load
from blog.web.previews import signature
from blog.web.security import PROXY_SENT, security_headers
from blog.web.state import get_settings
from tests.articles import Content, article_text
from tests.live import fetch, free_port, gunicorn, require_binary, require_file

pytestmark = pytest.mark.server
MAX_AGE = 2  # seconds the app lets a cache keep a page (HTTP_MAX_AGE)
CHECK_INTERVAL = 1.0  # the app's default CONTENT_CHECK_INTERVAL
SECRET = "test-secret"
APP_SETTINGS = {
    "HTTP_MAX_AGE": str(MAX_AGE),
    "SECRET_KEY": SECRET,
    "STORE_DIR": "off",
    "SITE_URL": "http://news.example",
}
QUAY_ALIAS = "aliases:\n  - /old/quay/"


@dataclass
class Proxy:
    app: str
    proxy: str
    content: Path


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    return require_binary("nginx")


@contextmanager
def proxied_app(tmp_path: Path, nginx_binary: str, **settings: str) -> Iterator[Proxy]:
    """gunicorn with the app, and nginx with deploy/nginx-proxy.conf in front of it."""
    content = tmp_path / "content"
    content.mkdir()
    (content / "quay.md").write_text(article_text(title="The Quay Reopens", front=QUAY_ALIAS))
    (content / "draft.md").write_text(article_text(title="Not Yet", front="draft: true"))
    port = free_port()
    images = tmp_path / "images"
    settings = {"IMAGES_DIR": str(images), "IMAGE_GROUP_READ": "1", **settings}
    with gunicorn(content, **{**APP_SETTINGS, **settings}) as app_base:
        block = deploy_server_block(
            "nginx-proxy.conf",
            **{
                "listen 80": f"listen 127.0.0.1:{port}",
                "/var/cache/nginx/courier": str(tmp_path / "cache"),
                "127.0.0.1:8000": app_base.removeprefix("http://"),
                "/var/lib/courier/images": str(images),
            },
        )
        with nginx(block, tmp_path / "nginx", nginx_binary):
            yield Proxy(app_base, f"http://127.0.0.1:{port}", content)


@pytest.fixture
def proxy(tmp_path: Path, nginx_binary: str) -> Iterator[Proxy]:
    """The app set up as docs/deploy.md says: nginx sends the security headers."""
    with proxied_app(tmp_path, nginx_binary, PROXY_SENDS_SECURITY_HEADERS="1") as running:
        yield running


def cache_status(base: str, path: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    status, got, body = fetch(base + path, headers)
    assert status == 200, (path, status)
    return got.get("X-Cache-Status", ""), got, body


def test_the_proxy_answers_from_its_cache_with_the_apps_page(proxy: Proxy) -> None:
    first, _, body = cache_status(proxy.proxy, "/news/quay/")
    second, headers, again = cache_status(proxy.proxy, "/news/quay/")
    assert (first, second) == ("MISS", "HIT")
    assert again == body == fetch(proxy.app + "/news/quay/")[2]
    assert headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'none'")
    assert headers["Cache-Control"] == f"public, max-age={MAX_AGE}"


def test_an_edit_shows_through_the_proxy_within_max_age_and_the_check_interval(
    proxy: Proxy,
) -> None:
    path = "/news/quay/"
    cache_status(proxy.proxy, path)
    assert cache_status(proxy.proxy, path)[0] == "HIT"
    edited = proxy.content / ".quay.md.tmp"
    edited.write_text(article_text(title="The Quay Reopens", body="Ferries sail again at dawn."))
    os.replace(edited, proxy.content / "quay.md")  # as git does: a new file, renamed in
    start = time.monotonic()
    # nginx counts expiry in whole seconds; the rest is slack for a loaded machine.
    promised = start + MAX_AGE + CHECK_INTERVAL + 2.5
    while b"Ferries sail again" not in cache_status(proxy.proxy, path)[2]:
        assert time.monotonic() < promised, "edit never shown"
        time.sleep(0.1)
    # Past the promise, every reader gets the new page, from the cache again: nginx reopened
    # the refreshed cache file rather than the one it held open. (Just after the first new
    # copy, a reader can still get the old one while nginx finishes storing the new, or from
    # a gunicorn worker that has not yet seen the edit.)
    time.sleep(max(0.0, promised - time.monotonic()))
    answers = [cache_status(proxy.proxy, path) for _ in range(20)]
    assert "HIT" in {status for status, _, _ in answers}
    seen = [(status, b"Ferries sail again" in body) for status, _, body in answers]
    assert all(new for _, new in seen), seen


def test_image_sizes_are_made_by_the_app_once_then_served_by_nginx_from_disk(
    proxy: Proxy,
) -> None:
    (proxy.content / "pictured.md").write_text(
        article_text(title="Pictured", front="featuredimage: /static/images/tide-lines.webp")
    )
    deadline = time.monotonic() + 10
    while fetch(proxy.app + "/news/pictured/")[0] != 200:
        assert time.monotonic() < deadline, "the new article never showed"
        time.sleep(0.1)
    html = fetch(proxy.app + "/news/pictured/")[2].decode()
    url = re.search(r"/img/[0-9a-f]{16}-w720-[0-9a-f]{10}\.webp", html)[0]
    first = fetch(proxy.proxy + url)
    if first[0] == 503 or first[1].get("Cache-Control") == "no-store":
        time.sleep(2)  # being made (a stand-in meanwhile): it will be there
        first = fetch(proxy.proxy + url)
    assert first[0] == 200
    name = url.rsplit("/", 1)[1]
    made = fetch(proxy.app + url)
    assert made[1]["ETag"] == f'"{name.rsplit(".", 1)[0]}"'  # the app's
    status, headers, body = fetch(proxy.proxy + url)
    assert status == 200 and body == made[2] == first[2]
    assert headers["ETag"] != made[1]["ETag"]  # nginx's own: read from the folder
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Type"] == made[1]["Content-Type"]
    assert fetch(proxy.proxy + "/img/0123456789abcdef-w640-0123456789.jpg")[0] == 404


def test_compressed_and_plain_copies_are_kept_apart(proxy: Proxy) -> None:
    path = "/news/quay/"
    for _ in range(2):
        _, zipped, zipped_body = cache_status(proxy.proxy, path, **{"Accept-Encoding": "gzip"})
        plain_status, plain, plain_body = cache_status(proxy.proxy, path)
    assert zipped["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(zipped_body) == plain_body
    assert plain_body.startswith(b"<!doctype html>") and plain_status == "HIT"


def test_readers_asking_for_the_same_coding_share_one_copy(proxy: Proxy) -> None:
    path = "/news/quay/"
    first, headers, body = cache_status(proxy.proxy, path, **{"Accept-Encoding": "gzip, br"})
    same, _, again = cache_status(proxy.proxy, path, **{"Accept-Encoding": "br;q=1.0, gzip"})
    assert (first, same) == ("MISS", "HIT") and again == body
    assert headers["Content-Encoding"] == "br" and headers["Vary"] == "Accept-Encoding"
    for header, coding in [
        ("gzip, br;q=0", "gzip"),
        ("br;q=0.0, gzip", "gzip"),
        ("br;q=0.5, gzip;q=0", "br"),
        ("gzip;q=0.8", "gzip"),
    ]:
        _, answer, _ = cache_status(proxy.proxy, path, **{"Accept-Encoding": header})
        assert answer.get("Content-Encoding") == coding, header
    _, plain, _ = cache_status(proxy.proxy, path, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain


def raw_get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: status, headers and body."""
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("GET", "/" + path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


# What an outside probe sent: a forwarded prefix, port, host and scheme of its own choosing.
FORGED = {
    "X-Forwarded-Prefix": "//evil.example",
    "X-Forwarded-Port": "6666",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-Proto": "https",
    "Forwarded": "host=evil.example;proto=https",
}


@pytest.mark.parametrize(
    "site_url", ["", "http://news.example"], ids=["request-origin", "site-url"]
)
def test_forged_forwarded_headers_reach_neither_a_page_nor_the_proxys_cache(
    tmp_path: Path, nginx_binary: str, site_url: str
) -> None:
    with proxied_app(tmp_path, nginx_binary, PROXY_FIX="1", SITE_URL=site_url) as running:
        origin = site_url or running.proxy
        for path, status in [
            ("/news/quay/", 200),
            ("/", 200),
            ("/feed.xml", 200),
            ("/old/quay/", 301),
        ]:
            forged = raw_get(running.proxy + path, **FORGED)  # the copy nginx keeps
            later = raw_get(running.proxy + path)  # what every other reader then gets
            assert later[1]["X-Cache-Status"] == "HIT", path
            for answer in (forged, later):
                got, headers, body = answer
                assert got == status, path
                assert b"evil.example" not in body and b"6666" not in body, path
                if status == 301:
                    assert headers["Location"] == "/news/quay/"
            if path == "/news/quay/":
                assert f'<link rel="canonical" href="{origin}/news/quay/">'.encode() in later[2]


def test_a_forged_port_never_reaches_the_canonical_links_readers_get(
    tmp_path: Path, nginx_binary: str
) -> None:
    with proxied_app(tmp_path, nginx_binary, PROXY_FIX="1", SITE_URL="") as running:
        forged = raw_get(running.proxy + "/news/quay/", **{"X-Forwarded-Port": "6666"})
        later = raw_get(running.proxy + "/news/quay/")
        assert later[1]["X-Cache-Status"] == "HIT"
        canonical = f'<link rel="canonical" href="{running.proxy}/news/quay/">'.encode()
        assert canonical in forged[2] and canonical in later[2]


def test_private_previews_are_never_stored(proxy: Proxy) -> None:
    expires = int(time.time()) + 600
    path = f"/preview/draft/?expires={expires}&signature={signature(SECRET, 'draft', expires)}"
    answers = [cache_status(proxy.proxy, path) for _ in range(3)]
    assert all(status != "HIT" for status, _, _ in answers)
    assert all(b"Not Yet" in body for _, _, body in answers)
    assert answers[-1][1]["Cache-Control"] == "private, no-store"


def header_lists(url: str, **headers: str) -> tuple[int, list[tuple[str, str]]]:
    """Status and every header line as sent, repeats included (a dict would merge them)."""
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host, timeout=10)
    try:
        connection.request("GET", "/" + path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        connection.close()


def the_apps_security_headers() -> list[tuple[str, str]]:
    return security_headers(load({}, APP_SETTINGS)[0])


def assert_sent_once_each(url: str, **headers: str) -> int:
    """Every security header of the app's, once, with the app's value; the status."""
    status, got = header_lists(url, **headers)
    for name, value in the_apps_security_headers():
        assert [v for n, v in got if n.lower() == name.lower()] == [value], (url, name)
    return status


def test_nginx_sends_the_security_headers_on_every_answer_from_the_proxy(proxy: Proxy) -> None:
    expires = int(time.time()) + 600
    preview = f"/preview/draft/?expires={expires}&signature={signature(SECRET, 'draft', expires)}"
    for path, status in [
        ("/news/quay/", 200),  # a MISS
        ("/news/quay/", 200),  # a HIT
        ("/feed.xml", 200),
        ("/search?q=quay", 200),
        (preview, 200),
        ("/news/no-such-story/", 404),
    ]:
        assert assert_sent_once_each(proxy.proxy + path) == status, path
    etag = dict(header_lists(proxy.proxy + "/news/quay/")[1])["ETag"]
    assert assert_sent_once_each(proxy.proxy + "/news/quay/", **{"If-None-Match": etag}) == 304
    # The app, told so, left them out of what nginx stored; it keeps HSTS, which nginx does
    # not send (and this http site has none).
    _, straight = header_lists(proxy.app + "/news/quay/")
    assert not {name for name, _ in straight} & PROXY_SENT


def test_the_proxy_sends_each_security_header_once_when_the_app_sends_them_too(
    tmp_path: Path, nginx_binary: str
) -> None:
    with proxied_app(tmp_path, nginx_binary) as running:  # the app's default settings
        _, straight = header_lists(running.app + "/news/quay/")
        assert {name for name, _ in straight} >= PROXY_SENT
        for _ in range(2):  # a MISS, then a HIT
            assert assert_sent_once_each(running.proxy + "/news/quay/") == 200


def test_the_frozen_site_goes_out_with_the_apps_security_headers(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path, nginx_binary: str
) -> None:
    content.article("quay.md", title="The Quay Reopens")
    app = make_app()
    site = tmp_path / "site"
    assert app.test_cli_runner().invoke(args=["freeze", str(site)]).exit_code == 0
    port = free_port()
    block = deploy_server_block(
        "nginx-static.conf",
        **{"listen 80": f"listen 127.0.0.1:{port}", "/srv/courier/site": str(site)},
    )
    css = next((site / "assets" / "css").glob("site.*.css")).relative_to(site)
    with nginx(block, tmp_path / "nginx", nginx_binary):
        base = f"http://127.0.0.1:{port}"
        for path, cache_control, kind in [
            ("/", "public, max-age=60", "text/html"),
            ("/news/quay/", "public, max-age=60", "text/html"),
            ("/feed.xml", "public, max-age=60", "application/rss+xml"),
            (f"/{css}", "public, max-age=31536000, immutable", "text/css"),
        ]:
            status, headers, body = fetch(base + path)
            assert status == 200, path
            for name, value in security_headers(get_settings(app)):
                assert headers.get(name) == value, (path, name)
            assert headers["Cache-Control"] == cache_control, path
            assert headers["Content-Type"].startswith(kind), path
            assert body == app.test_client().get(path).data, path
        assert fetch(base + "/no-such-page/")[0] == 404


def test_the_editor_keeps_its_own_policy_behind_the_proxy(
    tmp_path: Path, nginx_binary: str
) -> None:
    """nginx sends every other page's headers itself; /admin/'s are the app's, once each."""
    import urllib.request

    settings = {"PROXY_SENDS_SECURITY_HEADERS": "1", "DECAP_BACKEND": "local"}
    with proxied_app(tmp_path, nginx_binary, **settings) as running:
        with urllib.request.urlopen(running.proxy + "/admin/config.yml", timeout=10) as answer:
            policies = answer.headers.get_all("Content-Security-Policy")
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["X-Frame-Options"] == "DENY"
        assert len(policies) == 1 and "'unsafe-eval'" in policies[0]
        _, home, _ = fetch(running.proxy + "/")
        assert "script-src 'none'" in home["Content-Security-Policy"]


def test_an_edit_is_purged_from_nginx_while_other_pages_stay_cached(
    tmp_path: Path, nginx_binary: str
) -> None:
    """With nginx-purge.conf and Debian's cache-purge module, nginx keeps pages an hour
    (SHARED_MAX_AGE) and the app purges the ones an edit changes, at once."""
    module = require_file(CACHE_PURGE, "libnginx-mod-http-cache-purge")
    content = tmp_path / "content"
    content.mkdir()
    for name, date in [("ferry", "2025-01-10"), ("market", "2025-03-10"), ("quay", "2025-06-02")]:
        text = article_text(title=f"The {name}", date=f"{date}T07:00:00Z", body=f"About {name}.")
        (content / f"{name}.md").write_text(text)
    port, purge_port = free_port(), free_port()
    settings = {
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SHARED_MAX_AGE": "3600",
        "PURGE_NGINX_URL": f"http://127.0.0.1:{purge_port}",
        "PURGE_DELAY": "0.2",
        "STORE_DIR": str(tmp_path / "store"),
        "PROXY_SENDS_SECURITY_HEADERS": "1",
    }
    with gunicorn(content, **settings) as app_base:
        block = deploy_server_block(
            "nginx-proxy.conf",
            **{
                "listen 80": f"listen 127.0.0.1:{port}",
                "/var/cache/nginx/courier": str(tmp_path / "cache"),
                "127.0.0.1:8000": app_base.removeprefix("http://"),
            },
        ) + deploy_server_block("nginx-purge.conf", **{"127.0.0.1:8089": f"127.0.0.1:{purge_port}"})
        with nginx(block, tmp_path / "nginx", nginx_binary, modules=(module,)):
            proxy = f"http://127.0.0.1:{port}"
            for path in ("/news/quay/", "/news/ferry/"):
                for coding in ("gzip", "identity"):
                    cache_status(proxy, path, **{"Accept-Encoding": coding})
                    status, headers, _ = cache_status(proxy, path, **{"Accept-Encoding": coding})
                    assert status == "HIT", (path, coding)
            assert headers["Cache-Control"] == "public, max-age=60, s-maxage=3600"
            assert not {"Surrogate-Key", "Cache-Tag", "Surrogate-Control"} & set(headers)
            edited = content / ".quay.md.tmp"
            edited.write_text(
                article_text(title="The quay", date="2025-06-02T07:00:00Z", body="Ferries again.")
            )
            os.replace(edited, content / "quay.md")
            start = time.monotonic()
            for coding in ("gzip", "identity"):
                while True:
                    _, _, body = cache_status(proxy, "/news/quay/", **{"Accept-Encoding": coding})
                    if coding == "gzip":
                        body = gzip.decompress(body)
                    if b"Ferries again" in body:
                        break
                    assert time.monotonic() - start < 2, "the edit is not served after 2 s"
                    time.sleep(0.05)
                print(f"edit served by nginx ({coding}) {time.monotonic() - start:.2f} s after")
            # A page that does not show the quay is still nginx's copy.
            assert cache_status(proxy, "/news/ferry/")[0] == "HIT"
            assert cache_status(proxy, "/news/ferry/", **{"Accept-Encoding": "gzip"})[0] == "HIT"
