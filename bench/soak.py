"""Load with changes: gunicorn under wrk while another process edits articles the way git does.

    .venv/bin/python bench/soak.py [--articles 2000] [--duration 60] [--every 0.1]
        [--front none|varnish] [--versions page|global]
    .venv/bin/python bench/soak.py --compare --every 1     # the four side by side

Writes a corpus (bench/corpus.py) and serves it with gunicorn.conf.py, straight or behind
Varnish (``--front varnish``: deploy/varnish.vcl, pages kept a day, the app purging them by
key). For ``--duration`` seconds, wrk at 64 connections loads a mix of pages and feeds (the
soak articles' and a hundred of the corpus's), a checker reads soak article pages as fast as
it can, and every ``--every`` seconds a writer rewrites, adds, deletes or renames a soak
article (new file, then rename over the old one, as ``git pull`` does). Each version a writer
makes carries its number in the headline and at the end of the body, so a page that mixes
two versions is caught, and so is one still served more than 2 s after its edit (stale).

Then: zero 5xx, no mixed page, no stale page, worker memory at the start and the end, the
final state served; the share of requests the front answered from its cache (Varnish's
X-Cache); and the origin's own hit ratio (pages it rendered against requests it answered),
with pages keyed by the versions of what they show (``--versions page``, the default) or by
the whole content version as before (``global``: CACHE_PER_PAGE off). Writes a Markdown
summary to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.compare import BIN, ROOT, commit, free_port, get, wait_until_up  # noqa: E402
from bench.varnish import stat, varnishd, vcl_for  # noqa: E402

LUA = """
local paths = {%s}
local n = 0
local threads = {}
fives, hits = 0, 0  -- globals: each thread's own, summed in done()
function setup(thread)
  table.insert(threads, thread)
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
function response(status, headers, body)
  if status >= 500 then fives = fives + 1 end
  if headers["X-Cache"] == "HIT" then hits = hits + 1 end
end
function done(summary, latency, requests)
  local f, h = 0, 0
  for _, thread in ipairs(threads) do
    f = f + thread:get("fives")
    h = h + thread:get("hits")
  end
  io.write(string.format("5xx=%%d\\nhits=%%d\\n", f, h))
end
"""
VERSION = re.compile(rb"<h1[^>]*>\s*Version (\d+) of (\w+)\s*</h1>")
END = re.compile(rb"END-OF-VERSION-(\d+)-(\w+)")
LATE = 2.0  # seconds after an edit past which serving the old page counts as stale
CORPUS_PAGES = 100  # corpus articles in wrk's mix, besides the soak's pages and listings
# gunicorn's logging: the response cache's "rendered" lines to a file the run counts.
LOGGING = """[loggers]
keys=root,cache
[handlers]
keys=renders
[formatters]
keys=plain
[logger_root]
level=WARNING
handlers=
[logger_cache]
level=DEBUG
handlers=renders
qualname=blog.web.cache
propagate=0
[handler_renders]
class=FileHandler
args=(%r, "a")
formatter=plain
[formatter_plain]
format=%%(message)s
"""


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
        self.since: dict[str, float] = {}  # name → when its file last changed (monotonic)
        self.gone: dict[str, float] = {}  # name → when its file went
        self.changes = 0
        self.rng = random.Random(7)
        self.lock = threading.Lock()

    def write(self, name: str, version: int) -> None:
        partial = self.folder / f".{name}.tmp"
        partial.write_text(article(name, version))
        os.replace(partial, self.folder / f"soak-{name}.md")
        with self.lock:
            self.live[name], self.since[name] = version, time.monotonic()

    def expected(self, name: str) -> tuple[int | None, float]:
        """(the version on disk, or None when gone; since when)."""
        with self.lock:
            if name in self.live:
                return self.live[name], self.since[name]
            return None, self.gone.get(name, 0.0)

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
                with self.lock:
                    del self.live[gone]
                    self.gone[gone] = time.monotonic()
            else:
                old = self.rng.choice(names)
                new = f"r{version}"
                os.replace(self.folder / f"soak-{old}.md", self.folder / f"soak-{new}.md")
                with self.lock:
                    self.live[new] = self.live.pop(old)
                    self.since[new] = self.gone[old] = time.monotonic()
                # the file keeps its text: its headline still names the old name
            self.changes += 1


def checker(base: str, writer: Writer, stop: threading.Event, found: dict[str, int]) -> None:
    """Read article pages: count any that mixes two versions of its file, and any that is
    not the file's version (or still there once it is gone) more than LATE seconds after
    the change."""
    rng = random.Random(11)
    while not stop.is_set():
        names = sorted(writer.live)
        if not names:
            time.sleep(0.01)
            continue
        name = rng.choice(names)
        asked = time.monotonic()
        status, body = get(f"{base}/news/soak-{name}/")
        found["reads"] += 1
        if status >= 500:
            found["5xx"] += 1
        expected, since = writer.expected(name)
        settled = asked - since > LATE
        if status != 200:
            if settled and expected is not None:
                found["stale"] += 1  # there for LATE seconds, and still not found
            continue
        heads, ends = VERSION.search(body), END.search(body)
        if not heads or not ends or heads.groups() != ends.groups():
            found["mixed"] += 1
        elif settled and (expected is None or int(heads[1]) != expected):
            found["stale"] += 1


def worker_rss(master: int) -> list[float]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024)  # type: ignore[index]
    return sizes


def corpus_paths(base: str) -> list[str]:
    """A hundred of the corpus's article pages and its first category and tag pages."""
    status, body = get(base + "/sitemap.xml")
    assert status == 200, "no sitemap"
    urls = [u.decode() for u in re.findall(rb"<loc>([^<]+)</loc>", body)]
    paths = [re.sub(r"^https?://[^/]+", "", u) for u in urls]
    articles = [p for p in paths if p.startswith("/news/") and "/soak-" not in p]
    groups = [p for p in paths if p.startswith(("/category/", "/tag/")) and "soak" not in p]
    return articles[:CORPUS_PAGES] + groups[:20]


