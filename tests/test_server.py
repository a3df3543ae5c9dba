"""A real gunicorn, with the production configuration, serving the sample content over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.articles import article_text
from tests.html import elements, parse, text_of
from tests.live import ROOT, all_workers, fetch, gunicorn

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """gunicorn app:app with gunicorn.conf.py (2 workers, preloaded) on a copy of content/."""
    content = tmp_path_factory.mktemp("site") / "content"
    shutil.copytree(ROOT / "content", content)
    with gunicorn(content) as base:
        yield base, content


def test_gunicorn_serves_the_sample_pages(server: tuple[str, Path]) -> None:
    base, _ = server
    status, headers, body = fetch(base + "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    links = [a.get("href") for a in elements(parse(body), "a")]
    article = next(h for h in links if h.startswith("/news/"))
    category = next(h for h in links if h.startswith("/category/"))
    for url in (article, category, "/tags/", "/categories/", "/deals/"):
        assert fetch(base + url)[0] == 200, url
    assert fetch(base + "/news/no-such-article/")[0] == 404
    assert fetch(base + "/static/css/site.css")[0] == 200


def test_gunicorn_answers_conditional_requests(server: tuple[str, Path]) -> None:
    base, _ = server
    _, headers, _ = fetch(base + "/categories/")
    status, _, body = fetch(base + "/categories/", {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


def test_edit_reaches_every_worker_within_the_interval(server: tuple[str, Path]) -> None:
    base, content = server
    (content / "2026-11-20-breaking.md").write_text(article_text(title="Breaking Over HTTP"))
    deadline = time.monotonic() + 5  # CONTENT_CHECK_INTERVAL is 1 s
    seen = 0
    while seen < 10 and time.monotonic() < deadline:
        status, _, body = fetch(base + "/news/breaking/")
        seen = seen + 1 if status == 200 else 0
        time.sleep(0.05)
    assert seen == 10, "not every request saw the new article"
    assert text_of(elements(parse(body), "h1")[0]) == "Breaking Over HTTP"


def test_keep_alive_connections_spread_over_both_workers(server: tuple[str, Path]) -> None:
    """A listening socket per worker (reuse_port): on one shared socket the first worker to
    wake took 52 to 63 of 64 connections, and the other core sat idle."""
    base, _ = server
    workers = all_workers(base)
    assert len(workers) == 2, workers
    before = {pid: len(sockets_of(pid)) for pid in workers}
    host, port = base.removeprefix("http://").split(":")
    clients = [socket.socket() for _ in range(64)]
    try:
        for client in clients:  # all at once, as wrk (or a burst of readers) connects
            client.setblocking(False)
            client.connect_ex((host, int(port)))
        for client in clients:  # each answered, and kept open
            client.setblocking(True)
            client.settimeout(10)
            client.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            assert client.recv(12).startswith(b"HTTP/1.1 200")
        held = {pid: len(sockets_of(pid)) - before[pid] for pid in workers}
    finally:
        for client in clients:
            client.close()
    assert sum(held.values()) >= 60, held  # (a worker may close an older one meanwhile)
    assert min(held.values()) >= 12, held  # even odds per connection: fewer is a 1e-7 chance
    # The reason: each worker listens on a socket of its own, and the kernel picks.
    listening = listening_sockets(int(port))
    assert len(listening) == 2, listening
    assert all(len(listening & sockets_of(pid)) == 1 for pid in workers)


def listening_sockets(port: int) -> set[str]:
    """The listening TCP sockets on ``port``, as /proc/PID/fd names them."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
            found.add(f"socket:[{fields[9]}]")
    return found


def sockets_of(pid: int) -> set[str]:
    """The sockets a process holds open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:"):
            found.add(target)
    return found
