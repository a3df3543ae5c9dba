"""gunicorn's production defaults; each can be overridden from the environment.

The app's own settings are FLASK_* variables (see docs/settings.md); these are the server's.
"""

import ctypes
import gc
import os
import sys


def _tune_malloc() -> None:
    """glibc's allocator defaults suit short programs, not a threaded server: each of a
    worker's threads gets a heap of its own, and big buffers freed after a request (a feed,
    a search's posting lists) stay mapped. Two heaps, and big buffers handed back to the
    system when freed, so a worker's memory follows what it holds rather than its busiest
    moment (the figures: bench/results/). Set here, in the master, so every forked worker has
    it; a no-op on other C libraries."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, 128 * 1024)  # M_MMAP_THRESHOLD (fixed, so it never grows)
    except (OSError, AttributeError):
        pass


def _switched_on(name: str) -> bool:
    """A setting on by default: only 0, false or no turns it off."""
    return os.environ.get(name, "1") not in ("0", "false", "no")


_tune_malloc()
# How long a thread may keep the GIL while another waits for it (Python's default: 5 ms). A
# worker's threads mostly wait on sockets, and each must take the GIL back after every send;
# with 5 ms turns those waits pile up in the slowest requests. 1 ms lowers the tail latency
# at the same throughput (measured with bench/compare.py; figures in bench/results/).
sys.setswitchinterval(float(os.environ.get("GUNICORN_SWITCH_INTERVAL", "0.001")))
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A worker per core, threads within each: threads hide the socket waits, and more processes
# than cores only add switching (chosen by measurement on 2 cores with bench/compare.py).
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A listening socket per worker (SO_REUSEPORT), so the kernel spreads connections evenly.
# On one shared socket whichever worker woke first took most keep-alive connections, one
# core idle while the other queued; tests/test_server.py checks the spread.
reuse_port = _switched_on("GUNICORN_REUSE_PORT")
# Load the content once in the master; workers start with it (copy-on-write) and each
# begins watching the folder itself, so a fork never misses an edit.
preload_app = _switched_on("GUNICORN_PRELOAD")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
timeout = 30
graceful_timeout = 10
keepalive = 5


def pre_fork(server, worker):
    """Objects the master loaded (100,000 articles) leave the garbage collector's view, so
    collections in the workers never write to them and their pages stay shared."""
    gc.freeze()


def post_worker_init(worker):
    """Watch the content and sync search before the first request, not during it (only for
    the site: bench/compare.py serves a bare Flask app with this same file)."""
    if "blog.library" in getattr(worker.wsgi, "extensions", {}):
        from blog import prepare_worker

        prepare_worker(worker.wsgi)
