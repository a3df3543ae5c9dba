"""A first start and a restart in CPU seconds as well as wall seconds: on a shared machine
the wall time follows the other work, the CPU time far less.

    .venv/bin/python bench/start_cpu.py CONTENT_DIR STORE_DIR [--runs 2]

Run from the checkout. With an empty STORE_DIR the first run is a first start (the bulk read
in a child process, on every core), the next ones restarts. Each run is a fresh process:
import the site, build the app (the library loaded as gunicorn's master loads it), answer
the home page once; it prints the wall time, the CPU time of the process and its children,
its peak RSS and the load average.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project is not

from bench import deployed_env  # noqa: E402

ONE_START = """
import os, resource, sys, time
start, cpu = time.perf_counter(), os.times()
from blog import create_app
app = create_app({"CONTENT_DIR": sys.argv[1], "STORE_DIR": sys.argv[2], "LOG_LEVEL": "ERROR"})
status = app.test_client().get("/").status_code
wall, now = time.perf_counter() - start, os.times()
used = sum(getattr(now, f) - getattr(cpu, f)
           for f in ("user", "system", "children_user", "children_system"))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"home page {status} after {wall:.2f} s, {used:.2f} s of CPU (children included), "
      f"peak RSS {peak:.0f} MB, load average {os.getloadavg()[0]:.1f}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    args.store.mkdir(parents=True, exist_ok=True)
    first = not any(args.store.iterdir())
    env = {**deployed_env(), "PYTHONPATH": str(ROOT)}  # this checkout's code, not an installed one
    for run in range(args.runs):
        kind = "first start" if first and run == 0 else "restart"
        done = subprocess.run(
            [sys.executable, "-c", ONE_START, str(args.content), str(args.store)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"{kind}: {done.stdout.strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    main()
