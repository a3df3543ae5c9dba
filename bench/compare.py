"""The app against the physical limit on this machine: nginx serving the same pages as files.

    .venv/bin/python bench/compare.py 1000 10000 [--duration 5] [--runs 3]

For each corpus size: writes the corpus (bench/corpus.py), freezes the site (flask freeze),
starts gunicorn with the app and with a bare constant-string Flask app (same gunicorn.conf.py,
a constant as long as the app's page at each path), nginx serving the frozen files and nginx
as a caching proxy in front of the app (configs from deploy/, on loopback ports), and loads
each with wrk at 64 connections: requests/s and p50/p99 per URL, medians of --runs rounds, each
round loading every target in turn (the machine is shared: its slow spells then fall on all
targets alike); a ratio is the median of the round-by-round ratios, which are listed too.
304s for the article are loaded in the same rounds as its full answer. Also:
cold start to first response, peak memory per worker, time from a file edit to the new version
being served, and the first request after an edit.

And the site at scale (issue 18), each beside its target: a first start (an empty store) to
the first page and to ``/-/ready``; a restart; each worker's RSS, PSS and USS and the two
workers' PSS together; ``flask content check`` of the whole folder, and ``check --changed``
after three files are edited in a git checkout of it; ``flask freeze`` of the whole site and
again after one edit, beside Hugo and Pelican building the same articles in their own
front-matter dialects (bench/generators.py; up to FULL_FREEZE articles, found on the PATH
or given with --hugo and --pelican).
Writes a Markdown table to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project is not

from bench import deployed_env  # noqa: E402
from bench.nginx import deploy_server_block, nginx  # noqa: E402

BIN = Path(sys.executable).parent
SITE_URL = "http://bench.example"
FULL_FREEZE = 20_000
STARTED: dict[str, float] = {}  # base URL → when its gunicorn was started
# The corpus's remote images are on a host that does not exist: with fetching on, a page is
# kept by no cache until the background has tried its picture (at 100,000 articles, long
# after the rounds start), which this table is not about (bench/picture_pages.py is).
NO_FETCH = {"FLASK_IMAGE_FETCH": "false"}
TOOLS: dict[str, str | None] = {"hugo": None, "pelican": None}  # set from the command line


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""


def wait_until_up(url: str, timeout: float = 600) -> float:
    start = time.perf_counter()
    while get(url)[0] != 200:
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.02)
    return time.perf_counter() - start


@contextmanager
def gunicorn(
    app: str, content: Path, env_extra: dict[str, str]
) -> Iterator[tuple[str, int, float]]:
    """(base URL, master pid, seconds from process start to first 200); the start's
    ``time.perf_counter()`` is kept in ``STARTED``."""
    port = free_port()
    env = {
        **deployed_env(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "FLASK_CONTENT_DIR": str(content),
        "FLASK_SITE_URL": SITE_URL,
        "FLASK_LOG_LEVEL": "ERROR",
        **NO_FETCH,
        **env_extra,
    }
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    STARTED[base] = time.perf_counter()
    try:
        cold = wait_until_up(base + "/")
        yield base, process.pid, cold
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def wrk(url: str, duration: int, headers: tuple[str, ...] = ()) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, requests) from one wrk run at 64 connections."""
    done = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{duration}s", "--latency", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx[1]} error responses\n{out}")

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return rps, ms("50"), ms("99"), int(re.search(r"(\d+) requests in", out)[1])


# requests/s, p50 ms, p99 ms, and requests per CPU-second of the server's processes: the last
# depends far less on the host's other work than the first (it costs the server's own time).
Result = tuple[float, float, float, float]
Target = tuple[str, tuple[str, ...], int]  # URL, wrk header options, server's main pid


