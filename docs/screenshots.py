"""Take the screenshots in docs/benchmarks.md: home, an article, an author page and a year of
the archive, phone and desktop width.

    .venv/bin/python docs/screenshots.py

Serves the sample content with gunicorn and photographs it in Debian's Chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live import CHROMIUM, CHROMIUM_FLAGS, gunicorn  # noqa: E402

SHOTS = {
    "home": "/",
    "article": "/news/marrowby-film-festival-unveils-lineup/",
    "author": "/author/mira-okonjo/",
    "archive": "/2025/",
}
WIDTHS = {"phone": (360, 780), "desktop": (1280, 900)}


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(exist_ok=True)
    with gunicorn(ROOT / "content") as base, sync_playwright() as playwright:
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


if __name__ == "__main__":
    main()