@contextmanager
def front_of(kind: str, app_port: int, port: int, work: Path) -> Iterator[Path | None]:
    """Varnish on ``port`` in front of the app (yields its varnishstat name), or nothing."""
    if kind == "varnish":
        with varnishd(vcl_for(app_port), port, work / "varnish") as name:
            yield name
    else:
        yield None


def run(args: argparse.Namespace, front: str, versions: str, base_corpus: Path) -> dict[str, str]:
    """One soak: the figures, as text, by name."""
    work = Path(tempfile.mkdtemp(prefix=f"soak-{front}-{versions}-"))
    content = work / "content"
    shutil.copytree(base_corpus, content)
    app_port, front_port = free_port(), free_port()
    renders_log = work / "renders.log"
    (work / "logging.ini").write_text(LOGGING % str(renders_log))
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        "GUNICORN_CMD_ARGS": f"--log-config {work / 'logging.ini'}",
        "FLASK_CONTENT_DIR": str(content),
        "FLASK_STORE_DIR": str(work / "store"),
        "FLASK_LOG_LEVEL": "ERROR",
        "FLASK_CACHE_PER_PAGE": "1" if versions == "page" else "0",
    }
    if front == "varnish":
        env |= {
            "FLASK_SHARED_MAX_AGE": "86400",
            "FLASK_PURGE_VARNISH_URL": f"http://127.0.0.1:{front_port}",
            "FLASK_PROXY_FIX": "1",
        }
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{app_port}/")
        with front_of(front, app_port, front_port, work) as name:
            base = f"http://127.0.0.1:{front_port if name else app_port}"
            return _soak(args, base, server, content, work, renders_log, name)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _soak(
    args: argparse.Namespace,
    base: str,
    server: subprocess.Popen[bytes],
    content: Path,
    work: Path,
    renders_log: Path,
    varnish: Path | None,
) -> dict[str, str]:
    writer = Writer(content, args.every)
    writer.start()
    time.sleep(2)
    paths = ["/", "/page/2/", "/feed.xml", "/atom.xml", "/category/soak/", "/tag/soak/"]
    paths += [f"/news/soak-a{n}/" for n in range(40)]
    paths += corpus_paths(base)
    for path in paths:  # each in the caches once, as on a site that has been up a while
        get(base + path)
    memory_start = worker_rss(server.pid)
    script = work / "mix.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in paths))
    stop = threading.Event()
    found = {"reads": 0, "5xx": 0, "mixed": 0, "stale": 0}
    check = threading.Thread(target=checker, args=(base, writer, stop, found), daemon=True)
    renders_before = _lines(renders_log)
    fetches_before = stat(varnish, "MAIN.backend_req") if varnish else 0
    check.start()
    load = subprocess.Popen(
        ["wrk", "-t2", "-c64", "--latency", f"-d{args.duration}s", "-s", str(script), base],
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
    renders = _lines(renders_log) - renders_before
    memory_end = worker_rss(server.pid)
    requests = int(re.search(r"(\d+) requests in", wrk)[1])  # type: ignore[index]
    fives = int(re.search(r"5xx=(\d+)", wrk)[1])  # type: ignore[index]
    hits = int(re.search(r"hits=(\d+)", wrk)[1])  # type: ignore[index]
    errors = re.search(r"Socket errors: (.*)", wrk)
    p99 = re.search(r"99%\s+(\S+)", wrk)
    slowest = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", wrk)
    # What reached the app: through Varnish, its fetches; straight, every request.
    origin = stat(varnish, "MAIN.backend_req") - fetches_before if varnish else None
    origin_requests = origin if origin is not None else requests + found["reads"]
    time.sleep(LATE)  # every last change purged and seen
    wrong = [
        name
        for name, version in writer.live.items()
        if f"END-OF-VERSION-{version}-".encode() not in get(f"{base}/news/soak-{name}/")[1]
    ]
    return {
        "requests": f"{requests:,}",
        "per second": f"{requests / args.duration:,.0f}",
        "5xx": str(fives + found["5xx"]),
        "socket errors": errors[1] if errors else "none",
        "latency p99 / max": f"{p99[1] if p99 else '?'} / {slowest[1] if slowest else '?'}",
        "changes": f"{writer.changes:,}",
        "checker reads": f"{found['reads']:,}",
        "mixed pages": str(found["mixed"]),
        f"stale pages (> {LATE:.0f} s)": str(found["stale"]),
        "answered by Varnish": f"{hits / requests:.1%}" if varnish else "-",
        "origin requests": f"{origin_requests:,}",
        "origin renders": f"{renders:,}",
        "origin hit ratio": f"{1 - renders / max(origin_requests, 1):.1%}",
        "worker RSS start/half/end (MB)": "/".join(
            f"{statistics.mean(m):.0f}" for m in (memory_start, memory_middle, memory_end)
        ),
        "final state served": f"{len(writer.live) - len(wrong)} of {len(writer.live)}",
    }


def _lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_text().splitlines() if line.startswith("rendered"))
    except OSError:
        return 0


