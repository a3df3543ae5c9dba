"""Load with changes: gunicorn under wrk while another process edits articles the way git does.

    .venv/bin/python bench/soak.py [--articles 2000] [--duration 60] [--every 0.1]

Writes a corpus (bench/corpus.py) and serves it with gunicorn.conf.py. For ``--duration``
seconds, wrk at 64 connections loads a mix of pages and feeds, a checker reads article pages
as fast as it can, and every ``--every`` seconds a writer rewrites, adds, deletes or renames an
article (new file, then rename over the old one, as ``git pull`` does). Each version a writer
makes carries its number in the headline and at the end of the body, so a page that mixes two
versions is caught. Then: zero 5xx, no mixed page, worker memory at the start and the end, and
the final state served. Writes a Markdown summary to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compare import BIN, ROOT, free_port, get, wait_until_up  # noqa: E402

LUA = """
local paths = {%s}
local n, fives = 0, 0
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function response(status, headers, body)
  if status >= 500 then fives = fives + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("5xx=%%d\\n", fives))
end
"""
VERSION = re.compile(rb"<h1[^>]*>\s*Version (\d+) of (\w+)\s*</h1>")
END = re.compile(rb"END-OF-VERSION-(\d+)-(\w+)")


def article(name: str, version: int) -> str:
    return (
        f"---\ntitle: Version {version} of {name}\ndate: 2024-03-01T09:00:00Z\n"
        f'categoria: Soak\ntags:\n  - "#Soak"\nshort-description: A test of edits.\n---\n'
        + "A paragraph of text that makes the page a realistic size. " * 60
        + f"\n\nEND-OF-VERSION-{version}-{name}\n"
    )


class Writer(threading.Thread):
    """Rewrites, adds, deletes and renames articles: new file, then rename over."""

    def __init__(self, folder: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.folder, self.every = folder, every
        self.stop = threading.Event()
        self.live: dict[str, int] = {}  # name → version now on disk
        self.changes = 0
        self.rng = random.Random(7)

    def write(self, name: str, version: int) -> None:
        partial = self.folder / f".{name}.tmp"
        partial.write_text(article(name, version))
        os.replace(partial, self.folder / f"soak-{name}.md")
        self.live[name] = version

    def run(self) -> None:
        for n in range(40):
            self.write(f"a{n}", 1)
        version = 1
        while not self.stop.wait(self.every):
            version += 1
            action = self.rng.random()
            names = sorted(self.live)
            if action < 0.6 or len(names) < 10:
                self.write(self.rng.choice(names) if names else "a0", version)
            elif action < 0.8:
                self.write(f"n{version}", version)
            elif action < 0.9:
                gone = self.rng.choice(names)
                (self.folder / f"soak-{gone}.md").unlink()
                del self.live[gone]
            else:
                old = self.rng.choice(names)
                new = f"r{version}"
                os.replace(self.folder / f"soak-{old}.md", self.folder / f"soak-{new}.md")
                self.live[new] = self.live.pop(old)
                # the file keeps its text: its headline still names the old name
            self.changes += 1


def checker(base: str, writer: Writer, stop: threading.Event, found: dict[str, int]) -> None:
    """Read article pages and count any that mixes two versions of its file."""
    while not stop.is_set():
        names = sorted(writer.live)
        if not names:
            time.sleep(0.01)
            continue
        name = random.choice(names)
        status, body = get(f"{base}/news/soak-{name}/")
        found["reads"] += 1
        if status >= 500:
            found["5xx"] += 1
        if status != 200:
            continue
        heads, ends = VERSION.search(body), END.search(body)
        if not heads or not ends or heads.groups() != ends.groups():
            found["mixed"] += 1


def worker_rss(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024)  # type: ignore[index]
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--every", type=float, default=0.1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    content = work / "content"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "corpus.py"), str(args.articles), str(content)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FLASK_CONTENT_DIR": str(content),
        "FLASK_STORE_DIR": str(work / "store"),
        "FLASK_LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base + "/")
        writer = Writer(content, args.every)
        writer.start()
        time.sleep(2)
        for path in ("/", "/feed.xml", "/tag/soak/", "/category/soak/"):
            get(base + path)
        memory_start = worker_rss(server.pid)
        paths = ["/", "/page/2/", "/feed.xml", "/atom.xml", "/category/soak/", "/tag/soak/"]
        paths += [f"/news/soak-a{n}/" for n in range(40)]
        script = work / "mix.lua"
        script.write_text(LUA % ", ".join(f'"{p}"' for p in paths))
        stop = threading.Event()
        found = {"reads": 0, "5xx": 0, "mixed": 0}
        check = threading.Thread(target=checker, args=(base, writer, stop, found), daemon=True)
        check.start()
        load = subprocess.Popen(
            ["wrk", "-t2", "-c64", f"-d{args.duration}s", "-s", str(script), base],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(args.duration / 2)
        memory_middle = worker_rss(server.pid)
        wrk, _ = load.communicate()
        stop.set()
        writer.stop.set()
        writer.join()
        check.join()
        memory_end = worker_rss(server.pid)
        time.sleep(2)  # past the check interval: the final state must be served
        wrong = [
            name
            for name, version in writer.live.items()
            if f"END-OF-VERSION-{version}-".encode() not in get(f"{base}/news/soak-{name}/")[1]
        ]
        requests = int(re.search(r"(\d+) requests in", wrk)[1])  # type: ignore[index]
        fives = int(re.search(r"5xx=(\d+)", wrk)[1])  # type: ignore[index]
        socket_errors = re.search(r"Socket errors:.*", wrk)
        lines = [
            f"# bench/soak.py --articles {args.articles} --duration {args.duration} "
            f"--every {args.every}",
            "",
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores.",
            "",
            f"- wrk, 64 connections, {len(paths)} pages and feeds: {requests:,} requests, "
            f"{fives} answered 5xx; {socket_errors[0] if socket_errors else 'no socket errors'}",
            f"- checker: {found['reads']:,} article pages read, {found['5xx']} answered 5xx, "
            f"{found['mixed']} mixing two versions",
            f"- writer: {writer.changes:,} changes (rewrites, additions, deletions, renames)",
            f"- worker memory (RSS, mean of the workers): {statistics.mean(memory_start):.0f} MB "
            f"at the start, {statistics.mean(memory_middle):.0f} MB halfway, "
            f"{statistics.mean(memory_end):.0f} MB at the end",
            f"- final state: {len(writer.live) - len(wrong)} of {len(writer.live)} articles "
            "served in their last version",
            "",
        ]
        print("\n".join(lines))
        out = ROOT / "bench" / "results" / f"soak-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.md"
        out.write_text("\n".join(lines))
        print(f"wrote {out}")
        failed = fives or found["5xx"] or found["mixed"] or wrong
        sys.exit(1 if failed else 0)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
