"""Varnish from Debian with deploy/varnish.vcl, on loopback ports: for the soak benchmark and
for the tests that check the config (tests/test_varnish.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
BACKEND = '.host = "127.0.0.1";\n    .port = "8000";'  # as deploy/varnish.vcl has it


def vcl_for(backend_port: int) -> str:
    """deploy/varnish.vcl with its backend on ``backend_port``."""
    vcl = (DEPLOY / "varnish.vcl").read_text()
    if BACKEND not in vcl:
        raise ValueError("deploy/varnish.vcl no longer names its backend as expected")
    return vcl.replace('.port = "8000"', f'.port = "{backend_port}"')


@contextmanager
def varnishd(vcl: str, port: int, workdir: Path, binary: str = "varnishd") -> Iterator[Path]:
    """varnishd in the foreground on ``port`` with ``vcl``; yields its working folder (for
    ``varnishstat -n``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "courier.vcl").write_text(vcl)
    name = workdir / "n"
    command = [binary, "-F", "-a", f"127.0.0.1:{port}", "-f", str(workdir / "courier.vcl")]
    # -j none: as root, no jail (it would run as a user that cannot read this folder).
    command += ["-n", str(name), "-s", "malloc,256m", "-j", "none"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    try:
        while not _answers(f"http://127.0.0.1:{port}/"):
            if process.poll() is not None or time.monotonic() > deadline:
                said = process.stderr.read().decode() if process.poll() is not None else ""  # type: ignore[union-attr]
                raise RuntimeError("varnishd did not start: " + said)
            time.sleep(0.1)
        yield name
    finally:
        process.terminate()
        process.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except urllib.error.HTTPError:
        return True  # Varnish is up; the app behind it may not be
    except OSError:
        return False


def stat(name: Path, counter: str) -> int:
    """One of varnishstat's counters (MAIN.backend_req: fetches from the app)."""
    binary = shutil.which("varnishstat") or "/usr/bin/varnishstat"
    out = subprocess.run(
        [binary, "-n", str(name), "-1", "-j", "-f", counter],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    counters = data.get("counters", data)
    return int(counters[counter]["value"])
