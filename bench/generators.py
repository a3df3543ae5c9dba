"""Hugo and Pelican building the bench corpus, beside ``flask freeze`` (bench/compare.py).

    .venv/bin/python bench/generators.py N [--pelican PATH] [--hugo PATH]

Each reads a copy of the same articles written in its own front-matter dialect by
bench/corpus.py (``--dialect hugo|pelican``), with what a news site needs of it: an article
page with five more of its first tag, 20 articles a listing page (home, categories, tags), feeds
and a sitemap. Hugo is Debian's (``apt-get install hugo``), with the minimal templates
below; Pelican (``pip install pelican markdown``, kept in a virtual environment of its own,
not the site's) uses its default theme. Each is timed building the whole site, then again
after one article's title is edited: Hugo builds everything again (its incremental builds
are for ``hugo server`` only), Pelican with its content cache on (only the edited file is
read again; every page is still written).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HUGO_CONFIG = """\
baseURL = "http://bench.example/"
title = "The Harbour Courier"
paginate = 20
[permalinks]
  posts = "/news/:slug/"
[markup.goldmark.renderer]
  unsafe = false
"""

HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title>
<link rel="alternate" type="application/rss+xml" href="{{ "index.xml" | absURL }}"></head>
<body><header><a href="/">{{ .Site.Title }}</a> <nav>{{ range .Site.Taxonomies.categories }}
<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>{{ end }}</nav></header>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<time>{{ .Date.Format "2 January 2006" }}</time><p>{{ .Summary }}</p>
{{ with .Params.images }}<img src="{{ index . 0 }}" alt="">{{ end }}
{{ .Content }}<p>{{ range .Params.tags }}
<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">#{{ . }}</a> {{ end }}</p>
</article><aside><h2>Related</h2><ul>{{ with index .Params.tags 0 }}
{{ range first 5 (index $.Site.Taxonomies.tags (urlize .)).Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}{{ end }}</ul></aside>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range (.Paginate .Pages).Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<time>{{ .Date.Format "2 January 2006" }}</time><p>{{ .Summary }}</p></article>{{ end }}
{{ template "_internal/pagination.html" . }}{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>
{{ .Count }}</li>{{ end }}</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}{{ range (.Paginate .Site.RegularPages).Pages }}
<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>
{{ end }}{{ template "_internal/pagination.html" . }}{{ end }}
""",
}

PELICAN_CONFIG = """\
AUTHOR = "Newsroom"
SITENAME = "The Harbour Courier"
SITEURL = "http://bench.example"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 20
ARTICLE_URL = "news/{slug}/"
ARTICLE_SAVE_AS = "news/{slug}/index.html"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feed.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tag-{slug}.atom.xml"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""


def write_corpus(count: int, folder: Path, dialect: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "corpus.py"), str(count), str(folder)]
        + ["--dialect", dialect],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def hugo_site(count: int, work: Path) -> Path:
    site = work / f"hugo-{count}"
    write_corpus(count, site / "content", "hugo")
    (site / "config.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (site / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "layouts" / name).write_text(text)
    return site


def pelican_site(count: int, work: Path) -> Path:
    site = work / f"pelican-{count}"
    write_corpus(count, site / "content", "pelican")
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG)
    return site


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return took


def edit_one(folder: Path, pattern: str, before: str, after: str) -> None:
    """Edit one article's title, as an editor fixing a typo."""
    files = sorted(folder.rglob(pattern))
    file = files[len(files) // 2]
    file.write_text(file.read_text().replace(before, after, 1))


def files_in(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def hugo_times(count: int, work: Path, hugo: str) -> tuple[float, float, int]:
    """(whole build s, build after one edit s, files written)."""
    site = hugo_site(count, work)
    command = [hugo, "--quiet", "--source", str(site), "--destination", str(site / "public")]
    whole = timed(command, site)
    edit_one(site / "content", "*.md", 'title: "', 'title: "Edited ')
    again = timed(command, site)
    return whole, again, files_in(site / "public")


def pelican_times(count: int, work: Path, pelican: str) -> tuple[float, float, int]:
    site = pelican_site(count, work)
    command = [pelican, "content", "-o", "output", "-s", "pelicanconf.py", "-q"]
    whole = timed(command, site)
    edit_one(site / "content", "*.md", "Title: ", "Title: Edited ")
    again = timed(command, site)
    return whole, again, files_in(site / "output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--hugo", default=shutil.which("hugo") or "hugo")
    parser.add_argument("--pelican", default=shutil.which("pelican") or "pelican")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-generators"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    runs = (("hugo", hugo_times, args.hugo), ("pelican", pelican_times, args.pelican))
    for name, run, tool in runs:
        whole, again, files = run(args.count, args.work, tool)
        print(f"{name}: whole {whole:.1f} s, after one edit {again:.1f} s, {files} files")


if __name__ == "__main__":
    main()
