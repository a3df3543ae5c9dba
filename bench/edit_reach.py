"""How far one edit reaches into the response cache: which cached pages it renders again.

    .venv/bin/python bench/edit_reach.py [--articles 2000]

Writes a corpus (bench/corpus.py), builds the app in this process (in-process cache large
enough for every page, the clock fixed), and caches every page a reader can reach from the
index: each article, the first page of each category, tag and author, the front page and its
second page, the archive, the site's and each category's and tag's feeds. Then, one at a
time, it makes an edit to one article (its text; its headline; a new article) and asks for
every page again, counting the pages rendered again and, of those, the ones whose bytes did
not change (renders an exact cache would have spared). Once with pages keyed by the versions
of what they show (``CACHE_PER_PAGE``, the default) and once by the whole content version, as
before. Writes a Markdown table to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402

from bench.compare import ROOT, commit  # noqa: E402
from blog import create_app, get_library  # noqa: E402

NOW = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


def build(content: Path, per_page: bool) -> Flask:
    app = create_app(
        {
            "CONTENT_DIR": str(content),
            "CONTENT_CHECK_INTERVAL": 0,
            "CACHE_TYPE": "SimpleCache",
            "CACHE_THRESHOLD": 1_000_000,
            "CACHE_PER_PAGE": per_page,
            "STORE_DIR": "off",
            "DEPLOY_ID": "bench",
            "IMAGE_FETCH": False,  # pictures as written: the same before and after
        }
    )
    library = get_library(app)
    library.clock = lambda: NOW
    library.load()
    # What the background makes in a worker: the local pictures' sizes (a feed whose
    # enclosure is not made yet is not kept). Remote ones are linked as written.
    images = app.extensions["blog.images"]
    for reference in {a.image for a in library.index().articles if (a.image or "").startswith("/")}:
        images.prepare(reference)
    return app


def urls(app: Flask) -> list[str]:
    index = get_library(app).index()
    found = ["/", "/page/2/", "/archive/", "/feed.xml", "/atom.xml", "/feed.json"]
    found += [f"/news/{a.slug}/" for a in index.articles]
    for kind, groups in (
        ("category", index.categories),
        ("tag", index.tags),
        ("author", index.authors),
    ):
        for slug in groups:
            found.append(f"/{kind}/{slug}/")
            if kind != "author":
                found.append(f"/{kind}/{slug}/feed.xml")
    return found


def load(app: Flask, paths: list[str]) -> dict[str, bytes]:
    client = app.test_client()
    pages = {}
    for path in paths:
        response = client.get(path)
        if response.status_code == 200:
            pages[path] = response.get_data()
    return pages


def edit_text(path: Path) -> None:
    text = path.read_text()
    path.write_text(text + "\nOne more sentence, added by the bench.\n")


def edit_headline(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    lines = ['title: "A new headline"\n' if line.startswith("title:") else line for line in lines]
    path.write_text("".join(lines))


def add_article(folder: Path, like: Path) -> None:
    (folder / "2025-12-01-the-bench-adds-one.md").write_text(like.read_text())


def measure(content: Path, per_page: bool) -> list[tuple[str, int, int, int, float]]:
    """For each edit: (edit, pages, rendered again, of which unchanged, seconds)."""
    work = Path(tempfile.mkdtemp(prefix="reach-"))
    folder = work / "content"
    subprocess.run(["cp", "-r", str(content), str(folder)], check=True)
    app = build(folder, per_page)
    cache = app.extensions["blog.page_cache"]
    paths = urls(app)
    before = load(app, paths)
    files = sorted(folder.glob("*.md"))
    index = get_library(app).index()
    middle = index.articles[len(index.articles) // 2]  # an article with neighbours
    target = folder / middle.path
    rows = []
    for name, change in (
        ("none (the control)", lambda: None),
        ("its text", lambda: edit_text(target)),
        ("its headline", lambda: edit_headline(target)),
        ("a new article", lambda: add_article(folder, files[0])),
    ):
        change()
        os.utime(folder)  # the folder watch looks at mtimes
        load(app, ["/robots.txt"])  # any request looks for changes (CONTENT_CHECK_INTERVAL=0)
        renders = cache.renders
        began = time.perf_counter()
        after = load(app, paths)
        took = time.perf_counter() - began
        rendered = cache.renders - renders
        changed = sum(1 for p in after if before.get(p) != after[p])
        rows.append((name, len(after), rendered, rendered - changed, took))
        before = after
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    corpus = Path(tempfile.mkdtemp(prefix="reach-corpus-")) / "content"
    subprocess.run(
        [sys.executable, str(ROOT / "bench/corpus.py"), str(args.articles), str(corpus)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    results = {mode: measure(corpus, mode == "page") for mode in ("page", "global")}
    lines = [
        f"# bench/edit_reach.py --articles {args.articles}",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}. Every page cached "
        "first; then one edit at a time to a mid-list article, and every page asked again.",
        "",
        "| edit | versions | pages | rendered again | of which unchanged | kept | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, rows in results.items():
        for name, pages, rendered, wasted, took in rows:
            lines.append(
                f"| {name} | {mode} | {pages:,} | {rendered:,} | {wasted:,} | "
                f"{pages - rendered:,} | {took:.1f} s |"
            )
    text = "\n".join(lines) + "\n"
    out = ROOT / "bench/results" / f"edit-reach-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