def cpu_seconds(main_pid: int) -> float:
    """User and system time so far of a server: its main process and that one's children."""
    ticks = 0
    for child in Path("/proc").glob("[0-9]*"):
        try:
            fields = (child / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(child.name) == main_pid or int(fields[1]) == main_pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(targets: dict[str, Target], duration: int, runs: int) -> dict[str, list[Result]]:
    """Each target's result in each of ``runs`` rounds; a round loads every target once, in
    turn, so a slow spell of the machine falls on all of them alike rather than on one
    target's runs."""
    for url, _, _ in targets.values():
        get(url)  # warm the caches
    results: dict[str, list[Result]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (url, headers, server) in targets.items():
            before = cpu_seconds(server)
            rps, p50, p99, requests = wrk(url, duration, headers)
            used = max(cpu_seconds(server) - before, 0.01)
            results[name].append((rps, p50, p99, requests / used))
    return results


def median_of(rounds: list[Result]) -> Result:
    return tuple(statistics.median(r[i] for r in rounds) for i in range(4))  # type: ignore[return-value]


def ratios(rounds: list[Result], baseline: list[Result], column: int = 0) -> list[float]:
    """requests/s (or another column) of one target over another's, round by round (each
    pair ran back to back)."""
    return [r[column] / b[column] for r, b in zip(rounds, baseline, strict=True)]


def worker_peak_mb(master: int) -> float:
    """Peak resident memory (VmHWM) of the largest gunicorn worker, in MB."""
    peaks = []
    for child in Path("/proc").glob("[0-9]*"):
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master}$", status, re.MULTILINE):
            peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024)
    return max(peaks, default=0.0)


def memory_mb(master: int) -> tuple[dict[str, float], list[dict[str, float]]]:
    """RSS, PSS, USS (private pages) and VmHWM in MB of the master and of each worker, from
    /proc/PID/smaps_rollup: PSS shares each page among the processes that map it, so the
    workers' PSS adds up to what they cost together."""

    def of(pid: int) -> dict[str, float]:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        kb = {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", rollup, re.MULTILINE)}
        status = Path(f"/proc/{pid}/status").read_text()
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status)[1])
        uss = kb["Private_Clean"] + kb["Private_Dirty"]
        return {
            "rss": kb["Rss"] / 1024,
            "pss": kb["Pss"] / 1024,
            "uss": uss / 1024,
            "hwm": hwm / 1024,
        }

    workers = []
    for child in Path("/proc").glob("[0-9]*"):
        try:
            status = (child / "status").read_text()
            if re.search(rf"^PPid:\s+{master}$", status, re.MULTILINE) and re.search(
                r"^Name:\s+gunicorn", status, re.MULTILINE
            ):
                workers.append(of(int(child.name)))
        except (OSError, TypeError):
            continue
    return of(master), workers


def wait_ready(base: str, timeout: float = 1800) -> float:
    """Seconds from the server's start until ``/-/ready`` answers 200 (search complete)."""
    while get(base + "/-/ready")[0] != 200:
        if time.perf_counter() - STARTED[base] > timeout:
            raise RuntimeError(f"{base} was not ready in time")
        time.sleep(0.2)
    return time.perf_counter() - STARTED[base]


