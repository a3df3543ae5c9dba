"""The editor in the browser, end to end: Decap CMS at /admin/ in Debian's Chromium, with
decap-server in git mode on a newsroom's repository, and the site (gunicorn) reading it.

What Decap writes, the site reads: an article made in the form is committed, passes the
check, is on the site within 2 s, and is the same ``Article`` as the same content typed by
hand; the format's example, opened and saved unchanged, stays the same article; with the
editorial workflow a saved draft stays off the site until it is ready and published. Under
/admin/'s own Content-Security-Policy, which nothing Decap does may break.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from blog import create_app
from blog.content.models import Article, parse_article
from tests.articles import FORMAT_EXAMPLE
from tests.decap import (
    DECAP_SERVER,
    EXAMPLE_FILE,
    decap_server,
    field,
    git,
    log_in,
    markdown_field,
    newsroom,
    publish_now,
    type_paragraphs,
    upload_featured_image,
    wait_for_commit,
)
from tests.live import CHROMIUM, CHROMIUM_FLAGS, fetch, gunicorn, require_binary
from tests.test_browser import require

pytestmark = [pytest.mark.browser, pytest.mark.server]


class Newsroom:
    def __init__(self, repository: Path, site: str, api: str, folder: Path) -> None:
        self.repository = repository
        self.site = site
        self.api = api  # decap-server's
        self.folder = folder
        self.content = repository / "content"
        self.media = repository / "media"


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsroom]:
    require(DECAP_SERVER, "decap-server (npm ci)")
    node = require_binary("node")
    folder = tmp_path_factory.mktemp("editor")
    repository = newsroom(folder / "newsroom")
    with decap_server(node, repository, folder / "decap-server.log") as api:
        settings = {
            "MEDIA_DIR": str(repository / "media"),
            "DECAP_BACKEND": "local",
            "DECAP_LOCAL_URL": api,
            "STORE_DIR": "off",
        }
        with gunicorn(repository / "content", folder / "gunicorn.log", **settings) as site:
            yield Newsroom(repository, site, api, folder)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A page under the site's real policies (no bypass), off any network but this machine;
    after the test, no message may say the policy refused something."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
        ),
    )
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert [m for m in messages if "Content Security Policy" in m] == []


def read_article(path: Path, text: str | None = None) -> Article:
    """The site's own reading of a file (or of ``text`` under its name), hash aside."""
    data = (text if text is not None else path.read_text()).encode()
    article = parse_article(path.name, data, "-", dt.UTC)
    return dataclasses.replace(article, source_hash="-")


def check(room: Newsroom, path: Path) -> tuple[int, str]:
    """``flask content check`` of one file, as an editor runs it."""
    app = create_app(
        {"CONTENT_DIR": str(room.content), "MEDIA_DIR": str(room.media), "STORE_DIR": "off"}
    )
    result = app.test_cli_runner().invoke(args=["content", "check", str(path)])
    return result.exit_code, result.output


