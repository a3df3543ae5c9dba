"""Decap CMS on one machine, for the browser tests and the editors' screenshots: a newsroom's
git repository, decap-server in git mode on it (from ``npm ci``), and the steps an editor
takes in the form, as Playwright drives them."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.articles import FORMAT_EXAMPLE
from tests.live import ROOT, free_port

DECAP_SERVER = ROOT / "node_modules" / "decap-server" / "dist" / "index.js"
EXAMPLE_FILE = "2025-06-02-harbour-cities-tidal-trams.md"


def git(repository: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repository), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def newsroom(folder: Path) -> Path:
    """A content repository as a newsroom keeps one: ``content/`` with the format's example,
    ``media/`` for uploads, one commit on ``main``."""
    (folder / "content").mkdir(parents=True)
    (folder / "media").mkdir()
    (folder / "content" / EXAMPLE_FILE).write_text(FORMAT_EXAMPLE)
    (folder / "media" / ".gitkeep").write_text("")
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    git(folder, "config", "user.email", "newsroom@example.org")
    git(folder, "config", "user.name", "Newsroom")
    git(folder, "add", "-A")
    git(folder, "commit", "-q", "-m", "The newsroom's articles")
    return folder


@contextmanager
def decap_server(node: str, repository: Path, log: Path) -> Iterator[str]:
    """decap-server in git mode on ``repository``, on a free loopback port; yields its API."""
    port = free_port()
    env = {
        **os.environ,
        "MODE": "git",
        "GIT_REPO_DIRECTORY": str(repository),
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen([node, str(DECAP_SERVER)], env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        said = log.read_text()
                        raise RuntimeError("decap-server did not start: " + said) from None
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}/api/v1"
        finally:
            process.terminate()
            process.wait(timeout=20)


def log_in(page, site: str) -> None:  # type: ignore[no-untyped-def]
    """Open the editor and pass its login screen (decap-server asks no password)."""
    page.goto(site + "/admin/")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Articles").first.wait_for()


def field(page, name: str):  # type: ignore[no-untyped-def]
    """The input of a plain field (string, text, list) by its front-matter name."""
    return page.locator(f'[id^="{name}-field-"]')


def markdown_field(page, number: int):  # type: ignore[no-untyped-def]
    """The rich-text box of the ``number``-th Markdown field (mk1 … mk5, then the body)."""
    return (
        page.locator('[aria-label="markdown field"]')
        .nth(number)
        .locator('[contenteditable="true"]')
    )


def type_paragraphs(page, box, paragraphs: list[str]) -> None:  # type: ignore[no-untyped-def]
    box.click()
    for n, text in enumerate(paragraphs):
        if n:
            page.keyboard.press("Enter")
        page.keyboard.type(text)


def upload_featured_image(page, image: Path) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Choose an image").click()
    page.locator('input[type="file"]').set_input_files(str(image))
    page.get_by_text(image.name).first.wait_for()
    page.get_by_role("button", name="Choose selected").click()


def publish_now(page) -> None:  # type: ignore[no-untyped-def]
    """Publish the form's changes (once the form knows there are some)."""
    page.get_by_text("Unsaved changes").first.wait_for()
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Publish now").click()
    page.get_by_text("Changes saved").first.wait_for()


def wait_for_commit(repository: Path, count: int, timeout: float = 15) -> None:
    """Until the repository's branch has ``count`` commits."""
    deadline = time.monotonic() + timeout
    while int(git(repository, "rev-list", "--count", "main")) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"no commit reached the repository: {git(repository, 'log')}")
        time.sleep(0.1)