def timed(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, str]:
    """(seconds, output) of a command that must succeed (the check may exit 1 on errors)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed: {done.stderr[-2000:]}")
    return took, done.stdout


def check_times(content: Path, env: dict[str, str]) -> dict[str, float]:
    """The whole check (nothing kept, then again with every file's findings kept), then
    ``check --changed`` and the hook (``courier-hook``, run as ``python -m
    blog.editor.hook``) with three files edited in a checkout."""
    flask = [str(BIN / "flask"), "--app", "app", "content", "check"]
    whole, _ = timed(flask, env)  # the library restarts from the store the servers filled
    kept = statistics.median(timed(flask, env)[0] for _ in range(3))
    git = ["git", "-C", str(content), "-c", "user.name=bench", "-c", "user.email=b@example.org"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "corpus"], check=True)
    timed([*flask, "--changed"], env)  # a first start in a checkout dates articles from git
    files = sorted(content.glob("*.md"))
    for file in files[:: max(1, len(files) // 3)][:3]:
        file.write_text(file.read_text().replace('title: "', 'title: "Checked ', 1))
    changed = [timed([*flask, "--changed"], env)[0] for _ in range(3)]
    hook = [sys.executable, "-m", "blog.editor.hook"]
    timed(hook, env)  # the first: no table for this commit yet, the whole check writes it
    hooked = [timed(hook, env)[0] for _ in range(3)]
    return {
        "check": whole,
        "check_kept": kept,
        "changed": statistics.median(changed),
        "hook": statistics.median(hooked),
    }


def freeze_times(
    count: int, content: Path, frozen: Path, env: dict[str, str], work: Path
) -> dict[str, object]:
    """``flask freeze`` after one edit, beside Hugo's and Pelican's builds."""
    from bench import generators

    files = sorted(content.glob("*.md"))
    file = files[len(files) // 2]
    file.write_text(file.read_text().replace('title: "', 'title: "Frozen ', 1))
    freeze = [str(BIN / "flask"), "--app", "app", "freeze", str(frozen), "--base-url", SITE_URL]
    took, out = timed(freeze, env)
    found = re.search(r"wrote (\d+) files .*\((\d+) pages kept; ([^)]*)\)", out)
    result: dict[str, object] = {"incremental": took, "incremental_out": found[0] if found else out}
    for name, run in (("hugo", generators.hugo_times), ("pelican", generators.pelican_times)):
        tool = TOOLS[name]
        result[name] = run(count, work, tool) if tool else None
    return result


def edit_timings(base: str, content: Path) -> tuple[float, float]:
    """(seconds from a file edit to the new version served, ms of the first request after it)."""
    article = sorted(content.glob("*.md"))[len(list(content.glob("*.md"))) // 2]
    slug = re.sub(r"^\d{4}-\d\d-\d\d-", "", article.stem)
    url = f"{base}/news/{slug}/"
    if get(url)[0] != 200:
        return float("nan"), float("nan")
    text = article.read_text()
    marker = f"EDIT{int(time.time())}"
    article.write_text(text.replace('title: "', f'title: "{marker} ', 1))
    start = time.perf_counter()
    while marker.encode() not in get(url)[1]:
        time.sleep(0.005)
    visible = time.perf_counter() - start
    time.sleep(1.2)  # past the check interval
    # Another new version, not the original back: a worker that never served the first edit
    # would find the original unchanged and have nothing to do.
    article.write_text(text.replace('title: "', f'title: "{marker}-2 ', 1))
    time.sleep(1.1)
    start = time.perf_counter()
    body = get(url)[1]
    first = (time.perf_counter() - start) * 1000
    article.write_text(text)
    if f"{marker}-2".encode() not in body:
        raise RuntimeError(f"{url}: the second edit was not served after the check interval")
    return visible, first


def urls_for(base: str, content: Path) -> dict[str, str]:
    """The URLs to load, picked from the running app: its busiest tag, a mid-list article."""
    tags = re.findall(
        r'href="/tag/([^/]+)/">[^<]*</a> <span class="count">([\d,]+) article',
        get(base + "/tags/")[1].decode(),
    )
    tag = max(tags, key=lambda t: int(t[1].replace(",", "")))[0]
    files = sorted(content.glob("*.md"))
    article = re.sub(r"^\d{4}-\d{2}-\d{2}-", "", files[len(files) // 3].stem)  # no slug: fields
    page = next((n for n in (50, 10, 2) if get(f"{base}/page/{n}/")[0] == 200), 1)
    return {
        "home": "/",
        f"home page {page}": f"/page/{page}/" if page > 1 else "/",
        "article": f"/news/{article}/",
        "category": "/category/business/",
        "tag": f"/tag/{tag}/",
        "feed": "/feed.xml",
        "search": "/search?q=harbour+ferry",
    }


def wait_for_search(base: str, timeout: float = 900) -> None:
    """Until the search index is complete (a first start builds it in the background)."""
    start = time.perf_counter()
    while b"still being built" in get(base + "/search?q=harbour")[1]:
        if time.perf_counter() - start > timeout:
            raise RuntimeError("the search index was not built in time")
        time.sleep(1)


def run_size(
    count: int, duration: int, runs: int, work: Path
) -> tuple[list[str], dict[str, float]]:
    """The results table for one corpus size, and the app's requests/s per URL."""
    content = work / f"content-{count}"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "corpus.py"), str(count), str(content)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    rows: dict[str, dict[str, list[Result]]] = {}
    cache = {"FLASK_STORE_DIR": str(work / "store")}
    with gunicorn("app:app", content, cache) as (base, _, first_boot):
        # The first start ever: parses every file and fills the store, search included.
        ready = wait_ready(base)
        wait_for_search(base)
        urls = urls_for(base, content)
        # The bare app answers each path with a constant of the same length (bare_app.py).
        sizes = {path.split("?")[0]: len(get(base + path)[1]) for path in urls.values()}
    frozen = work / f"frozen-{count}"
    # Past FULL_FREEZE articles only the measured pages are frozen: rendering 100,000
    # articles takes about an hour here, and nginx's speed does not depend on the count.
    only = [] if count <= FULL_FREEZE else [f"--only={u}" for u in urls.values() if "?" not in u]
    env = {
        **deployed_env(),
        "FLASK_CONTENT_DIR": str(content),
        "FLASK_LOG_LEVEL": "ERROR",
        **NO_FETCH,
        **cache,
    }
    start = time.perf_counter()
    frozen_out = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "freeze", str(frozen), "--base-url", SITE_URL, *only],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    freeze_whole = time.perf_counter() - start
    with ExitStack() as stack:
        app_base, master, cold = stack.enter_context(gunicorn("app:app", content, cache))
        bare_base, bare_master, _ = stack.enter_context(
            gunicorn("bench.bare_app:app", content, {"BARE_PAGES": json.dumps(sizes)})
        )
        # The proxy's own upstream, set up as docs/deploy.md says: nginx sends the security
        # headers, so the app leaves them out of the pages nginx stores.
        upstream, _, _ = stack.enter_context(
            gunicorn("app:app", content, {**cache, "FLASK_PROXY_SENDS_SECURITY_HEADERS": "1"})
        )
        static_port, proxy_port = free_port(), free_port()
        server = stack.enter_context(
            nginx(
                deploy_server_block(
                    "nginx-static.conf",
                    **{
                        "listen 80": f"listen 127.0.0.1:{static_port}",
                        "/srv/courier/site": str(frozen),
                    },
                )
                + deploy_server_block(
                    "nginx-proxy.conf",
                    **{
                        "listen 80": f"listen 127.0.0.1:{proxy_port}",
                        "/var/cache/nginx/courier": str(work / f"nginx-cache-{count}"),
                        "127.0.0.1:8000": upstream.removeprefix("http://"),
                    },
                ),
                work / f"nginx-{count}",
            )
        )
        proxy_base, static_base = (
            f"http://127.0.0.1:{proxy_port}",
            f"http://127.0.0.1:{static_port}",
        )
        for name, path in urls.items():
            print(f"  {count}: {name}", flush=True)
            targets: dict[str, Target] = {
                "app (gunicorn)": (app_base + path, (), master),
                "bare Flask (gunicorn)": (bare_base + path, (), bare_master),
                "app behind nginx cache": (proxy_base + path, (), server.pid),
            }
            if name != "search":  # not a static page
                targets["nginx, frozen files"] = (static_base + path, (), server.pid)
            if name == "article":  # a reader's revalidation, beside the full answer
                etag = etag_of(app_base + path)
                revalidate = ("-H", f"If-None-Match: {etag}")
                targets["app, 304"] = (app_base + path, revalidate, master)
            try:
                rows[name] = measure(targets, duration, runs)
            except RuntimeError:
                print(server.error_log.read_text()[-3000:])
                raise
        peak = worker_peak_mb(master)
        memory = memory_mb(master)
        visible, first = edit_timings(app_base, content)
    notes = ("- frozen: only the measured pages (the whole site below 20,000 articles)",)
    lines = table(count, rows, (first_boot, cold), peak, visible, first, notes if only else ())
    frozen_files = re.search(r"wrote (\d+) files", frozen_out)
    at_scale = {
        "first": first_boot,
        "ready": ready,
        "restart": cold,
        "memory": memory,
        "freeze": None if only else (freeze_whole, frozen_files[1] if frozen_files else "?"),
        # The freeze after an edit first: the check then makes the folder a git checkout,
        # which dates every article from its commit (a new version of each).
        **({} if only else freeze_times(count, content, frozen, env, work)),
        **check_times(content, env),
    }
    lines += scale_table(count, at_scale)
    return lines, {
        re.sub(r" \d+$", "", n): median_of(by["app (gunicorn)"])[0] for n, by in rows.items()
    }


