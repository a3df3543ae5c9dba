"""Pictures on a cold site: the home page at N articles whose pictures are not fetched or
sized yet, and the bytes a phone transfers for it before and after.

    python bench/picture_pages.py [--articles 10000] [--skip-lighthouse]

1. Writes N articles (bench/corpus.py), nine in ten with a featured picture on a "remote"
   host: a server on a loopback port in this process, answering each URL with a different
   2000×1333 photo-like JPEG (bench/images.py's, numbered), allowed by
   ``IMAGE_FETCH_ALLOW_PRIVATE``.
2. Starts gunicorn (gunicorn.conf.py: 2 workers) on an empty store and images folder. From
   its first answer, Chromium (1280×900) loads the home page again and again, each time
   asking for every picture (lazy ones too), until it shows no placeholder and every
   picture has loaded (the time to the full page), then until no picture was a stand-in
   (a size not made in time, answered with the nearest made, ``no-store``). Every request
   Chromium makes is timed from sending it to its last byte (the server's part, not the
   browser's queue), and a plain client asks for the home page every 200 ms throughout.
3. Lighthouse (mobile: 412 px at 1.75 device pixels, its default) on the home page of the
   same site, before (``IMAGE_FETCH=off``: the page as it was, each picture hotlinked as the
   editor wrote it), after at once (the sizes a phone asks for may still be being made:
   stand-ins) and after every size the page names is made: bytes transferred, image bytes,
   and its "properly size images" and "modern image formats" audits.

Prints a Markdown report and writes it to bench/results/pictures-<time>.md, naming the
commit measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.images import photo  # noqa: E402

BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SOURCE = (2000, 1333)


class PhotoHost:
    """The "remote" host: each path a different photo-like JPEG, made when asked."""

    def __init__(self) -> None:
        self.base_picture = photo(*SOURCE)
        self.served = 0
        self.bytes = 0
        host = self

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = host.picture(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                host.served += 1
                host.bytes += len(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Request)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def picture(self, path: str) -> bytes:
        """The photo, with a band of a colour of its own and its number: other bytes."""
        number = sum(path.encode()) * 7919 + len(path)
        image = self.base_picture.copy()
        draw = ImageDraw.Draw(image)
        colour = (number % 251, number // 251 % 251, number // 63001 % 251)
        draw.rectangle((0, SOURCE[1] - 120, SOURCE[0], SOURCE[1]), fill=colour)
        draw.text((40, SOURCE[1] - 90), path, fill=(255, 255, 255))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
        return out.getvalue()

    @contextmanager
    def running(self) -> Iterator[PhotoHost]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except OSError:
        return 0, {}, b""


@contextmanager
def gunicorn(content: Path, store: Path, **settings: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FLASK_CONTENT_DIR": str(content),
        "FLASK_STORE_DIR": str(store),
        "FLASK_LOG_LEVEL": "ERROR",
        "FLASK_IMAGE_FETCH_ALLOW_PRIVATE": "1",
        **{f"FLASK_{k}": v for k, v in settings.items()},
    }
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while get(base + "/")[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


class Poller:
    """A reader asking for the home page every 200 ms: each answer's time, in s."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.times: list[float] = []
        self.statuses: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            start = time.perf_counter()
            status = get(self.url)[0]
            self.times.append(time.perf_counter() - start)
            self.statuses.add(status)
            self._stop.wait(0.2)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def time_to_full_page(base: str, limit: float = 600) -> dict[str, object]:
    """Reload the home page until every picture shows; the time, and every request's."""
    from playwright.sync_api import sync_playwright

    # URL, seconds from request to last byte, status, whether it was a stand-in (no-store)
    timings: list[tuple[str, float, int, bool]] = []
    start = time.monotonic()
    loads = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        page = context.new_page()

        def finished(request) -> None:  # type: ignore[no-untyped-def]
            timing = request.timing
            response = request.response()
            if timing["responseEnd"] >= 0 and timing["requestStart"] >= 0:
                seconds = (timing["responseEnd"] - timing["requestStart"]) / 1000
                status = response.status if response else 0
                standin = response is not None and "no-store" in response.headers.get(
                    "cache-control", ""
                )
                timings.append((request.url, seconds, status, standin))

        page.on("requestfinished", finished)
        shown: tuple[float, int] | None = None  # the first full load: its time, its number
        while True:
            loads += 1
            mark = len(timings)
            response = page.goto(base + "/", wait_until="load")
            # A page showing a picture not fetched yet says so (max-age=5): its cards have
            # no image block and its lead a placeholder.
            pending = response is not None and "max-age=5" in response.headers["cache-control"]
            placeholders = page.locator(".image-placeholder").count()
            page.evaluate("for (const img of document.images) img.loading = 'eager'")
            page.wait_for_function(
                "[...document.images].every(img => img.complete)", timeout=120_000
            )
            pictures = page.evaluate(
                "[...document.images].map(img => [img.currentSrc, img.naturalWidth])"
            )
            broken = [src for src, natural in pictures if natural == 0]
            if not pending and not placeholders and not broken and pictures:
                page.wait_for_timeout(200)  # the last answers' events
                shown = shown or (time.monotonic() - start, loads)
                if not any(t[3] for t in timings[mark:] if "/img/" in t[0]):
                    break  # every picture in the size it asked for, none stood in for
            if time.monotonic() - start > limit:
                raise RuntimeError(f"not full after {limit} s: {placeholders} placeholders")
            time.sleep(0.5)
        elapsed = time.monotonic() - start
        page.wait_for_timeout(500)
        context.close()
        browser.close()
    images = [t for t in timings if "/img/" in t[0]]
    assert shown is not None
    return {
        "seconds": elapsed,
        "loads": loads,
        "shown": shown,
        "pictures": len(pictures),
        "requests": timings,
        "image_requests": images,
    }


