"""nginx from Debian with the configs in deploy/, on loopback ports: for the benchmark and
for the tests that check those configs (tests/test_nginx.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


class Nginx(NamedTuple):
    pid: int  # the master's: in the foreground, the process started here
    error_log: Path


def deploy_server_block(name: str, **replace: str) -> str:
    """A config from deploy/, moved to this run's ports and folders by plain replacement."""
    text = (DEPLOY / name).read_text()
    for old, new in replace.items():
        if old not in text:
            raise ValueError(f"{name} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


CACHE_PURGE = Path("/usr/lib/nginx/modules/ngx_http_cache_purge_module.so")  # Debian's


@contextmanager
def nginx(
    config_body: str, workdir: Path, binary: str = "nginx", modules: tuple[Path, ...] = ()
) -> Iterator[Nginx]:
    """nginx in the foreground with ``config_body`` in its ``http`` block, these dynamic
    ``modules`` loaded, and every path under ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "nginx.pid").unlink(missing_ok=True)
    config = workdir / "nginx.conf"
    # As root, nginx's workers would otherwise drop to "nobody" and lose this run's folders.
    user = "user root;" if os.geteuid() == 0 else ""
    loads = "\n".join(f"load_module {module};" for module in modules)
    config.write_text(f"""
{loads}
{user}
worker_processes 2;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log error;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    {config_body}
}}
""")
    process = subprocess.Popen(
        [binary, "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    pid_file, deadline = workdir / "nginx.pid", time.monotonic() + 10
    while not pid_file.exists():  # written once the ports are bound
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("nginx: " + process.stderr.read().decode())  # type: ignore[union-attr]
        time.sleep(0.02)
    try:
        yield Nginx(process.pid, workdir / "error.log")
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=30)
