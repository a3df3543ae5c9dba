"""Slow clients: connections that send their headers a few bytes at a time hold a gunicorn
thread each, so gunicorn is never exposed directly (docs/deploy.md); through the deploy
config, nginx buffers them and every other reader is still served at once."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.test_nginx import nginx_binary, proxied_app  # noqa: F401 (a fixture)

pytestmark = pytest.mark.server

SLOW_CLIENTS = 16  # twice the threads of gunicorn.conf.py's defaults (2 workers x 4)
PROBE_SECONDS = 6.0
PATIENCE = 3.0  # seconds a reader waits for a page during the probe


@contextmanager
def slow_clients(base: str, count: int = SLOW_CLIENTS) -> Iterator[None]:
    """``count`` connections that trickle one header line every half second, never ending
    their request, for as long as the block runs."""
    host, port = base.removeprefix("http://").split(":")
    sockets = [socket.create_connection((host, int(port)), timeout=5) for _ in range(count)]
    stop = threading.Event()

    def trickle() -> None:
        for s in sockets:
            s.sendall(b"GET / HTTP/1.1\r\nHost: news.example\r\n")
        while not stop.wait(0.5):
            for s in sockets:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass  # the server gave up on this one: so much the better

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(1.0)  # let every slow connection reach the server
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        for s in sockets:
            s.close()


def timed_fetch(url: str, timeout: float) -> tuple[int | None, float]:
    """(status or None on timeout, seconds taken)."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, time.monotonic() - start
    except OSError:
        return None, time.monotonic() - start


def test_slow_clients_through_the_deploy_config_leave_readers_served(
    tmp_path: Path,
    nginx_binary: str,  # noqa: F811
) -> None:
    with proxied_app(tmp_path, nginx_binary) as running:
        url = running.proxy + "/news/quay/"
        assert timed_fetch(url, PATIENCE)[0] == 200
        with slow_clients(running.proxy):
            deadline = time.monotonic() + PROBE_SECONDS
            answers = []
            while time.monotonic() < deadline:
                # A new URL each time: the proxy's cache must not be what answers.
                answers.append(timed_fetch(f"{url}?n={len(answers)}", PATIENCE))
                time.sleep(0.2)
        assert all(status == 200 for status, _ in answers), answers
        assert max(seconds for _, seconds in answers) < PATIENCE