def failed(figures: dict[str, str]) -> bool:
    done, total = figures["final state served"].split(" of ")
    stale = next(v for k, v in figures.items() if k.startswith("stale"))
    return figures["5xx"] != "0" or figures["mixed pages"] != "0" or stale != "0" or done != total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--every", type=float, default=0.1)
    parser.add_argument("--front", choices=["none", "varnish"], default="none")
    parser.add_argument("--versions", choices=["page", "global"], default="page")
    parser.add_argument("--compare", action="store_true", help="run the four side by side")
    args = parser.parse_args()
    corpus = Path(tempfile.mkdtemp(prefix="soak-corpus-")) / "content"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "corpus.py"), str(args.articles), str(corpus)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    runs = (
        [(f, v) for f in ("varnish", "none") for v in ("page", "global")]
        if args.compare
        else [(args.front, args.versions)]
    )
    results = {}
    for front, versions in runs:
        print(f"soak: front {front}, versions {versions}…", flush=True)
        results[(front, versions)] = run(args, front, versions, corpus)
    lines = [
        f"# bench/soak.py --articles {args.articles} --duration {args.duration} "
        f"--every {args.every}"
        + (" --compare" if args.compare else f" --front {args.front} --versions {args.versions}"),
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, {os.cpu_count()} "
        "cores. wrk at 64 "
        "connections over the soak's 46 pages and feeds and 120 of the corpus's pages; a "
        "checker reading soak articles; an edit (rewrite, addition, deletion or rename of a "
        f"soak article) every {args.every} s. Versions: page = cached pages keyed by what "
        "they show; global = by the whole content version, as before.",
        "",
        "| | " + " | ".join(f"{f}, {v}" for f, v in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for figure in next(iter(results.values())):
        lines.append(f"| {figure} | " + " | ".join(results[r][figure] for r in runs) + " |")
    lines.append("")
    print("\n".join(lines))
    name = "soak-compare" if args.compare else "soak"
    out = ROOT / "bench" / "results" / f"{name}-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out}")
    sys.exit(1 if any(failed(r) for r in results.values()) else 0)


if __name__ == "__main__":
    main()
