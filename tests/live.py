"""A real gunicorn, with the production configuration, on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium as root on a closed network: no sandbox, no background traffic.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# What a test starts, by program name, and the marker that must say so: a test that starts
# one unmarked would run in the fast suite (``-m "not server and not browser"``).
MARKER_FOR_PROGRAM = {
    "gunicorn": "server",
    "nginx": "server",
    "redis-server": "server",
    "node": "server",  # decap-server
    "varnishd": "server",
    "chromium": "browser",
    "lighthouse": "browser",
}


class UnmarkedTestError(Exception):
    """A test started a server or a browser that its markers do not declare."""


def marker_for(argv: list[str]) -> str | None:
    """The marker a test needs to start ``argv``: by the program's name, the module given to
    ``python -m``, or Playwright's driver (which starts Chromium)."""
    words = [os.fsdecode(word) for word in argv[:3]]
    if any("/playwright/driver/" in word for word in words):
        return "browser"
    program = words[2] if len(words) > 2 and words[1] == "-m" else words[0]
    return MARKER_FOR_PROGRAM.get(Path(program).name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET over HTTP; any status, with its headers and body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@contextmanager
def gunicorn(content: Path, log: Path | None = None, **settings: str) -> Iterator[str]:
    """Serve ``content`` with ``gunicorn -c gunicorn.conf.py app:app``; yields the base URL.
    The server's log goes to ``log`` when given."""
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FLASK_CONTENT_DIR": str(content),
        **{f"FLASK_{k}": v for k, v in settings.items()},
    }
    binary = Path(sys.executable).parent / "gunicorn"
    command = [str(binary), "-c", "gunicorn.conf.py", "app:app"]
    with serving(command, ROOT, env, port, log) as base:
        yield base


@contextmanager
def serving(
    command: list[str], cwd: Path, env: dict[str, str], port: int, log: Path | None = None
) -> Iterator[str]:
    """Run a server ``command`` in ``cwd`` until its home page answers 200 on ``port``;
    yields the base URL, and stops it afterwards. Its standard error goes to ``log``."""
    errors = log.open("wb") if log is not None else subprocess.PIPE
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if fetch(base + "/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
                said = log.read_text() if log else process.stderr.read().decode()  # type: ignore[union-attr]
                raise RuntimeError("server did not start: " + said)
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        if log is not None:
            errors.close()  # type: ignore[union-attr]


def require_binary(name: str) -> str:
    """The path of a program the tests need; missing skips locally and fails when CI=true."""
    import shutil

    import pytest

    found = shutil.which(name) or next(
        (p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}") if Path(p).exists()), None
    )
    if found:
        return found
    message = f"{name} not found (install the Debian package, as .ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI=true")
    pytest.skip(message)


def require_file(path: Path, package: str) -> Path:
    """A file the tests need (a module of a Debian package); missing skips locally and
    fails when CI=true."""
    import pytest

    if path.exists():
        return path
    message = f"{path} not found (install Debian's {package}, as .ci/run does)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; CI=true")
    pytest.skip(message)


class RedisServer:
    """A real redis-server on a free loopback port, no persistence; stop and start again."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def all_workers(base: str, count: int = 2, timeout: float = 15) -> list[int]:
    """The workers once all ``count`` are up (gunicorn.conf.py's default): the site answers
    as soon as the first is, and on a busy machine the others, or a replacement, come later."""
    deadline = time.monotonic() + timeout
    while len(pids := worker_pids(base)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return pids


def worker_pids(base: str) -> list[int]:
    """The gunicorn workers serving ``base`` (children of the master listening on it)."""
    port = base.rsplit(":", 1)[1]
    masters = [
        p
        for p in Path("/proc").glob("[0-9]*")
        if _cmdline(p).startswith("gunicorn") or "gunicorn" in _cmdline(p)
    ]
    for master in masters:
        if f"127.0.0.1:{port}" in _environ(master):
            children = Path(f"/proc/{master.name}/task/{master.name}/children")
            return [int(pid) for pid in children.read_text().split()]
    raise AssertionError("no gunicorn master found for " + base)


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _environ(proc: Path) -> str:
    try:
        return (proc / "environ").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
