"""Image files for the images tests, good and hostile, and a small HTTP server on loopback
that serves them as a remote site would (``RemoteSite``): in-process, started in
milliseconds, so the fast suite may use it."""

from __future__ import annotations

import io
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from flask import Flask
from PIL import Image, ImageDraw

from blog.images.references import kind, uses
from blog.web.state import get_images, get_library


def picture(size: tuple[int, int] = (800, 600), mode: str = "RGB") -> Image.Image:
    """A picture with some detail: a red top-left quarter, a white diagonal from the
    top-left corner, blue (transparent in RGBA) elsewhere."""
    width, height = size
    background = (40, 90, 160, 0)[: len(mode)] if mode != "L" else 90  # RGBA: see-through
    image = Image.new(mode, size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2, height // 2), fill=(200, 60, 40, 255)[: len(mode)])
    draw.line((0, 0, width, height), fill=(250, 250, 250, 255)[: len(mode)], width=5)
    return image


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (800, 600), **options: object) -> bytes:
    return encoded(picture(size), "JPEG", **{"quality": 85, **options})


def png(size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    return encoded(picture(size, mode), "PNG")


def webp(size: tuple[int, int] = (800, 600)) -> bytes:
    return encoded(picture(size), "WEBP")


def png_claiming(width: int, height: int) -> bytes:
    """A decompression bomb's shape: a tiny PNG whose header claims ``width``×``height``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


HTML = b"<!DOCTYPE html><html><head><title>Not found</title></head><body>Gone</body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


Handler = Callable[[BaseHTTPRequestHandler], None]


def reply(body: bytes, kind: str = "image/jpeg", status: int = 200, **headers: str) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        request.end_headers()
        request.wfile.write(body)

    return handle


def redirect(location: str, status: int = 302) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        request.send_header("Location", location)
        request.send_header("Content-Length", "0")
        request.end_headers()

    return handle


class RemoteSite:
    """A ``ThreadingHTTPServer`` on a loopback port, answering each path with its handler,
    counting requests and the body bytes streaming handlers managed to send."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: dict[str, int] = {}
        self.sent: dict[str, int] = {}
        site = self

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path
                site.hits[path] = site.hits.get(path, 0) + 1
                handler = site.routes.get(path)
                if handler is None:
                    reply(b"no such image", "text/plain", 404)(self)
                    return
                try:
                    handler(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher hung up: what the streaming tests want
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Request)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def stream(
        self, path: str, total: int, piece: int = 65536, pause: float = 0.0, length: bool = False
    ) -> None:
        """Serve ``total`` bytes at ``path`` a ``piece`` at a time, ``pause`` s apart,
        with or without a Content-Length; counts what went out in ``sent``."""

        def handle(request: BaseHTTPRequestHandler) -> None:
            self.sent[path] = 0
            request.send_response(200)
            request.send_header("Content-Type", "image/jpeg")
            if length:
                request.send_header("Content-Length", str(total))
            request.end_headers()
            while self.sent[path] < total:
                request.wfile.write(b"\xff" * piece)
                request.wfile.flush()
                self.sent[path] += piece
                if pause:
                    time.sleep(pause)

        self.routes[path] = handle

    @contextmanager
    def running(self) -> Iterator[RemoteSite]:
        thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


def prepare_pictures(app: Flask, remote: bool = False) -> None:
    """What the background does for a worker (``images/background.py``), now: every image
    the app's articles show fetched (only with ``remote``: the tests' remote hosts do not
    exist) and every size of it made."""
    library = get_library(app)
    images = get_images(app)
    for article in library.index().articles:
        for use in uses(article, library.parts(article)):
            if remote or kind(use.reference) == "local":
                images.prepare(use.reference)