def every_size(base: str, limit: float = 600) -> dict[str, object]:
    """Ask for every size the home page names until each is the size itself (immutable),
    not a stand-in: the page as it is once the site is warm. The seconds it took."""
    start = time.monotonic()
    names = set(
        re.findall(r"/img/[0-9a-f]{16}-[a-z0-9]+-[0-9a-f]{10}\.[a-z]+", get(base + "/")[2].decode())
    )
    while names:
        names = {n for n in names if "immutable" not in get(base + n)[1].get("Cache-Control", "")}
        if time.monotonic() - start > limit:
            raise RuntimeError(f"{len(names)} sizes not made after {limit} s")
        time.sleep(0.5 if names else 0)
    return {"warm": time.monotonic() - start}


def lighthouse(url: str, work: Path) -> dict[str, object]:
    """Lighthouse's mobile run on ``url``: bytes, image bytes, the two image audits."""
    work.mkdir(parents=True, exist_ok=True)
    report = work / "report.json"
    flags = " ".join(["--headless=new", *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}"])
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--chrome-flags={flags}",
            "--only-categories=performance",
        ],
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        check=True,
        timeout=300,
        capture_output=True,
    )
    audits = json.loads(report.read_text())["audits"]
    requests = audits["network-requests"]["details"]["items"]
    images = [r for r in requests if r.get("resourceType") == "Image"]

    def audit(name: str) -> str:
        found = audits[name]
        savings = (found.get("details") or {}).get("overallSavingsBytes", 0)
        verdict = "pass" if (found["score"] or 0) >= 0.9 else "fail"
        return f"{verdict} (score {found['score']}, {savings / 1000:.0f} kB to save)"

    return {
        "total": audits["total-byte-weight"]["numericValue"],
        "images": sum(r.get("transferSize", 0) for r in images),
        "image_count": len(images),
        "responsive": audit("uses-responsive-images"),
        "modern": audit("modern-image-formats"),
        "lcp": audits["largest-contentful-paint"]["numericValue"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--skip-lighthouse", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="courier-pictures-"))
    lines: list[str] = []
    try:
        with PhotoHost().running() as host:
            content = work / "content"
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "corpus.py"), str(args.articles),
                 str(content), "--image-base", host.base],
                check=True, capture_output=True,
            )  # fmt: skip
            store = work / "store"
            started = time.monotonic()
            with gunicorn(content, store) as base:
                up = time.monotonic() - started
                with Poller(base + "/") as poller:
                    full = time_to_full_page(base)
                fetched = host.served
                after: dict[str, dict[str, object]] = {}
                if not args.skip_lighthouse:
                    after["at once"] = lighthouse(base + "/", work / "at-once")
                    warm = every_size(base)
                    after["made"] = {**lighthouse(base + "/", work / "after"), **warm}
            with gunicorn(content, store, IMAGE_FETCH="0") as base:
                before = None if args.skip_lighthouse else lighthouse(base + "/", work / "before")
        lines = report(args.articles, up, full, poller, fetched, before, after)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text)
    now = dt.datetime.now(dt.UTC)
    out = ROOT / "bench" / "results" / f"pictures-{now:%Y%m%d-%H%M}.md"
    out.write_text(text)
    print(f"wrote {out.relative_to(ROOT)}")


