"""Remote images: fetched from a server on a loopback port, with every limit a hostile or
broken server tests (size, time, redirects, addresses, types), each failure a reason."""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from blog.images import fetch as fetching
from blog.images.fetch import FetchRules, fetch, host_allowed, public
from blog.images.probe import Unusable
from tests.image_files import HTML, SVG, RemoteSite, jpeg, png, redirect, reply, webp
from tests.live import free_port

LOCAL = FetchRules(allow_private=True, timeout=2.0)
GOOD = {"/photo.jpg": (jpeg(), "image/jpeg"), "/chart.png": (png(), "image/png"),
        "/photo.webp": (webp(), "image/webp")}  # fmt: skip


@pytest.fixture(scope="module")
def site() -> Iterator[RemoteSite]:
    remote = RemoteSite()
    for path, (body, kind) in GOOD.items():
        remote.routes[path] = reply(body, kind)
    remote.routes["/untyped.jpg"] = reply(GOOD["/photo.jpg"][0], "application/octet-stream")
    for hop in range(1, 6):  # /hops/N redirects N times, then the photo
        remote.routes[f"/hops/{hop}"] = redirect(f"/hops/{hop - 1}" if hop > 1 else "/photo.jpg")
    remote.routes["/html-as-png.png"] = reply(HTML, "image/png")
    remote.routes["/page"] = reply(HTML, "text/html; charset=utf-8")
    remote.routes["/drawing"] = reply(SVG, "image/svg+xml")
    remote.routes["/gzipped.jpg"] = reply(GOOD["/photo.jpg"][0], Content_Encoding="gzip")
    remote.routes["/gone.jpg"] = reply(b"gone", "text/plain", 404)
    remote.routes["/failing.jpg"] = reply(b"oops", "text/plain", 503)
    remote.routes["/to-loopback"] = redirect(f"http://127.0.0.1:{remote.port}/photo.jpg")
    remote.routes["/no-location"] = reply(b"", "text/plain", 302)
    remote.stream("/huge-announced.jpg", 200_000_000, length=True)
    remote.stream("/huge-unannounced.jpg", 200_000_000)
    remote.stream("/trickle.jpg", 10_000_000, piece=1, pause=0.02)
    remote.routes["/slow-headers.jpg"] = _slow_headers
    remote.routes["/cut-short.jpg"] = _cut_short
    with remote.running():
        yield remote


def _slow_headers(request: BaseHTTPRequestHandler) -> None:
    request.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(500):
        request.wfile.write(b"X-Slow: a\r\n")
        request.wfile.flush()
        time.sleep(0.02)