def scale_table(count: int, m: dict[str, Any]) -> list[str]:
    """The cold edges of the site at this size, each beside its target (issue 18; the
    targets are for 100,000 articles, the check's for 10,000 files)."""
    master, workers = m["memory"]
    worst = {k: max((w[k] for w in workers), default=0.0) for k in ("rss", "pss", "uss", "hwm")}
    together = sum(w["pss"] for w in workers)
    lines = [
        f"At scale, {count:,} articles:",
        "",
        "| measure | here | target |",
        "|---|---|---|",
        f"| first start (empty store) to the first page | {m['first']:.2f} s | < 15 s at 100k |",
        f"| first start to /-/ready (search complete) | {m['ready']:.2f} s | (behind) |",
        f"| restart (the store kept) to the first page | {m['restart']:.2f} s | < 1 s at 100k |",
        f"| largest worker: RSS / PSS / USS (VmHWM) | {worst['rss']:.0f} / {worst['pss']:.0f} / "
        f"{worst['uss']:.0f} MB ({worst['hwm']:.0f}) | < 120 MB |",
        f"| {len(workers)} workers' PSS together (with the master) | {together:.0f} MB "
        f"({together + master['pss']:.0f}) | < 200 MB |",
        f"| `content check` of the whole folder | {m['check']:.2f} s | < 2 s at 10k |",
        f"| `content check`, every file's findings kept | {m['check_kept']:.2f} s | < 2 s at 10k |",
        f"| `content check --changed`, 3 files edited | {m['changed']:.2f} s | (the slower) |",
        f"| `courier-hook`, 3 files edited | {m['hook']:.2f} s | < 0.3 s |",
    ]
    if m["freeze"] is not None:
        lines.append(
            f"| `flask freeze`, whole site | {m['freeze'][0]:.1f} s ({m['freeze'][1]} files) | "
            "beside Hugo, Pelican |"
        )
        lines.append(
            f"| `flask freeze` after one title edit | {m['incremental']:.2f} s "
            f"({m['incremental_out']}) | < 2 s |"
        )
        for name in ("hugo", "pelican"):
            if m.get(name):
                whole, again, files = m[name]
                lines.append(
                    f"| {name.title()}, whole site / after one edit | {whole:.1f} s / "
                    f"{again:.1f} s ({files} files) | |"
                )
            else:
                lines.append(f"| {name.title()} | not found | |")
    return [*lines, ""]


