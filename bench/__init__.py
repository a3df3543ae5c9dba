"""Benchmarks, run on demand (never in CI). What they share: the environment of the
processes they time."""

from __future__ import annotations

import compileall
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def deployed_env(**extra: str) -> dict[str, str]:
    """This process's environment as a deployed site's processes have it: the checkout's
    bytecode compiled and used. A machine whose environment sets ``PYTHONDONTWRITEBYTECODE``
    (this one does) would otherwise compile every module of the site from source at each
    start, about 0.2 s that no host pays where Python can write ``__pycache__``."""
    compileall.compile_dir(ROOT / "blog", quiet=1)
    compileall.compile_file(ROOT / "app.py", quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}
