"""Pictures in Chromium: no broken image on any page, nothing jumps as pictures load, and a
phone gets a small picture in a modern format, all from the site's own origin.

gunicorn serves the sample articles and a few more whose pictures are remote, served by a
"remote" host on a loopback port (allowed by ``IMAGE_FETCH_ALLOW_PRIVATE``), local, an SVG,
missing, or not images at all; the sample's own remote hosts are refused
(``IMAGE_FETCH_HOSTS``), so they show what a failed image shows. The tests start once every
worker has fetched and sized them (its background: ``images/background.py``)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.articles import article_text
from tests.image_files import SVG, RemoteSite, jpeg, png, reply
from tests.live import ROOT, fetch, gunicorn
from tests.test_browser import browser, offline_context  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.server]

PAGES = [
    "/",
    "/news/remote-photo/",
    "/news/local-photo/",
    "/news/vector/",
    "/news/missing/",
    "/news/halyard-mobile-cuts-prices/",  # a sample article whose remote host is refused
    "/category/harbour-life/",
    "/page/2/",
]
WIDTHS = (360, 1280)


def body(remote: RemoteSite) -> str:
    return (
        f'![Boats at the quay]({remote.url("/boats.jpg")} "Boats at the quay")\n\n'
        "Some text before a chart ![a chart](/media/chart.png) inline.\n\n"
        f"![gone]({remote.url('/gone.jpg')})\n\n![a drawing](/media/logo.svg)\n\nThe end."
    )


def write_site(root: Path, remote: RemoteSite) -> tuple[Path, Path]:
    content = root / "content"
    shutil.copytree(ROOT / "content", content)
    media = root / "media"
    media.mkdir()
    (media / "quay.jpg").write_bytes(jpeg((1800, 1200)))
    (media / "chart.png").write_bytes(png((600, 400), "RGBA"))
    (media / "logo.svg").write_bytes(SVG)
    stories = {
        "remote-photo": remote.url("/harbour.jpg"),
        "local-photo": "/media/quay.jpg",
        "vector": "/media/logo.svg",
        "missing": "/media/nowhere.jpg",
        "not-an-image": remote.url("/page.png"),
    }
    for n, (slug, image) in enumerate(stories.items()):
        (content / f"{slug}.md").write_text(
            article_text(
                title=f"Harbour picture {slug}",
                date=f"2026-11-2{5 - n}T08:00:00Z",  # the newest: the home page leads with them
                front=f"featuredimage: {image}\ncategoria: Harbour Life\nfeatured: true",
                body=body(remote),
            )
        )
    return content, media


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteSite]:
    site = RemoteSite()
    site.routes["/harbour.jpg"] = reply(jpeg((2000, 1333)))
    site.routes["/boats.jpg"] = reply(jpeg((1200, 800)))
    site.routes["/page.png"] = reply(b"<!DOCTYPE html><p>not found</p>", "image/png")
    with site.running():
        yield site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, remote: RemoteSite) -> Iterator[str]:
    root = tmp_path_factory.mktemp("pictures")
    content, media = write_site(root, remote)
    settings = {
        "MEDIA_DIR": str(media),
        "STORE_DIR": str(root / "store"),
        "IMAGE_FETCH_ALLOW_PRIVATE": "1",
        "IMAGE_FETCH_HOSTS": "127.0.0.1",
    }
    with gunicorn(content, **settings) as base:
        wait_for_pictures(base)
        yield base


def wait_for_pictures(base: str, seconds: float = 180) -> None:
    """Until no page shows a picture not fetched yet (such a page goes out with max-age=5),
    in every worker: each answers a few times in a row."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ages = {fetch(base + path)[1].get("Cache-Control") for path in PAGES for _ in range(3)}
        if "public, max-age=5" not in ages:
            return
        time.sleep(0.5)
    raise AssertionError("the pictures were never fetched")


def load_every_picture(page) -> None:  # type: ignore[no-untyped-def]
    """Ask for the lazy pictures too, and wait until every image has loaded or failed."""
    page.evaluate("for (const img of document.images) img.loading = 'eager'")
    page.wait_for_function("[...document.images].every(img => img.complete)", timeout=30_000)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_no_broken_image_on_any_page(site: str, browser, path: str, width: int) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    context = offline_context(browser, viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(site + path)
    load_every_picture(page)
    images = page.evaluate(
        "[...document.images].map(img => [img.currentSrc, img.naturalWidth, img.alt])"
    )
    context.close()
    broken = [(src, alt) for src, natural, alt in images if natural == 0]
    assert broken == []
    assert all(src.startswith(site + "/img/") for src, _, _ in images), images


CLS = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__shifts.push(entry.value);
  }
}).observe({type: 'layout-shift', buffered: true});
"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", ["/", "/news/remote-photo/", "/news/local-photo/"])
def test_nothing_shifts_as_the_pictures_load(site: str, browser, path: str, width: int) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    context = offline_context(browser, viewport={"width": width, "height": 800}, bypass_csp=True)
    context.add_init_script(CLS)
    page = context.new_page()
    page.goto(site + path, wait_until="load")
    height = page.evaluate("document.body.scrollHeight")
    for y in range(0, height, 400):  # the lazy pictures load as a reader scrolls to them
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(50)
    page.wait_for_function("[...document.images].every(img => img.complete)", timeout=30_000)
    page.wait_for_timeout(300)
    shifts = page.evaluate("window.__shifts")
    context.close()
    assert sum(shifts) == 0, shifts


def test_a_phone_gets_a_small_picture_in_a_modern_format(site: str, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    context = offline_context(browser, viewport={"width": 360, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(site + "/news/remote-photo/")
    lead = page.evaluate(
        "(() => { const img = document.querySelector('.story-image img');"
        " return [img.currentSrc, img.naturalWidth, img.clientWidth]; })()"
    )
    context.close()
    src, natural, shown = lead
    assert src.endswith((".avif", ".webp")), src
    assert shown <= natural <= 640  # 328 pixels wide on the screen: not the 2000 of the original


def test_the_browser_never_asks_the_remote_host(site: str, browser, remote: RemoteSite) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    before = dict(remote.hits)
    context = offline_context(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    for path in ("/", "/news/remote-photo/"):
        page.goto(site + path)
        load_every_picture(page)
    context.close()
    assert remote.hits == before
    assert remote.hits["/harbour.jpg"] == 1  # fetched once, by one worker, for all
