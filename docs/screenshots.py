"""Take the screenshots in docs/benchmarks.md: home, an article, an author page, a year of
the archive and an article whose picture cannot be had, phone and desktop width.

    .venv/bin/python docs/screenshots.py

Serves the sample content with gunicorn and photographs it in Debian's Chromium, once the
site has tried to fetch the articles' remote pictures (on a closed network they fail, and
their placeholders are photographed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import CHROMIUM, CHROMIUM_FLAGS, fetch, gunicorn  # noqa: E402

SHOTS = {
    "home": "/",
    "article": "/news/marrowby-film-festival-unveils-lineup/",
    "author": "/author/mira-okonjo/",
    "archive": "/2025/",
    # A remote picture the site could not fetch: its category's colour and name instead.
    "placeholder": "/news/dunhallow-library-reading-festival/",
}
WIDTHS = {"phone": (360, 780), "desktop": (1280, 900)}


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(exist_ok=True)
    store = tempfile.TemporaryDirectory(prefix="courier-screenshots-")
    with (
        store,
        gunicorn(ROOT / "content", STORE_DIR=store.name, IMAGE_FETCH_TIMEOUT="5") as base,
        sync_playwright() as playwright,
    ):
        settled(base)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        for width_name, (width, height) in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith("http://127.0.0.1")
                    else route.abort()
                ),
            )
            page = context.new_page()
            for name, path in SHOTS.items():
                page.goto(base + path)
                target = out / f"{name}-{width_name}.png"
                page.screenshot(path=str(target))
                print(target.relative_to(ROOT))
            context.close()
        browser.close()


def settled(base: str, seconds: float = 120) -> None:
    """Wait until no page shows a picture the site has not tried to fetch (max-age=5)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ages = {fetch(base + path)[1].get("Cache-Control") for path in SHOTS.values()}
        if "public, max-age=5" not in ages:
            return
        time.sleep(1)


if __name__ == "__main__":
    main()
