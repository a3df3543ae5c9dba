"""The site in a real browser: Debian's Chromium driven by Playwright, axe-core, Lighthouse.

Never a browser download: Chromium is /usr/bin/chromium (``.ci/run`` installs it), axe-core
and Lighthouse come from npm (``npm ci``). With ``CI=true`` a missing one fails the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.articles import article_text
from tests.live import CHROMIUM, CHROMIUM_FLAGS, ROOT, gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.server]  # the pages come from gunicorn

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
WIDTHS = (360, 768, 1280)


def require(path: Path, what: str) -> None:
    """A missing tool skips locally and fails in CI."""
    if path.exists():
        return
    message = f"{what} not found at {path}"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: install it in .ci/run)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn on the sample content plus enough articles for several pages."""
    content = tmp_path_factory.mktemp("browser") / "content"
    shutil.copytree(ROOT / "content", content)
    for n in range(25):
        (content / f"2024-01-{n + 1:02d}-archive-{n}.md").write_text(
            article_text(
                title=f"Archive Story Number {n}",
                date=f"2024-01-{n + 1:02d}T09:00:00Z",
                front='categoria: Business\ntags:\n  - "#Archive"\nshort-description: From the '
                "archive.",
            )
        )
    with gunicorn(content) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def offline_context(browser, **options):  # type: ignore[no-untyped-def]
    """A fresh context whose requests off this machine fail at once (remote images would
    otherwise hold up the page's load event on a closed network)."""
    context = browser.new_context(**options)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    return context


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = offline_context(browser, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def test_reader_flow_home_category_article_tag_search(site: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    page.click("header nav >> text=Technology")
    assert page.url == site + "/category/technology/"
    assert page.inner_text("h1") == "Technology"
    first = page.locator("main .card-title a").first
    title = first.inner_text()
    first.click()
    assert page.url.startswith(site + "/news/")
    assert page.inner_text("h1") == title
    tag = page.locator(".story-tags a").first
    tag_name = tag.inner_text()
    tag.click()
    assert page.url.startswith(site + "/tag/") and page.inner_text("h1") == tag_name
    word = max(title.split(), key=len).strip('“”",.:')
    page.fill("#search-q", word)
    page.press("#search-q", "Enter")
    assert "/search?q=" in page.url
    assert title in [t.strip() for t in page.locator(".results h2").all_inner_texts()]
    assert page.locator(".results mark").count() >= 1


def test_pagination_in_the_browser(site: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    first_page = page.locator("main .card-title a").all_inner_texts()
    page.click("a[rel=next]")
    assert page.url == site + "/page/2/"
    second_page = page.locator("main .card-title a").all_inner_texts()
    assert second_page and not set(first_page) & set(second_page)
    page.click("a[rel=prev]")
    assert page.url == site + "/"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/news/halyard-mobile-cuts-prices/",
        "/news/coastal-rail-summer-pass-half-price/",
        "/category/technology/",
        "/tag/portellery/",
        "/search?q=harbour",
        "/tags/",
        "/nowhere/",
        "/author/priya-hallam/",
        "/2025/",
        "/2025/04/",
        "/archive/",
    ],
)
def test_no_horizontal_scrolling(site: str, browser, width: int, path: str) -> None:  # type: ignore[no-untyped-def]
    context = offline_context(browser, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(site + path)
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    context.close()
    assert sizes[0] <= sizes[1], f"{path} at {width}px scrolls sideways: {sizes}"


def test_pages_work_with_scripts_off(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = offline_context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/")
    page.click("header nav >> text=Business")
    assert page.inner_text("h1") == "Business"
    page.fill("#search-q", "harbour")
    page.press("#search-q", "Enter")
    assert page.locator(".results li").count() >= 1
    context.close()


def test_dark_scheme(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    colours = {}
    for scheme in ("light", "dark"):
        context = offline_context(browser, color_scheme=scheme)
        page = context.new_page()
        page.goto(site + "/tags/")
        colours[scheme] = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor,"
            " getComputedStyle(document.body).color]"
        )
        context.close()
    assert colours["light"] == ["rgb(255, 255, 255)", "rgb(26, 29, 33)"]
    assert colours["dark"] == ["rgb(18, 20, 23)", "rgb(232, 234, 237)"]


def test_keyboard_reaches_the_main_links_in_order(site: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    expected = page.evaluate("""() => [...document.querySelectorAll(
        '.skip-link, header a, header input, header button, main a:not([tabindex="-1"])')]
        .slice(0, 14).map(e => e.getAttribute('href') || e.id || e.textContent.trim())""")
    reached = []
    for _ in expected:
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return e.getAttribute('href') || e.id || e.textContent.trim(); }"
            )
        )
    assert reached == expected
    assert expected[0] == "#main" and expected[1] == "/"


def test_skip_link_moves_focus_to_the_content(site: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/news/halyard-mobile-cuts-prices/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-999px"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_images_reserve_their_box(site: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(site + "/")
    missing = page.evaluate("""() => [...document.images].filter(
        i => !i.getAttribute('width') || !i.getAttribute('height')).map(i => i.src)""")
    assert missing == []
    lazy = page.evaluate("""() => [...document.querySelectorAll('main img')].map(
        i => i.getAttribute('loading'))""")
    assert lazy[0] != "lazy" and lazy[-1] == "lazy"


AXE_PAGES = [
    "/",
    "/news/halyard-mobile-cuts-prices/",
    "/news/marrowby-film-festival-unveils-lineup/",
    "/category/technology/",
    "/tag/portellery/",
    "/search?q=harbour",
    "/search?q=zzzzqqq",
    "/nowhere/",
    "/author/priya-hallam/",
    "/2025/",
    "/archive/",
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", AXE_PAGES)
def test_axe_finds_no_serious_violations(site: str, browser, path: str, scheme: str) -> None:  # type: ignore[no-untyped-def]
    require(AXE, "axe-core (npm ci)")
    context = offline_context(browser, color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    page.goto(site + path)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    context.close()
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


@pytest.mark.parametrize(
    "path", ["/", "/news/halyard-mobile-cuts-prices/", "/author/priya-hallam/", "/2025/04/"]
)
def test_lighthouse_scores(site: str, path: str, tmp_path: Path) -> None:
    require(CHROMIUM, "Chromium")
    require(LIGHTHOUSE, "Lighthouse (npm ci)")
    report = tmp_path / "report.json"
    flags = " ".join(["--headless=new", *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"])
    command = [
        str(LIGHTHOUSE),
        site + path,
        "--quiet",
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={flags}",
        "--only-categories=performance,accessibility,best-practices,seo",
    ]
    environment = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    # Lighthouse itself sometimes loses its browser on a busy machine, and it says when the
    # machine was too busy for its timings to mean anything (its CPU benchmark far below
    # what its throttling assumes: long tasks of a page with no script, counted 4 times).
    # Such a run is measured again, at most twice; the last run's scores count regardless.
    for _attempt in (1, 2, 3):
        run = subprocess.run(command, env=environment, timeout=180, capture_output=True)
        if run.returncode == 0 and not cpu_too_busy(json.loads(report.read_text())):
            break
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    result = json.loads(report.read_text())
    scores = {k: v["score"] for k, v in result["categories"].items()}
    assert all(score >= 0.95 for score in scores.values()), (scores, result.get("runWarnings"))


def cpu_too_busy(result: dict[str, Any]) -> bool:
    """Whether Lighthouse warned that the CPU was slower than its throttling expects."""
    return any("slower CPU" in warning for warning in result.get("runWarnings", []))


@pytest.mark.parametrize("path", AXE_PAGES)
def test_the_content_security_policy_is_enforced_and_pages_need_no_exception(  # type: ignore[no-untyped-def]
    site: str, browser, path: str
) -> None:
    context = offline_context(browser)  # the policy applies: no bypass
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(site + path)
    page.wait_for_load_state("load")
    violations_before = [m for m in messages if "Content Security Policy" in m]
    ran = page.evaluate(
        """() => new Promise(resolve => {
            window.__ran = false;
            document.addEventListener('securitypolicyviolation', () => resolve(window.__ran));
            const s = document.createElement('script');
            s.textContent = 'window.__ran = true';
            document.body.appendChild(s);
            setTimeout(() => resolve('no violation reported'), 2000);
        })"""
    )
    context.close()
    assert violations_before == []  # the page itself needs nothing the policy forbids
    assert ran is False  # an injected inline script is refused and reported


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/category/business/page/2/",
        "/news/halyard-mobile-cuts-prices/",
        "/author/mira-okonjo/",
        "/2025/",
        "/2024/01/page/2/",
        "/archive/",
    ],
)
def test_every_section_is_in_reach_on_a_phone_without_sideways_scrolling(  # type: ignore[no-untyped-def]
    site: str, browser, path: str
) -> None:
    context = offline_context(browser, viewport={"width": 360, "height": 740}, has_touch=True)
    page = context.new_page()
    page.goto(site + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    links = page.locator("header nav a")
    names = links.all_inner_texts()
    assert "Deals" in names and len(names) >= 5
    for n in range(links.count()):
        link = links.nth(n)
        if not link.is_visible():  # one tap away: the menu that holds it opens
            menu = page.locator("header details").filter(has=link)
            assert menu.count() == 1, f"{names[n]} is neither shown nor in a menu on {path}"
            menu.locator("summary").tap()
        box = link.bounding_box()
        assert link.is_visible() and box is not None, (path, names[n])
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (path, names[n], box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    context.close()
