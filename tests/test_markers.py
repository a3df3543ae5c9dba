"""The markers say what a test starts: the fast suite (-m "not server and not browser")
starts no server and no browser, and a test that tries without its marker fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import UnmarkedTestError, marker_for

VENV_BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    ("argv", "marker"),
    [
        ([str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"], "server"),
        ([sys.executable, "-m", "gunicorn", "app:app"], "server"),
        (["/usr/sbin/nginx", "-c", "nginx.conf", "-g", "daemon off;"], "server"),
        (["/usr/bin/redis-server", "--port", "6390"], "server"),
        (["/usr/bin/chromium", "--headless=new"], "browser"),
        (["node_modules/.bin/lighthouse", "http://127.0.0.1:8000/"], "browser"),
        (["/venv/playwright/driver/node", "/venv/playwright/driver/package/cli.js"], "browser"),
        ([str(VENV_BIN / "courier-check"), "--content-dir", "content"], None),
        (["git", "commit", "-m", "nginx: gunicorn"], None),
        ([sys.executable, "-c", "print('gunicorn')"], None),
    ],
)
def test_programs_are_known_by_the_marker_they_need(argv: list[str], marker: str | None) -> None:
    assert marker_for(argv) == marker


def test_an_unmarked_test_cannot_start_a_server() -> None:
    # Refused before the process exists; were it not, this gunicorn only prints its version.
    with pytest.raises(UnmarkedTestError, match="not marked server"):
        subprocess.Popen([str(VENV_BIN / "gunicorn"), "--version"], stdout=subprocess.DEVNULL)


def test_other_programs_start_as_usual() -> None:
    done = subprocess.run([sys.executable, "-c", "print('gunicorn')"], capture_output=True)
    assert done.stdout == b"gunicorn\n"