def report(
    articles: int,
    up: float,
    full: dict[str, object],
    poller: Poller,
    fetched: int,
    before: dict[str, object] | None,
    after: dict[str, dict[str, object]],
) -> list[str]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = dt.datetime.now(dt.UTC)
    requests: list[tuple[str, float, int, bool]] = full["requests"]  # type: ignore[assignment]
    images: list[tuple[str, float, int, bool]] = full["image_requests"]  # type: ignore[assignment]
    shown: tuple[float, int] = full["shown"]  # type: ignore[assignment]
    slowest = max(requests, key=lambda r: r[1])
    statuses: dict[int, int] = {}
    for _, _, status, _ in requests:
        statuses[status] = statuses.get(status, 0) + 1
    all_times = [t for _, t, _, _ in requests] + poller.times
    lines = [
        f"# bench/picture_pages.py (--articles {articles})",
        "",
        f"{now:%Y-%m-%d %H:%M} UTC, commit {commit}, {os.cpu_count()} cores; gunicorn.conf.py "
        "(2 workers), an empty store and images folder; remote pictures "
        f"{SOURCE[0]}×{SOURCE[1]} JPEG from a loopback host.",
        "",
        "## A cold home page",
        "",
        f"- gunicorn up (first answer) {up:.1f} s after it started",
        f"- the full home page (no placeholder, all {full['pictures']} pictures loaded, lazy "
        f"ones too) {shown[0]:.1f} s after that, at load {shown[1]}; every picture in the "
        f"size it asked for (none stood in for) {full['seconds']:.1f} s, at load "
        f"{full['loads']}; {fetched} remote pictures fetched by then",
        f"- requests: {len(requests)} by Chromium ({len(images)} picture sizes), "
        f"{len(poller.times)} home pages by a reader every 200 ms; answers "
        + ", ".join(f"{n} × {s}" for s, n in sorted(statuses.items()))
        + f", the reader's {sorted(poller.statuses)}",
        f"- slowest request {max(all_times) * 1000:.0f} ms ({slowest[0].split('/')[-1] or '/'}"
        f", {slowest[1] * 1000:.0f} ms); median {statistics.median(all_times) * 1000:.0f} ms; "
        f"over 1 s: {sum(t > 1 for t in all_times)}",
    ]
    page_times = [t for url, t, _, _ in requests if "/img/" not in url] + poller.times
    lines.append(
        f"- everything but picture sizes (pages, the style sheet, uploads): slowest "
        f"{max(page_times) * 1000:.0f} ms, median {statistics.median(page_times) * 1000:.0f} ms"
    )
    if images:
        image_times = sorted(t for _, t, _, _ in images)
        standins = sorted(t for _, t, _, standin in images if standin)
        lines.append(
            f"- picture sizes: median {statistics.median(image_times) * 1000:.0f} ms, "
            f"95th percentile {image_times[int(0.95 * (len(image_times) - 1))] * 1000:.0f} ms, "
            f"slowest {image_times[-1] * 1000:.0f} ms"
        )
        lines.append(
            f"- stand-ins (a size not made within IMAGE_VARIANT_STANDIN_WAIT, answered with "
            f"the nearest image made, no-store): {len(standins)} of {len(images)}"
            + (f", slowest {standins[-1] * 1000:.0f} ms" if standins else "")
        )
    if before and after:
        lines += [
            "",
            "## A phone's home page (Lighthouse, mobile)",
            "",
            "| | bytes transferred | image bytes | images | properly size images | "
            "modern image formats | LCP |",
            "|---|---|---|---|---|---|---|",
        ]
        runs = (
            ("before (hotlinked)", before),
            ("after, at once (a phone's sizes may be being made: stand-ins)", after["at once"]),
            (f"after, every size made ({after['made']['warm']:.0f} s later)", after["made"]),
        )
        for name, run in runs:
            lines.append(
                f"| {name} | {run['total'] / 1000:,.0f} kB | {run['images'] / 1000:,.0f} kB | "  # type: ignore[operator]
                f"{run['image_count']} | {run['responsive']} | {run['modern']} | "
                f"{run['lcp'] / 1000:.1f} s |"  # type: ignore[operator]
            )
    return lines


if __name__ == "__main__":
    main()
