"""How long the worst texts an editor could paste take to render (issue 19).

    python bench/pathological.py [--limit 120] [--scale 1.0] [--only NAME ...] [--site]

Renders each case with the site's own renderer in a child process of its own, killed after
``--limit`` seconds (reported as ``>limit``), and prints the seconds each took. ``--scale``
shrinks every case (0.1: a tenth of the size) to see how the time grows with the input.

With ``--site``, each case is instead the body of an article served by the app with its
default settings (``RENDER_BUDGET`` included), and the figures are what readers wait: the
first request for the page, eight at once after an edit, and the next one.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _nested_list(n: int) -> str:
    return "".join("    " * level + f"- level {level}\n" for level in range(n))


def _nested_footnotes(n: int) -> str:
    notes = "".join(f"[^n{i}]: note {i} cites [^n{i + 1}]\n\n" for i in range(n))
    return "Text[^n0].\n\n" + notes


def _wide_table(columns: int) -> str:
    return "|" + "|".join(f"c{i}" for i in range(columns)) + "|\n|" + "-|" * columns + "\n"


def _long_table(rows: int) -> str:
    return "| a | b |\n|---|---|\n" + "".join(f"| {i} | x |\n" for i in range(rows))


# name → Markdown of a field, from the sizes the issue names (scaled by --scale)
CASES: dict[str, Callable[[float], str]] = {
    "nested lists (249 deep)": lambda s: _nested_list(max(2, int(249 * s))),
    "nested quotes (249 deep)": lambda s: "".join(
        ">" * level + " said\n\n" for level in range(1, max(2, int(249 * s)))
    ),
    "100,000 emphasis markers": lambda s: "*" * int(100_000 * s),
    "100,000 *a pairs": lambda s: "*a " * int(100_000 * s),
    "50,000 unclosed <b>": lambda s: "<b>" * int(50_000 * s),
    "50,000 unclosed <div>": lambda s: "<div>" * int(50_000 * s),
    "50,000 unclosed <a>": lambda s: "<a>x" * int(50_000 * s),
    "50,000-row table": lambda s: _long_table(int(50_000 * s)),
    "10,000 columns": lambda s: _wide_table(int(10_000 * s)),
    "200,000 &amp;": lambda s: "&amp;" * int(200_000 * s),
    "100,000 [": lambda s: "[" * int(100_000 * s),
    "50,000 [^": lambda s: "[^" * int(50_000 * s),
    "1 MB single line": lambda s: "word " * int(200_000 * s),
    "24,000 headings": lambda s: "# h\n" * int(24_000 * s),
    "16,000 setext headings": lambda s: "t\n---\n" * int(16_000 * s),
    "nested footnotes (1,000)": lambda s: _nested_footnotes(int(1_000 * s)),
}


def _render(text: str, done: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from blog.markup.render import Renderer

    renderer = Renderer(())
    start = time.perf_counter()
    renderer.html_of_parts([("body", text)])
    done.put(time.perf_counter() - start)


def time_case(text: str, limit: float, run: Callable[..., None] = _render) -> Any:
    """What ``run`` measures over ``text`` (seconds the renderer takes); None past ``limit``."""
    context = multiprocessing.get_context("spawn")
    done = context.Queue()
    child = context.Process(target=run, args=(text, done))
    child.start()
    child.join(limit + 5)  # the child's own start (imports) is not counted
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return done.get() if not done.empty() else None


def _site(text: str, done: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import tempfile
    import threading

    from blog import create_app

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2025-03-01-case.md"
        front = "---\ntitle: Case\ndate: 2025-03-01T10:00:00.000Z\ncategoria: News\n---\n"
        path.write_text(front + "Marker.\n\n" + text)
        app = create_app({"CONTENT_DIR": folder, "STORE_DIR": "off", "LOG_LEVEL": "CRITICAL"})
        timings = []
        for query in ("", "?burst"):  # the second: eight readers at once, one render
            waits: list[float] = []

            def read(query: str = query, waits: list[float] = waits) -> None:
                start = time.perf_counter()
                answer = app.test_client().get("/news/case/" + query)
                assert answer.status_code == 200 and b"Marker." in answer.data
                waits.append(time.perf_counter() - start)

            readers = [threading.Thread(target=read) for _ in range(1 if not query else 8)]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            timings.append(max(waits))
            if not query:  # an edit: a new version, rendered anew
                path.write_text(front + "Marker. Edited.\n\n" + text)
                time.sleep(1.1)
        done.put(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--site", action="store_true", help="time requests to the app")
    args = parser.parse_args()
    if args.site:
        print(f"{'case':28} {'bytes':>9}  first request  8 at once after an edit")

    for name, make in CASES.items():
        if args.only and not any(part in name for part in args.only):
            continue
        text = make(args.scale)
        if args.site:
            waits = time_case(text, args.limit, _site)
            shown = "   ".join(f"{w:.2f} s" for w in waits) if waits else f">{args.limit:.0f}"
            print(f"{name:28} {len(text.encode()):>9}  {shown}", flush=True)
            continue
        seconds = time_case(text, args.limit)
        shown = f">{args.limit:.0f}" if seconds is None else f"{seconds:.2f}"
        print(f"{name:28} {len(text.encode()):>9} bytes  {shown:>8} s", flush=True)


if __name__ == "__main__":
    main()
