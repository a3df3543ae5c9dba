"""Take the screenshots of the editor in the browser in docs/editors.md.

    .venv/bin/python docs/editor_screenshots.py

Runs what an editor's machine runs with FLASK_DECAP_BACKEND=local (decap-server in git mode
on a newsroom repository made for the occasion, the site with gunicorn), and photographs
/admin/ in Debian's Chromium: the list of articles, a new article being written beside its
preview, and the publish menu.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.decap import (  # noqa: E402
    decap_server,
    field,
    log_in,
    markdown_field,
    newsroom,
    type_paragraphs,
)
from tests.live import CHROMIUM, CHROMIUM_FLAGS, gunicorn  # noqa: E402


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(exist_ok=True)
    node = shutil.which("node") or "/usr/bin/node"
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        repository = newsroom(folder / "newsroom")
        for sample in sorted((ROOT / "content").glob("*.md"))[-4:]:
            shutil.copy(sample, repository / "content" / sample.name)
        with (
            decap_server(node, repository, folder / "decap-server.log") as api,
            gunicorn(
                repository / "content",
                MEDIA_DIR=str(repository / "media"),
                DECAP_BACKEND="local",
                DECAP_LOCAL_URL=api,
                STORE_DIR="off",
            ) as site,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            log_in(page, site)
            page.wait_for_timeout(1000)
            shoot(page, out / "editor-articles.png")
            page.goto(site + "/admin/#/collections/articles/new")
            field(page, "title").fill("Ferry Timetables Go Digital")
            field(page, "categoria").fill("Transport")
            field(page, "tags").fill("#Ferries #Harbour")
            field(page, "short-description").fill("Every harbour ferry now shows its times live.")
            type_paragraphs(
                page,
                markdown_field(page, 0),
                ["The first boats carry screens from Monday.", "The rest follow by spring."],
            )
            page.wait_for_timeout(1000)
            shoot(page, out / "editor-new-article.png")
            page.get_by_role("button", name="Publish", exact=True).click()
            page.wait_for_timeout(500)
            shoot(page, out / "editor-publish.png")
            browser.close()


def shoot(page, target: Path) -> None:  # type: ignore[no-untyped-def]
    page.screenshot(path=str(target))
    print(target.relative_to(ROOT))


if __name__ == "__main__":
    main()
