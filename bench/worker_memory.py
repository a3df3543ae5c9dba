"""The memory of gunicorn's workers on a big corpus, after load: RSS, PSS, USS and the
peak (VmHWM) of each worker, and the workers' PSS together (compare.py's memory rows,
without the rest of its table).

    .venv/bin/python bench/worker_memory.py CONTENT_DIR STORE_DIR [--duration 3]

Starts the app with gunicorn's own configuration (``gunicorn.conf.py``: the library loaded
in the master before the fork) on the store given (filled by an earlier start: this times a
restart), waits until ready, asks each of compare.py's URLs once and then loads it with wrk
(as compare.py does), then reads
/proc/PID/smaps_rollup of the master and of each worker.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project is not

from bench.compare import get, gunicorn, memory_mb, urls_for, wait_ready, wrk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("--duration", type=int, default=3, help="seconds of wrk per URL")
    args = parser.parse_args()
    with gunicorn("app:app", args.content, {"FLASK_STORE_DIR": str(args.store)}) as (
        base,
        master,
        first_page,
    ):
        print(f"first page after {first_page:.2f} s; ready after {wait_ready(base):.2f} s")
        for name, path in urls_for(base, args.content).items():
            get(base + path)  # as compare.py does: a first answer before the load
            rps, p50, _, _ = wrk(base + path, args.duration)
            print(f"  {name}: {rps:,.0f} requests/s, p50 {p50:.1f} ms")
        own, workers = memory_mb(master)
    print(f"master: RSS {own['rss']:.0f} / PSS {own['pss']:.0f} / USS {own['uss']:.0f} MB")
    for n, worker in enumerate(workers, 1):
        print(
            f"worker {n}: RSS {worker['rss']:.0f} / PSS {worker['pss']:.0f} / "
            f"USS {worker['uss']:.0f} MB, VmHWM {worker['hwm']:.0f} MB"
        )
    together = sum(w["pss"] for w in workers)
    print(f"workers' PSS together: {together:.0f} MB ({together + own['pss']:.0f} with the master)")


if __name__ == "__main__":
    main()
