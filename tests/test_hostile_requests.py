"""Hostile requests: path tricks, huge or repeated queries, malformed headers, odd methods.

Never a 500, never a byte from outside the content, static and asset folders.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.articles import Content, article_text
from tests.conftest import build_app
from tests.live import gunicorn

SECRETS = (b"def create_app", b"root:x:0:0", b"SECRET_KEY", b"[tool.", b"import ")

TRAVERSALS = [
    "/../../../../etc/passwd",
    "/news/../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/%252e%252e/%252e%252e/etc/passwd",
    "/static/../blog/__init__.py",
    "/static/%2e%2e/blog/__init__.py",
    "/static/..%2fblog%2f__init__.py",
    "/static/..%5cblog%5c__init__.py",
    "/static/....//....//blog/__init__.py",
    "/assets/../pyproject.toml",
    "/assets/..%2f..%2fpyproject.toml",
    "/assets/css/site.0123456789ab.css/../../../pyproject.toml",
    "//etc/passwd",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
]
ODD = [
    "/news/%00/",
    "/news/a%00b/",
    "/%00",
    "/tag/%00/feed.xml",
    "/" + "a" * 10_000,
    "/news/" + "x" * 5_000 + "/",
    "/tag/" + "%F0%9F%90%8D" * 500 + "/",
    "/tag/%E2%80%AE%E2%80%8B/",
    "/news/%ff%fe%fd/",
    "/category/%c0%af/",
    "/category/%ED%A0%80/",  # a lone surrogate, as UTF-8
    "/news/%F4%90%80%80/",  # past the last code point
    "/page/0/",
    "/page/-1/",
    "/page/1e3/",
    "/page/99999999999999999999999/",
    "/page/%D9%A3/",  # an Arabic-Indic digit three
    "/search?q=" + "a" * 100_000,
    "/search?" + "&".join(["q=ferry"] * 3_000),
    "/search?q=ferry&page=99999999999999999999",
    "/search?q=ferry&page=%00",
    "/search?q=%ff%fe",
    "/search?q=%00%01%02",
    "/search?q[]=1&q[]=2",
    "/preview/quay/?expires=abc&signature=zzz",
    "/preview/quay/?expires=" + "9" * 400 + "&signature=x",
    "/feed.xml?" + "x=" * 20_000,
    "/news/quay/?utm=%ZZ",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    """One app for the module: its tests only send requests."""
    content = Content(tmp_path_factory.mktemp("content"))
    content.write("2025-01-02-quay.md", article_text(title="The Quay", front="categoria: Harbour"))
    return build_app(content.root).test_client()


def assert_harmless(status: int, body: bytes, url: str) -> None:
    assert status < 500, url
    for secret in SECRETS:
        assert secret not in body, (url, secret)


@pytest.mark.parametrize("url", TRAVERSALS)
def test_path_tricks_never_reach_a_file_outside(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert_harmless(response.status_code, response.data, url)
    assert response.status_code in (301, 302, 308, 400, 404), url


@pytest.mark.parametrize("url", ODD, ids=lambda u: u[:40])
def test_odd_paths_and_queries_get_an_answer_not_an_error(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert_harmless(response.status_code, response.data, url)


@pytest.mark.parametrize(
    "headers",
    [
        {"If-None-Match": "garbage"},
        {"If-None-Match": '"' * 5000},
        {"If-None-Match": "*"},
        {"If-Modified-Since": "not a date"},
        {"If-Modified-Since": "Thu, 99 Nov 2026 99:99:99 GMT"},
        {"If-Modified-Since": "Mon, 01 Jan 0001 00:00:00 GMT"},
        {"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 GMT"},
        {"If-Modified-Since": "9" * 400},
        {"Accept-Encoding": "br;q=x, gzip;q=-1, *;q=" + "9" * 300},
        {"Accept-Encoding": "," * 10_000},
        {"Host": "evil.example:99999"},
        {"Host": "a" * 2000},
        {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "javascript"},
        {"Range": "bytes=0-0,-1"},
        {"Cookie": "session=" + "x" * 8000},
    ],
    ids=lambda h: next(iter(h)) + ":" + next(iter(h.values()))[:12],
)
def test_malformed_headers_never_fail_a_page(client: FlaskClient, headers: dict[str, str]) -> None:
    for url in ("/", "/news/quay/", "/feed.xml", "/search?q=quay"):
        client.get(url)  # cached first, so the conditional paths run
        response = client.get(url, headers=headers)
        assert_harmless(response.status_code, response.data, url)


def test_a_malformed_host_gets_a_plain_400_with_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/", headers={"Host": "a b<c>"})
    assert response.status_code == 400
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"Host" in response.data


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "FOO"])
def test_other_methods_are_refused_with_405(client: FlaskClient, method: str) -> None:
    for url in ("/", "/news/quay/", "/feed.xml", "/search", "/sitemap.xml", "/-/hooks/git"):
        response = client.open(url, method=method)
        assert response.status_code == 405, (method, url)
        assert "Allow" in response.headers


def urls_of_every_route(app: Flask) -> Iterator[str]:
    """One URL for every rule in the app's URL map, with plausible arguments."""
    values = {"slug": "quay", "number": "2", "filename": "css/site.css", "name": "harbour"}
    for rule in app.url_map.iter_rules():
        args = {arg: values.get(arg, "harbour") for arg in rule.arguments}
        try:
            with app.test_request_context():
                from flask import url_for

                yield url_for(rule.endpoint, **args)
        except Exception:  # a converter refusing the value: the rule still gets a URL
            yield rule.rule.replace("<", "").replace(">", "")


def test_head_on_every_route_is_answered_without_a_body(client: FlaskClient) -> None:
    app = client.application
    urls = sorted(set(urls_of_every_route(app)))
    assert len(urls) > 20
    for url in urls:
        head, get = client.head(url), client.get(url)
        assert head.status_code == get.status_code < 500, url
        assert head.data == b"", url


def raw_request(base: str, request_line: str) -> bytes:
    """Send a request line as is (no client normalises it) and read the status line."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"{request_line}\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.server
def test_raw_path_tricks_through_gunicorn(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "quay.md").write_text(article_text(title="The Quay"))
    with gunicorn(content) as base:
        for path in [*TRAVERSALS, "/..", "/./././", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/\\..\\.."]:
            answer = raw_request(base, f"GET {path} HTTP/1.1")
            status = int(answer.split(b" ", 2)[1])
            assert_harmless(status, answer, path)
        assert raw_request(base, "GET /" + "a" * 9000 + " HTTP/1.1").split(b" ", 2)[1] in (
            b"400",
            b"404",
            b"414",
        )
