"""Edits on disk show on the next request, with no restart; broken edits lose nothing."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

import blog.content.library
import blog.content.reading
import blog.content.watch
from blog import get_library
from blog.content.refresher import keep_fresh
from blog.web.state import get_html
from tests.articles import Content, article_text
from tests.conftest import FIXED_NOW, set_clock
from tests.html import elements, parse, text_of


def headline(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return text_of(elements(parse(response.data), "h1")[0])


@pytest.fixture(params=["inotify", "scan"])
def watch_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with kernel change events, and again with the stamp-scanning fallback."""
    if request.param == "scan":
        monkeypatch.setattr(blog.content.watch, "INotify", None)
    elif blog.content.watch.INotify is None:
        pytest.fail("inotify_simple is not installed")
    return request.param


def test_edit_is_visible_on_next_request(content: Content, make_app, watch_mode: str) -> None:
    content.article("2025-01-01-story.md", title="Before")
    client = make_app().test_client()
    assert headline(client, "/news/story/") == "Before"
    content.article("2025-01-01-story.md", title="After")
    assert headline(client, "/news/story/") == "After"


def test_new_file_appears(content: Content, make_app, watch_mode: str) -> None:
    client = make_app().test_client()
    assert client.get("/news/fresh/").status_code == 404
    content.article("2025-05-05-fresh.md", title="Fresh")
    assert headline(client, "/news/fresh/") == "Fresh"


def test_deleted_file_is_404(content: Content, make_app, watch_mode: str) -> None:
    path = content.article("2025-01-01-story.md", title="Gone Soon")
    client = make_app().test_client()
    assert headline(client, "/news/story/") == "Gone Soon"
    path.unlink()
    assert client.get("/news/story/").status_code == 404


def test_rename_moves_the_article(content: Content, make_app, watch_mode: str) -> None:
    path = content.article("2025-01-01-old-name.md", title="Moving")
    client = make_app().test_client()
    assert headline(client, "/news/old-name/") == "Moving"
    path.rename(content.root / "2025-01-01-new-name.md")
    assert client.get("/news/old-name/").status_code == 404
    assert headline(client, "/news/new-name/") == "Moving"


def test_git_style_replace_by_rename_is_seen(content: Content, make_app, watch_mode: str) -> None:
    content.article("story.md", title="Version One")
    client = make_app().test_client()
    assert headline(client, "/news/story/") == "Version One"
    tmp = content.write(".story.md.tmp", article_text(title="Version Two"))
    os.replace(tmp, content.root / "story.md")
    assert headline(client, "/news/story/") == "Version Two"


def test_files_in_subfolders_are_read(content: Content, make_app, watch_mode: str) -> None:
    content.article("2025/01/2025-01-01-deep.md", title="Deep")
    client = make_app().test_client()
    assert headline(client, "/news/deep/") == "Deep"
    content.article("2026/2026-01-01-deeper.md", title="Deeper")  # a new folder, after start
    assert headline(client, "/news/deeper/") == "Deeper"


