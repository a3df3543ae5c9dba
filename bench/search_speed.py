"""How fast the search index builds and answers (target: under 50 ms a query at 10,000 articles).

    python bench/search_speed.py [N] [--repeat 5]

Writes N articles with bench/corpus.py into a temporary folder, loads them with the site's own
parser, times ``SearchIndex().sync()`` over the published ones, then runs a fixed set of
queries ``--repeat`` times each and prints the median and 95th-percentile latency of each
query and overall, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import logging
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blog import create_app  # noqa: E402
from blog.search.engine import SearchIndex  # noqa: E402

# What readers type. The corpus has a vocabulary of fifty words (see bench/corpus.py), so a
# plain word matches nearly every article: the worst case for ranking, which is the point.
QUERIES = [
    "harbour",  # single common word
    "ferry",
    "turbine",
    "museum",
    "harbour ferry",  # two words
    "council budget",
    "rail bus",
    "harb",  # prefix of the last word
    "tur",
    "ferry sta",
    "fo",
    "BoatCrew",  # a tag (tags are one run of words in this corpus)
    "4217",  # rare: one headline's number
    "(42)",  # a number from a headline
    "zeppelin",  # no match
    "quixotic zeppelin",
    "the",  # a stop word the corpus never uses
    "café",  # accents
    'harbour "NEAR(" *',  # hostile syntax
    "Food & Drink",  # a category
]


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports kilobytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the corpus's deliberate quirks are not news here
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "content"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "corpus.py"), str(args.count), str(corpus)],
            check=True,
        )
        start = time.perf_counter()
        app = create_app({"CONTENT_DIR": str(corpus)})
        articles = app.extensions["blog.library"].index().articles
        print(f"parsed {len(articles)} published articles in {time.perf_counter() - start:.2f} s")
    rss_before = peak_rss_mb()

    index = SearchIndex()
    start = time.perf_counter()
    index.sync(articles)
    print(f"build: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    index.sync(articles)
    print(f"re-sync, nothing changed: {(time.perf_counter() - start) * 1000:.1f} ms")

    everything: list[float] = []
    print(f"\n{'query':<24}{'hits':>7}{'median ms':>11}{'p95 ms':>9}")
    for query in QUERIES:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            results = index.search(query)
            times.append((time.perf_counter() - start) * 1000)
        everything += times
        median, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"{query!r:<24}{results.total:>7}{median:>11.2f}{p95:>9.2f}")
    print(
        f"\noverall ({len(everything)} searches): median {statistics.median(everything):.2f} ms,"
        f" p95 {percentile(everything, 0.95):.2f} ms, max {max(everything):.2f} ms"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB (after parsing, before indexing: {rss_before:.0f} MB)")


if __name__ == "__main__":
    main()
