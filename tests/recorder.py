"""A local HTTP server that records every call it gets: a stand-in for a CDN's API or a
WebSub hub, in a thread of the test's own process, on a free loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]  # by lower-case name
    body: bytes


@dataclass
class Recorder:
    """The calls so far, and the answers still to give: (status, body) in order, then
    ``answer`` for ever."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    script: list[tuple[int, bytes]] = field(default_factory=list)
    answer: tuple[int, bytes] = (200, b'{"success": true, "status": "ok"}')
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self) -> tuple[int, bytes]:
        with self.lock:
            return self.script.pop(0) if self.script else self.answer

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


@contextmanager
def recording() -> Iterator[Recorder]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            recorder.record(Call(self.command, self.path, headers, body))
            status, answer = recorder.respond()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PURGE = _any  # noqa: N815 (http.server's names)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
