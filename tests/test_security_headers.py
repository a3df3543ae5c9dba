"""Security headers on every response (pages, feeds, errors, assets, fast-lane hits) but a 304,
which leaves a browser's stored headers as they are."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from blog.web.security import PROXY_SENT
from tests.articles import Content, article_text

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as directive → sources."""
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


@pytest.fixture
def site(content: Content, make_app: Callable[..., Flask]) -> Flask:
    content.write(
        "2025-01-02-quay.md",
        article_text(title="The Quay", front='categoria: Harbour\ntags:\n  - "#Ferries"'),
    )
    return make_app(SECRET_KEY="s" * 32)


def every_kind_of_response(client: FlaskClient, app: Flask) -> dict[str, object]:
    css = next(iter(app.extensions["blog.assets"].items()))
    stem, _, suffix = css[0].rpartition(".")
    return {
        "home": client.get("/"),
        "home again (fast lane)": client.get("/"),
        "article": client.get("/news/quay/"),
        "category": client.get("/category/harbour/"),
        "tag": client.get("/tag/ferries/"),
        "feed": client.get("/feed.xml"),
        "json feed": client.get("/feed.json"),
        "sitemap": client.get("/sitemap.xml"),
        "robots": client.get("/robots.txt"),
        "search": client.get("/search?q=quay"),
        "asset": client.get(f"/assets/{stem}.{css[1]}.{suffix}"),
        "static file": client.get("/static/images/logo.png"),
        "HEAD": client.head("/news/quay/"),
        "404": client.get("/news/nope/"),
        "400": client.get("/search?q=x&page=abc"),
        "405": client.post("/"),
        "hook refused": client.post("/-/hooks/git"),
    }


def test_every_response_carries_the_security_headers(site: Flask) -> None:
    client = site.test_client()
    for name, response in every_kind_of_response(client, site).items():
        headers = response.headers  # type: ignore[attr-defined]
        for header, value in REQUIRED.items():
            assert headers.get(header) == value, (name, header)
        assert "Content-Security-Policy" in headers, name
        assert "camera=()" in headers["Permissions-Policy"], name
        assert "Strict-Transport-Security" not in headers, name  # the site is not https


def test_the_policy_allows_no_inline_or_foreign_script_and_no_framing(site: Flask) -> None:
    csp = policy(site.test_client().get("/").headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert not any("unsafe" in source for sources in csp.values() for source in sources)
    assert csp["frame-src"] == [
        "https://www.youtube.com",
        "https://www.youtube-nocookie.com",
        "https://player.vimeo.com",
    ]


def test_no_embed_hosts_means_no_frames(make_app: Callable[..., Flask]) -> None:
    app = make_app(EMBED_HOSTS=[])
    assert policy(app.test_client().get("/").headers["Content-Security-Policy"])["frame-src"] == [
        "'none'"
    ]


def test_https_sites_send_hsts_on_every_path(site: Flask, make_app: Callable[..., Flask]) -> None:
    app = make_app(SITE_URL="https://news.example", SECRET_KEY="s" * 32)
    client = app.test_client()
    for name, response in every_kind_of_response(client, app).items():
        hsts = response.headers.get("Strict-Transport-Security")  # type: ignore[attr-defined]
        assert hsts == "max-age=31536000", name


def test_pages_need_nothing_the_policy_forbids(site: Flask) -> None:
    """No inline script, style or event handler in any template; styles from our origin.
    The editor's pages (admin*.html, served under /admin/'s own policy) load script files of
    our origin, and carry data blocks, never script inline."""
    templates = Path(site.root_path).parent / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert " style=" not in text and "<style" not in text, template.name
        if template.name.startswith("admin"):
            for tag in re.findall(r"<script[^>]*>", text):
                assert " src=" in tag or 'type="application/json"' in tag, template.name
        else:
            assert "<script" not in text or 'type="application/ld+json"' in text, template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name


def test_a_304_carries_only_what_updates_the_stored_page(site: Flask) -> None:
    """Fast lane and Flask alike: validators and freshness, no body, no security headers
    (the browser keeps those it stored with the page; RFC 9111, 4.3.4)."""
    client = site.test_client()
    # Flask's path: the first request for a page, revalidated by date.
    by_flask = client.get(
        "/news/quay/", headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}
    )
    etag = client.get("/news/quay/").headers["ETag"]
    by_fast_lane = client.get("/news/quay/", headers={"If-None-Match": etag})
    for name, response in [("flask", by_flask), ("fast lane", by_fast_lane)]:
        assert response.status_code == 304, name
        assert response.data == b"", name
        assert response.headers["ETag"] == etag, name
        assert response.headers["Cache-Control"].startswith("public, max-age="), name
        assert response.headers["Vary"] == "Accept-Encoding", name
        assert "Content-Security-Policy" not in response.headers, name
        assert "X-Frame-Options" not in response.headers, name


def test_behind_the_proxy_the_app_leaves_the_proxys_headers_out(
    make_app: Callable[..., Flask],
) -> None:
    """With PROXY_SENDS_SECURITY_HEADERS, nginx sends them (tests/test_nginx.py); HSTS,
    which depends on SITE_URL, stays with the app."""
    app = make_app(PROXY_SENDS_SECURITY_HEADERS=True, SITE_URL="https://news.example")
    client = app.test_client()
    client.get("/")  # the next one comes from the fast lane
    for name, response in every_kind_of_response(client, app).items():
        headers = response.headers  # type: ignore[attr-defined]
        assert not PROXY_SENT & set(headers.keys()), name
        assert headers["Strict-Transport-Security"] == "max-age=31536000", name


@pytest.mark.parametrize(("setting", "proxy_sends"), [("no", False), ("off", False), ("yes", True)])
def test_the_proxy_setting_reads_words_as_a_reader_would(
    make_app: Callable[..., Flask], setting: str, proxy_sends: bool
) -> None:
    """From the environment a word stays a string; "no" must not count as true."""
    headers = make_app(PROXY_SENDS_SECURITY_HEADERS=setting).test_client().get("/").headers
    assert ("Content-Security-Policy" not in headers) is proxy_sends
