"""How long the editors' check takes over a corpus (target: 10,000 files in under 2 s).

    python bench/check_speed.py [N] [--runs 3]

Writes N articles with bench/corpus.py into a temporary folder, then times
``flask --app app content check`` over it, start of the process to exit, and prints each
run and the median of the runs after the first. The first run parses every file (its store
is new); the others find each file's findings kept (``check_files.Kept``) and parse none.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the project is not

from bench import deployed_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "content"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "corpus.py"), str(args.count), str(corpus)],
            check=True,
        )
        env = {
            **deployed_env(),
            "FLASK_CONTENT_DIR": str(corpus),
            "FLASK_STORE_DIR": str(Path(folder) / "store"),
            "FLASK_LOG_LEVEL": "ERROR",
        }
        flask = Path(sys.executable).parent / "flask"
        times = []
        for run in range(args.runs):
            start = time.perf_counter()
            done = subprocess.run(
                [str(flask), "--app", "app", "content", "check"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - start)
            last = done.stdout.strip().splitlines()[-1]
            print(f"run {run + 1}: {times[-1]:.2f} s (exit {done.returncode}; {last})")
        warm = times[1:] or times
        print(f"first run (nothing kept), {args.count} files: {times[0]:.2f} s")
        print(f"median of the {len(warm)} runs after it (kept): {statistics.median(warm):.2f} s")


if __name__ == "__main__":
    main()