def test_broken_edit_keeps_last_good_version(
    content: Content, make_app, watch_mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    content.article("2025-01-01-story.md", title="Good Version")
    client = make_app().test_client()
    assert headline(client, "/news/story/") == "Good Version"
    content.write("2025-01-01-story.md", "---\ntitle: Broken\ndate: 2025-01-01\ntags: [oops\n---\n")
    with caplog.at_level(logging.ERROR, logger="blog"):
        assert headline(client, "/news/story/") == "Good Version"
        assert headline(client, "/") == "The Harbour Courier"
    assert "2025-01-01-story.md:4: tags: YAML syntax error, column 7" in caplog.text
    assert "keeping its last good version" in caplog.text


def test_fixing_a_broken_file_publishes_the_fix(
    content: Content, make_app, watch_mode: str
) -> None:
    content.article("story.md", title="One")
    client = make_app().test_client()
    content.write("story.md", b"---\ntitle: \xff\n---\n")
    assert headline(client, "/news/story/") == "One"
    content.article("story.md", title="Two")
    assert headline(client, "/news/story/") == "Two"


def test_new_broken_file_is_simply_absent(
    content: Content, make_app, watch_mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    content.article("good.md", title="Good")
    client = make_app().test_client()
    with caplog.at_level(logging.ERROR, logger="blog"):
        content.write("bad.md", "---\ndate: 2025-01-01\n---\nNo title here.")
        assert client.get("/news/bad/").status_code == 404
        assert headline(client, "/news/good/") == "Good"
    assert "bad.md:1: title: missing or empty" in caplog.text


def test_error_is_logged_once_not_per_request(
    content: Content, make_app, caplog: pytest.LogCaptureFixture
) -> None:
    content.write("bad.md", "---\ntitle: x\ndate: soon\n---\n")
    with caplog.at_level(logging.ERROR, logger="blog"):
        client = make_app().test_client()
        for _ in range(5):
            client.get("/")
    assert caplog.text.count("bad.md:3: date:") == 1


def test_oversized_file_is_refused_with_a_clear_error(
    content: Content, make_app, caplog: pytest.LogCaptureFixture
) -> None:
    content.write("big.md", article_text(title="Big", body="x" * 5000))
    with caplog.at_level(logging.ERROR, logger="blog"):
        client = make_app(MAX_ARTICLE_BYTES=1000).test_client()
        assert client.get("/news/big/").status_code == 404
    assert "big.md:1: file is" in caplog.text and "over the 1000 limit" in caplog.text


def test_scheduled_article_appears_on_time(content: Content, app: Flask) -> None:
    at = FIXED_NOW + dt.timedelta(minutes=10)
    content.article("2026-11-26-soon.md", title="Soon", date=at.isoformat())
    client = app.test_client()
    assert client.get("/news/soon/").status_code == 404
    home_before = client.get("/").data
    set_clock(app, at)
    assert headline(client, "/news/soon/") == "Soon"
    assert client.get("/").data != home_before  # not a stale cached home page


def test_scheduled_article_appears_without_any_file_change(content: Content, make_app) -> None:
    at = FIXED_NOW + dt.timedelta(minutes=10)
    content.article("soon.md", title="Soon", date=at.isoformat())
    app = make_app(CONTENT_CHECK_INTERVAL=3600)  # no file check will run during the test
    client = app.test_client()
    assert client.get("/news/soon/").status_code == 404
    set_clock(app, at + dt.timedelta(seconds=1))
    assert headline(client, "/news/soon/") == "Soon"


def test_only_changed_files_are_parsed_again(
    content: Content, make_app, monkeypatch: pytest.MonkeyPatch, watch_mode: str
) -> None:
    for n in range(20):
        content.article(f"a{n}.md", title=f"Story {n}")
    client = make_app().test_client()
    parsed: list[str] = []
    real = blog.content.reading.parse_article
    monkeypatch.setattr(
        blog.content.reading,
        "parse_article",
        lambda path, *a: parsed.append(path) or real(path, *a),
    )
    content.article("a7.md", title="Story seven, edited")
    assert headline(client, "/news/a7/") == "Story seven, edited"
    assert parsed == ["a7.md"]


def test_a_request_does_not_stat_every_file(
    content: Content, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(20):
        content.article(f"a{n}.md", title=f"Story {n}")
    client = make_app().test_client()
    client.get("/")  # the worker starts watching (one scan to catch up)
    scans: list[int] = []
    monkeypatch.setattr(
        blog.content.library.Library, "_walk", lambda self: scans.append(1) or iter(())
    )
    content.article("a3.md", title="Edited")
    assert headline(client, "/news/a3/") == "Edited"
    client.get("/")
    assert scans == []


def test_checks_are_throttled_by_the_interval(
    content: Content, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(blog.content.library.time, "monotonic", lambda: clock[0])
    content.article("story.md", title="One")
    client = make_app(CONTENT_CHECK_INTERVAL=1).test_client()
    assert headline(client, "/news/story/") == "One"
    content.article("story.md", title="Two")
    clock[0] += 0.5
    assert headline(client, "/news/story/") == "One"
    clock[0] += 0.6
    assert headline(client, "/news/story/") == "Two"


def test_symlink_out_of_the_content_folder_is_ignored(content: Content, make_app, tmp_path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(article_text(title="Secret Outside"))
    (content.root / "leak.md").symlink_to(outside)
    content.article("fine.md", title="Fine")
    client = make_app().test_client()
    assert client.get("/news/leak/").status_code == 404
    assert headline(client, "/news/fine/") == "Fine"


def test_missing_content_folder_serves_empty_site_then_content(tmp_path, make_app) -> None:
    root = tmp_path / "later"
    app = make_app(CONTENT_DIR=str(root))
    client = app.test_client()
    assert client.get("/").status_code == 200
    root.mkdir()
    (root / "first.md").write_text(article_text(title="First"))
    assert headline(client, "/news/first/") == "First"


def test_content_version_is_a_content_hash(content: Content, make_app) -> None:
    content.article("story.md", title="Same")
    first = get_library(make_app()).index().version
    os.utime(content.root / "story.md", (1, 1))  # another host, another mtime
    assert get_library(make_app()).index().version == first
    content.article("story.md", title="Different")
    assert get_library(make_app()).index().version != first


def test_hidden_files_and_folders_are_not_articles(content: Content, make_app) -> None:
    content.article(".draft-swap.md", title="Swap File")
    content.article(".git/objects.md", title="Git Internals")
    client = make_app().test_client()
    content.article(".later.md", title="Hidden Later")
    assert client.get("/news/draft-swap/").status_code == 404
    assert client.get("/news/objects/").status_code == 404
    assert client.get("/news/later/").status_code == 404


def test_symlinked_folder_loop_does_not_hang_the_scan(content: Content, make_app) -> None:
    content.article("story.md", title="Story")
    (content.root / "loop").symlink_to(content.root, target_is_directory=True)
    client = make_app().test_client()
    assert headline(client, "/news/story/") == "Story"


def test_bad_image_url_is_a_logged_warning_not_an_error(
    content: Content, make_app, caplog: pytest.LogCaptureFixture
) -> None:
    content.article("x.md", title="Shown", front="featuredimage: javascript:alert(1)")
    with caplog.at_level(logging.WARNING, logger="blog"):
        client = make_app().test_client()
        assert headline(client, "/news/x/") == "Shown"
    assert "x.md:4: featuredimage: not an http(s) URL" in caplog.text


def test_a_worker_refreshes_and_renders_an_edit_before_a_reader_asks(
    content: Content, make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread prepare_worker starts: the first reader after an edit gets the new page
    without parsing or rendering anything."""
    content.article("2025-01-01-story.md", title="Before")
    app = make_app(CONTENT_CHECK_INTERVAL=0.05)
    library = get_library(app)
    renders: list[str] = []
    renderer = get_html(app).renderer
    render = renderer.html_of_parts

    def counted(parts: list[tuple[str, str]]) -> Markup:
        html = render(parts)
        renders.append("\n\n".join(text for _, text in parts))
        return html

    monkeypatch.setattr(renderer, "html_of_parts", counted)
    stop = threading.Event()
    assert keep_fresh(library, stop, prerender=get_html(app).html) is not None
    try:
        content.article("2025-01-01-story.md", title="After", body="The new text.")
        deadline = time.monotonic() + 5
        while not any("The new text." in text for text in renders):
            assert time.monotonic() < deadline, "the edit was never rendered in the background"
            time.sleep(0.01)
        time.sleep(0.2)  # the thread keeps the HTML a moment after rendering it
        assert library.current.by_slug["story"].title == "After"  # indexed, unasked
        rendered = len(renders)
        assert headline(app.test_client(), "/news/story/") == "After"
        assert len(renders) == rendered  # the reader's request rendered nothing
    finally:
        stop.set()


def test_no_thread_when_every_request_looks(make_app) -> None:
    assert keep_fresh(get_library(make_app(CONTENT_CHECK_INTERVAL=0))) is None


def test_the_background_thread_wakes_on_the_kernels_event_not_the_interval(
    content: Content, make_app, watch_mode: str
) -> None:
    """With inotify an edit is indexed in well under the (here long) check interval; found
    by scanning, it waits for the interval."""
    content.article("2025-01-01-story.md", title="Before")
    library = get_library(make_app(CONTENT_CHECK_INTERVAL=30))
    library.refresh()  # as prepare_worker does: the watch starts here
    stop = threading.Event()
    keep_fresh(library, stop)
    try:
        time.sleep(0.1)  # the thread is waiting
        content.article("2025-01-01-story.md", title="After")
        # Within 2 s the event has woken the thread (it takes about 0.1 s); a scan has not,
        # nor would it for 30 s: 1 s of waiting is plenty to show it.
        deadline = time.monotonic() + (2 if watch_mode == "inotify" else 1)
        while time.monotonic() < deadline and library.current.by_slug["story"].title == "Before":
            time.sleep(0.01)
        title = library.current.by_slug["story"].title
        assert title == ("After" if watch_mode == "inotify" else "Before")
    finally:
        stop.set()


def test_a_refresh_that_keeps_failing_is_logged_once_and_retried_with_backoff(
    content: Content, make_app, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The probe saw a traceback a second for as long as one article broke the refresh.
    Now one line with its traceback, tries further and further apart, and one line when
    refreshing works again."""
    content.article("2025-01-01-story.md", title="Before")
    library = get_library(make_app(CONTENT_CHECK_INTERVAL=0.05))
    real = library.refresh
    attempts: list[float] = []
    broken = threading.Event()
    broken.set()

    def refresh() -> object:
        attempts.append(time.monotonic())
        if broken.is_set():
            raise RuntimeError("one bad article")
        return real()

    monkeypatch.setattr(library, "refresh", refresh)
    stop = threading.Event()
    with caplog.at_level(logging.WARNING, logger="blog"):
        keep_fresh(library, stop)
        try:
            time.sleep(1.0)
            failures = len(attempts)
            broken.clear()
            content.article("2025-01-01-story.md", title="After")  # wakes the thread at once
            deadline = time.monotonic() + 10
            while "works again" not in caplog.text:
                assert time.monotonic() < deadline, "never recovered"
                time.sleep(0.05)
        finally:
            stop.set()
    # Without backoff: about 1.0 / (0.05 + SETTLE) = 10 tries in 1 s; with it, a handful.
    assert 2 <= failures <= 6, failures
    gaps = [b - a for a, b in zip(attempts, attempts[1:failures], strict=False)]
    assert gaps == sorted(gaps) or max(gaps) > 4 * min(gaps), gaps
    assert caplog.text.count("background refresh failed") == 1
    assert caplog.text.count("Traceback") == 1