def scaling(by_size: dict[int, dict[str, float]]) -> list[str]:
    """Requests/s of each URL at each size, and how much slower the largest is than the
    smallest (the target: at most 1.5x)."""
    sizes = sorted(by_size)
    lines = [
        "### Cost against corpus size (app straight from gunicorn)",
        "",
        "| URL | " + " | ".join(f"{n:,} rps" for n in sizes) + " | slowdown |",
        "|---|" + "---|" * (len(sizes) + 1),
    ]
    for name in by_size[sizes[0]]:
        rps = [by_size[n].get(name, 0.0) for n in sizes]
        slowdown = rps[0] / rps[-1] if rps[-1] else float("inf")
        cells = " | ".join(f"{r:,.0f}" for r in rps)
        lines.append(f"| {name} | {cells} | {slowdown:.2f}x |")
    return [*lines, ""]


def etag_of(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return str(response.headers["ETag"])


def table(
    count: int,
    rows: dict[str, dict[str, list[Result]]],
    cold: tuple[float, float],
    peak: float,
    visible: float,
    first: float,
    notes: tuple[str, ...] = (),
) -> list[str]:
    """Medians of the rounds; each ratio is the median of the round-by-round ratios, listed
    below the table with the 304s'."""
    lines = [
        f"### {count:,} articles",
        "",
        "| URL | app rps (p50/p99 ms) | bare Flask rps (same length) | app/bare | "
        "nginx cache rps | nginx frozen rps (p50/p99 ms) | cache/frozen |",
        "|---|---|---|---|---|---|---|",
    ]
    rounds = []
    for name, by in rows.items():
        app, bare = median_of(by["app (gunicorn)"]), median_of(by["bare Flask (gunicorn)"])
        proxy = median_of(by["app behind nginx cache"])
        over_bare = ratios(by["app (gunicorn)"], by["bare Flask (gunicorn)"])
        cells = [
            f"{app[0]:,.0f} ({app[1]:.1f}/{app[2]:.1f})",
            f"{bare[0]:,.0f}",
            f"{statistics.median(over_bare):.0%}",
            f"{proxy[0]:,.0f}",
            "n/a",
            "n/a",
        ]
        rounds.append(f"- {name}, app/bare: " + ", ".join(f"{r:.0%}" for r in over_bare))
        if "nginx, frozen files" in by:
            static = median_of(by["nginx, frozen files"])
            over_static = ratios(by["app behind nginx cache"], by["nginx, frozen files"])
            cells[4:] = [
                f"{static[0]:,.0f} ({static[1]:.1f}/{static[2]:.1f})",
                f"{statistics.median(over_static):.0%}",
            ]
            rounds.append(f"- {name}, cache/frozen: " + ", ".join(f"{r:.0%}" for r in over_static))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    article = rows["article"]
    not_modified = ratios(article["app, 304"], article["app (gunicorn)"])
    rounds.append("- article, 304/200: " + ", ".join(f"{r:.0%}" for r in not_modified))
    cpu_304 = statistics.median(ratios(article["app, 304"], article["app (gunicorn)"], 3))
    lines += [
        "",
        f"- cold start, process start to first response: {cold[1]:.2f} s "
        f"(the very first start, filling the store: {cold[0]:.2f} s)",
        f"- peak memory of a worker (VmHWM): {peak:.0f} MB",
        f"- file edit to new version served: {visible:.2f} s",
        f"- first request after a single-file edit: {first:.1f} ms",
        f"- conditional requests (304) on the article: {median_of(article['app, 304'])[0]:,.0f} "
        f"requests/s, {statistics.median(not_modified):.0%} of the full cached answer in the "
        f"same rounds ({cpu_304:.0%} per CPU-second)",
        *notes,
        "",
        *cpu_table(rows),
        "",
        "Ratios round by round:",
        "",
        *rounds,
        "",
    ]
    return lines


def cpu_table(rows: dict[str, dict[str, list[Result]]]) -> list[str]:
    """Requests per CPU-second of each server's own processes: how much work a request costs
    it, which the host's other work disturbs far less than requests/s."""
    lines = [
        "Requests per CPU-second of the server's own processes (medians; ratios paired):",
        "",
        "| URL | app | bare Flask | app/bare | nginx cache | nginx frozen | cache/frozen |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, by in rows.items():
        per_cpu = {target: f"{median_of(rounds)[3]:,.0f}" for target, rounds in by.items()}
        over_bare = ratios(by["app (gunicorn)"], by["bare Flask (gunicorn)"], 3)
        cells = [
            per_cpu["app (gunicorn)"],
            per_cpu["bare Flask (gunicorn)"],
            f"{statistics.median(over_bare):.0%}",
            per_cpu["app behind nginx cache"],
            "n/a",
            "n/a",
        ]
        if "nginx, frozen files" in by:
            over_static = ratios(by["app behind nginx cache"], by["nginx, frozen files"], 3)
            cells[4:] = [per_cpu["nginx, frozen files"], f"{statistics.median(over_static):.0%}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def commit() -> str:
    """The code measured: its commit, marked when the work tree differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return head + (" (with uncommitted changes)" if git("status", "--porcelain", "-uno") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", type=int, nargs="+")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="rounds of wrk runs per URL (median)")
    parser.add_argument("--hugo", default=shutil.which("hugo"), help="Hugo (default: PATH's)")
    parser.add_argument(
        "--pelican", default=shutil.which("pelican"), help="Pelican (default: PATH's)"
    )
    args = parser.parse_args()
    TOOLS.update(hugo=args.hugo, pelican=args.pelican)
    lines = [
        f"# bench/compare.py {' '.join(map(str, args.sizes))} "
        f"(--duration {args.duration} --runs {args.runs})",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, {os.cpu_count()} "
        "cores; wrk -t2 -c64 on the same machine; medians of the rounds, each loading every "
        f"target in turn. Load average at the start: {os.getloadavg()[0]:.2f}. Remote "
        "images are not fetched (FLASK_IMAGE_FETCH=false): their host does not exist.",
        "",
    ]
    by_size: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for count in args.sizes:
            table_lines, by_size[count] = run_size(count, args.duration, args.runs, Path(folder))
            lines += table_lines
            print("\n".join(lines))
    if len(by_size) > 1:
        lines += scaling(by_size)
    out = ROOT / "bench" / "results" / f"{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