def test_an_article_made_in_the_form_is_committed_checked_and_published(
    room: Newsroom,
    page,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    image = tmp_path / "ferry-at-dawn.jpg"
    Image.new("RGB", (1200, 675), (30, 90, 160)).save(image, quality=85)
    commits = int(git(room.repository, "rev-list", "--count", "main"))
    log_in(page, room.site)
    page.goto(room.site + "/admin/#/collections/articles/new")
    field(page, "title").fill("Ferry Timetables Go Digital")
    field(page, "categoria").fill("Transport")
    field(page, "tags").fill("#Ferries #Harbour")
    field(page, "short-description").fill("Ferries now publish their live times.")
    type_paragraphs(
        page,
        markdown_field(page, 0),
        ["First paragraph of the section.", "Second paragraph, with the tide."],
    )
    type_paragraphs(page, markdown_field(page, 5), ["The main text of the article."])
    upload_featured_image(page, image)
    publish_now(page)

    wait_for_commit(room.repository, commits + 1)
    published = time.monotonic()
    [written] = [p for p in room.content.glob("*-ferry-timetables-go-digital.md")]
    assert git(room.repository, "status", "--porcelain") == ""  # all of it committed
    assert "media/ferry-at-dawn.jpg" in git(room.repository, "show", "--name-only", "HEAD")
    url = room.site + "/news/ferry-timetables-go-digital/"
    while fetch(url)[0] != 200:
        assert time.monotonic() - published < 2.0, "not on the site within 2 s"
        time.sleep(0.05)
    status, _, body = fetch(url)
    assert b"Ferry Timetables Go Digital" in body
    assert fetch(room.site + "/media/ferry-at-dawn.jpg")[0] == 200

    code, output = check(room, written)
    assert code == 0, output
    assert output.strip() == "1 file checked: 0 errors, 0 warnings, 0 notes", output

    # The same content, typed by hand in the editors' format, is the same article.
    date = next(line for line in written.read_text().splitlines() if line.startswith("date:"))
    by_hand = "\n".join(
        [
            "---",
            "title: Ferry Timetables Go Digital",
            date,
            "featuredimage: /media/ferry-at-dawn.jpg",
            "categoria: Transport",
            "deals: No",
            "tags:",
            '  - "#Ferries #Harbour"',
            "short-description: Ferries now publish their live times.",
            "mk1: >-",
            "  First paragraph of the section.",
            "",
            "",
            "  Second paragraph, with the tide.",
            "---",
            "The main text of the article.",
            "",
        ]
    )
    assert read_article(written) == read_article(written, by_hand)


def test_the_formats_example_opens_filled_and_saved_unchanged_stays_the_same_article(
    room: Newsroom,
    page,  # type: ignore[no-untyped-def]
) -> None:
    path = room.content / EXAMPLE_FILE
    before = read_article(path, FORMAT_EXAMPLE)
    commits = int(git(room.repository, "rev-list", "--count", "main"))
    log_in(page, room.site)
    page.goto(room.site + "/admin/#/collections/articles/entries/" + path.stem)
    title = field(page, "title")
    assert title.input_value() == before.title
    assert field(page, "categoria").input_value() == "Technology"
    assert field(page, "tags").input_value() == "#Energy #Transport #Cities"
    assert field(page, "short-description").input_value().split() == before.standfirst.split()
    assert "A Trial That Paid for Itself" in markdown_field(page, 0).inner_text()
    assert "hard part was the batteries" in markdown_field(page, 1).inner_text()
    assert "At a Glance" in markdown_field(page, 5).inner_text()
    assert page.locator('[id^="date-field-"]').input_value() == "2025-06-02T07:45"
    # Decap saves only a changed form: change the title and save, then put it back and save.
    # Each save rewrites the whole file, every other field as Decap read it.
    title.press("End")
    title.type(" Now")
    publish_now(page)
    wait_for_commit(room.repository, commits + 1)
    assert read_article(path) == dataclasses.replace(before, title=before.title + " Now")
    page.reload()  # the entry as saved
    assert title.input_value() == before.title + " Now"
    title.press("End")
    for _ in " Now":
        title.press("Backspace")
    publish_now(page)
    wait_for_commit(room.repository, commits + 2)
    assert read_article(path) == before
    code, output = check(room, path)
    assert code == 0, output
    assert "0 errors, 0 warnings" in output, output


@pytest.fixture(scope="module")
def workflow_site(room: Newsroom) -> Iterator[str]:
    """The same newsroom with the editorial workflow on (decap-server in git mode keeps each
    unpublished article on a branch of its own)."""
    settings = {
        "MEDIA_DIR": str(room.media),
        "DECAP_BACKEND": "local",
        "DECAP_LOCAL_URL": room.api,
        "DECAP_EDITORIAL_WORKFLOW": "true",
        "STORE_DIR": "off",
    }
    with gunicorn(room.content, room.folder / "gunicorn-workflow.log", **settings) as site:
        yield site


def test_the_editorial_workflow_publishes_only_what_is_ready(
    room: Newsroom,
    workflow_site: str,
    page,  # type: ignore[no-untyped-def]
) -> None:
    page.on("dialog", lambda dialog: dialog.accept())  # "Are you sure you want to publish…?"
    main = git(room.repository, "rev-parse", "main")
    log_in(page, workflow_site)
    page.goto(workflow_site + "/admin/#/collections/articles/new")
    field(page, "title").fill("Harbour Pilots Vote on a New Rota")
    field(page, "categoria").fill("Business")
    type_paragraphs(page, markdown_field(page, 5), ["The vote is on Friday."])
    page.get_by_text("Unsaved changes").first.wait_for()
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Changes saved").first.wait_for()

    assert git(room.repository, "rev-parse", "main") == main  # saved, not published
    assert "cms/articles/" in git(room.repository, "branch", "--list")
    url = room.site + "/news/harbour-pilots-vote-on-a-new-rota/"
    deadline = time.monotonic() + 3  # decap-server had the branch checked out for a moment
    while fetch(url)[0] != 404:
        assert time.monotonic() < deadline, "a draft in review is on the site"
        time.sleep(0.1)

    page.get_by_role("button", name="Status: Draft").click()
    page.get_by_role("menuitem", name="Ready").click()
    page.get_by_text("Status: Ready").first.wait_for()
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_text("Publish now").click()
    deadline = time.monotonic() + 15
    while git(room.repository, "rev-parse", "main") == main:
        assert time.monotonic() < deadline, "publishing did not reach main"
        time.sleep(0.1)
    published = time.monotonic()
    while fetch(url)[0] != 200:
        assert time.monotonic() - published < 2.0, "not on the site within 2 s"
        time.sleep(0.05)
    assert "cms/articles/" not in git(room.repository, "branch", "--list")
    [written] = room.content.glob("*-harbour-pilots-vote-on-a-new-rota.md")
    code, output = check(room, written)
    assert output.strip() == "1 file checked: 0 errors, 0 warnings, 0 notes", output