def _cut_short(request: BaseHTTPRequestHandler) -> None:
    body = jpeg()
    request.send_response(200)
    request.send_header("Content-Type", "image/jpeg")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body[: len(body) // 2])


@pytest.mark.parametrize("path", sorted(GOOD))
def test_a_good_image_is_fetched_whole_with_its_type(site: RemoteSite, path: str) -> None:
    fetched = fetch(site.url(path), LOCAL)
    assert fetched.data == GOOD[path][0]
    assert fetched.content_type == GOOD[path][1]


def test_a_url_with_spaces_and_accents_is_fetched_percent_encoded(site: RemoteSite) -> None:
    site.routes["/caf%C3%A9%20terrace.jpg?w=1"] = reply(GOOD["/photo.jpg"][0])
    assert fetch(site.url("/café terrace.jpg?w=1"), LOCAL).data == GOOD["/photo.jpg"][0]
    assert fetch(site.url("/caf%C3%A9%20terrace.jpg?w=1"), LOCAL).data  # escapes kept


def test_a_server_that_does_not_speak_http_gives_a_reason(site: RemoteSite) -> None:
    with RemoteSite().running() as other:
        other.routes["/photo.jpg"] = lambda request: request.wfile.write(b"SSH-2.0-OpenSSH\r\n")
        with pytest.raises(Unusable, match="did not answer in HTTP"):
            fetch(other.url("/photo.jpg"), LOCAL)


def test_an_image_sent_without_a_type_is_fetched(site: RemoteSite) -> None:
    assert fetch(site.url("/untyped.jpg"), LOCAL).data == GOOD["/photo.jpg"][0]


def test_redirects_are_followed_up_to_the_limit(site: RemoteSite) -> None:
    fetched = fetch(site.url("/hops/3"), LOCAL)
    assert fetched.data == GOOD["/photo.jpg"][0]
    assert fetched.url == site.url("/photo.jpg")


def test_one_redirect_too_many_is_refused(site: RemoteSite) -> None:
    with pytest.raises(Unusable, match="more than 3 redirects"):
        fetch(site.url("/hops/4"), LOCAL)


def test_a_redirect_without_a_location_is_refused(site: RemoteSite) -> None:
    with pytest.raises(Unusable, match="without a Location"):
        fetch(site.url("/no-location"), LOCAL)


def test_a_loopback_address_is_refused_unless_private_addresses_are_allowed(
    site: RemoteSite,
) -> None:
    with pytest.raises(Unusable, match="127.0.0.1, a private, loopback") as refused:
        fetch(site.url("/photo.jpg"), FetchRules())
    assert refused.value.lasting
    with pytest.raises(Unusable, match="private, loopback"):
        fetch(f"http://localhost:{site.port}/photo.jpg", FetchRules())


def test_each_redirect_is_checked_again_for_its_address(
    site: RemoteSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 127.0.0.2 stands for a public host here; the server there sends us to 127.0.0.1.
    public_here = {ipaddress.ip_address("127.0.0.2")}
    monkeypatch.setattr(fetching, "public", lambda a: a in public_here or public(a))
    with RemoteSite("127.0.0.2").running() as outside:
        outside.routes["/photo.jpg"] = reply(GOOD["/photo.jpg"][0])
        outside.routes["/to-loopback"] = redirect(f"http://127.0.0.1:{site.port}/photo.jpg")
        assert fetch(outside.url("/photo.jpg"), FetchRules()).data == GOOD["/photo.jpg"][0]
        hits = site.hits.get("/photo.jpg", 0)
        with pytest.raises(Unusable, match="127.0.0.1, a private, loopback"):
            fetch(outside.url("/to-loopback"), FetchRules())
    assert site.hits.get("/photo.jpg", 0) == hits  # never asked


def test_each_redirect_is_checked_again_for_its_host(site: RemoteSite) -> None:
    rules = FetchRules(hosts=("localhost",), allow_private=True, timeout=2.0)
    assert fetch(f"http://localhost:{site.port}/photo.jpg", rules).data
    with pytest.raises(Unusable, match="127.0.0.1 is not one of the hosts"):
        fetch(f"http://localhost:{site.port}/to-loopback", rules)


def test_the_connection_goes_to_the_address_that_was_checked(
    site: RemoteSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding resolver: a public answer first, loopback after. Only the first is asked,
    # and the request goes there (the server on 127.0.0.2); a second lookup would hit
    # the port on 127.0.0.1, where nothing listens for this test.
    answers = [["127.0.0.2"], ["127.0.0.1"]]
    monkeypatch.setattr(fetching, "public", lambda a: str(a) == "127.0.0.2")
    with RemoteSite("127.0.0.2").running() as outside:
        outside.routes["/photo.jpg"] = reply(GOOD["/photo.jpg"][0])
        url = f"http://news-images.test:{outside.port}/photo.jpg"
        fetched = fetch(url, FetchRules(), resolver=lambda host, port: answers.pop(0))
    assert fetched.data == GOOD["/photo.jpg"][0]
    assert answers == [["127.0.0.1"]]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # the cloud's metadata service
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 around 169.254.169.254
    ],
)
def test_only_public_addresses_count_as_public(address: str, expected: bool) -> None:
    assert public(ipaddress.ip_address(address)) is expected


@pytest.mark.parametrize(
    ("host", "hosts", "expected"),
    [
        ("cdn.example.org", (), True),
        ("cdn.example.org", ("cdn.example.org",), True),
        ("cdn.example.org", ("*.example.org",), True),
        ("example.org", ("*.example.org",), False),
        ("evil-example.org", ("*.example.org",), False),
        ("cdn.example.org.evil.net", ("cdn.example.org",), False),
    ],
)
def test_the_host_list_names_hosts_or_their_subdomains(
    host: str, hosts: tuple[str, ...], expected: bool
) -> None:
    assert host_allowed(host, hosts) is expected


def test_an_announced_200_mb_file_is_refused_before_its_body_is_read(site: RemoteSite) -> None:
    with pytest.raises(Unusable, match="200.0 MB, over the limit of 21.0 MB"):
        fetch(site.url("/huge-announced.jpg"), FetchRules(allow_private=True))
    time.sleep(0.1)  # for the server to notice the closed connection
    assert site.sent["/huge-announced.jpg"] < 20_000_000


def test_an_unannounced_200_mb_file_is_stopped_at_the_limit(site: RemoteSite) -> None:
    rules = FetchRules(allow_private=True, max_bytes=1_000_000)
    with pytest.raises(Unusable, match="over the limit of 1.0 MB"):
        fetch(site.url("/huge-unannounced.jpg"), rules)
    time.sleep(0.1)  # for the server to notice the closed connection
    assert site.sent["/huge-unannounced.jpg"] < 20_000_000


def test_a_trickling_body_is_stopped_at_the_timeout(site: RemoteSite) -> None:
    start = time.monotonic()
    with pytest.raises(Unusable, match="took longer than 0.5 s") as slow:
        fetch(site.url("/trickle.jpg"), FetchRules(allow_private=True, timeout=0.5))
    assert time.monotonic() - start < 1.5
    assert not slow.value.lasting


def test_trickling_headers_are_stopped_at_the_timeout(site: RemoteSite) -> None:
    start = time.monotonic()
    with pytest.raises(Unusable, match="took longer than 0.5 s"):
        fetch(site.url("/slow-headers.jpg"), FetchRules(allow_private=True, timeout=0.5))
    assert time.monotonic() - start < 1.5


def test_a_body_cut_short_is_not_taken(site: RemoteSite) -> None:
    with pytest.raises(Unusable, match="broke off|before the whole image"):
        fetch(site.url("/cut-short.jpg"), LOCAL)


@pytest.mark.parametrize(
    ("path", "reason", "lasting"),
    [
        ("/page", "sent as text/html, not as an image", True),
        ("/gone.jpg", "HTTP 404 from 127.0.0.1", True),
        ("/failing.jpg", "HTTP 503 from 127.0.0.1", False),
        ("/gzipped.jpg", "sent compressed (gzip)", True),
    ],
)
def test_a_reply_that_is_not_an_image_gives_its_reason(
    site: RemoteSite, path: str, reason: str, lasting: bool
) -> None:
    with pytest.raises(Unusable, match=re.escape(reason)) as refused:
        fetch(site.url(path), LOCAL)
    assert refused.value.lasting is lasting


def test_an_svg_is_recognised_by_its_type(site: RemoteSite) -> None:
    with pytest.raises(Unusable) as refused:
        fetch(site.url("/drawing"), LOCAL)
    assert refused.value.svg


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/a.jpg", "not an http"),
        ("https://user:secret@example.org/a.jpg", "user name or password"),
        ("https:///a.jpg", "no host"),
        ("http://example.org:99999/a.jpg", "not a valid URL"),
    ],
)
def test_a_url_that_may_not_be_fetched_is_refused_before_any_connection(
    url: str, reason: str
) -> None:
    with pytest.raises(Unusable, match=reason):
        fetch(url, FetchRules())


def test_a_port_with_nothing_listening_gives_a_reason() -> None:
    with pytest.raises(Unusable, match="could not connect to 127.0.0.1") as refused:
        fetch(f"http://127.0.0.1:{free_port()}/photo.jpg", LOCAL)
    assert not refused.value.lasting
