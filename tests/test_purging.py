"""Purging the caches in front, and telling the WebSub hub, against local HTTP servers that
record the calls: the right keys and URLs, once per change, retried when a server fails,
never on a reader's time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest
from flask import Flask

from blog import get_library
from blog.web.ledger import FileLedger
from blog.web.purging import Purging, Sender
from tests.articles import Content
from tests.conftest import FIXED_NOW, set_clock
from tests.image_files import RemoteSite, jpeg, prepare_pictures, reply
from tests.recorder import Recorder, recording


@pytest.fixture
def server() -> Iterator[Recorder]:
    with recording() as recorder:
        yield recorder


@pytest.fixture
def news(content: Content) -> Content:
    write(content, "quay", "Harbour", "#Ferries")
    write(content, "market", "Food", "#Markets")
    write(content, "rowing", "Sport", "#Rowing", date="2025-03-01T09:00:00Z")
    return content


def write(
    content: Content,
    name: str,
    category: str,
    tags: str,
    title: str = "",
    body: str = "",
    date: str = "2025-06-02T07:00:00Z",
    extra: str = "",
) -> None:
    front = f'categoria: {category}\ntags:\n  - "{tags}"' + (f"\n{extra}" if extra else "")
    content.article(
        f"{name}.md",
        title=title or f"The {name} story",
        date=date,
        body=body or f"About {name}.",
        front=front,
    )


def fastly(server: Recorder, **more: object) -> dict[str, object]:
    return {
        "FASTLY_SERVICE_ID": "svc1",
        "FASTLY_API_TOKEN": "token-f",
        "FASTLY_API_URL": server.url,
        "PURGE_DELAY": 0,
        **more,
    }


def purging_of(app: Flask) -> Purging:
    purging: Purging = app.extensions["blog.purging"]
    for sender in purging.senders.values():
        sender.backoff = (0.02,)
    return purging


def start(make_app: Callable[..., Flask], server: Recorder, **settings: object) -> Flask:
    """The app, with what its start purged (the tests' fixed clock, set after it loads: a
    change like any other) done and forgotten."""
    app = make_app(**settings)
    settle(app)
    server.calls.clear()
    return app


def settle(*apps: Flask) -> None:
    for app in apps:
        assert purging_of(app).wait_idle(10)


def keys_purged(server: Recorder) -> list[set[str]]:
    return [set(c.headers["surrogate-key"].split(" ")) for c in server.calls]


def test_an_edit_purges_its_keys_at_fastly(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(make_app, server, **fastly(server))
    client = app.test_client()
    client.get("/")
    write(news, "market", "Food", "#Markets", body="The market moves indoors.")
    client.get("/")  # any request looks for changes (the refresher, in gunicorn)
    settle(app)
    assert len(server.calls) == 1
    call = server.calls[0]
    assert (call.method, call.path) == ("POST", "/service/svc1/purge")
    assert call.headers["fastly-key"] == "token-f"
    assert keys_purged(server) == [{"article-market", "content"}]


def test_a_headline_edit_purges_the_card_too(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(make_app, server, **fastly(server))
    write(news, "market", "Food", "#Markets", title="Market moves indoors")
    app.test_client().get("/")
    settle(app)
    assert keys_purged(server) == [{"article-market", "card-market", "content"}]


def test_a_new_article_purges_its_listings_and_neighbours(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(make_app, server, **fastly(server))
    write(news, "regatta", "Sport", "#Rowing", date="2025-04-01T09:00:00Z")
    app.test_client().get("/")
    settle(app)
    [purged] = keys_purged(server)
    assert {"articles", "category-sport", "tag-rowing", "categories", "tags"} <= purged
    assert {"around-rowing", "around-regatta", "article-regatta", "card-regatta"} <= purged
    assert not purged & {"article-quay", "tag-ferries", "category-harbour", "site"}


def test_a_scheduled_article_is_purged_when_its_time_comes(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    at = FIXED_NOW + dt.timedelta(minutes=10)
    write(news, "later", "Sport", "#Rowing", date=at.isoformat())
    app = start(make_app, server, **fastly(server))
    app.test_client().get("/")
    settle(app)
    assert server.calls == []  # written before the start: nothing to purge
    set_clock(app, at)  # no file changes: the clock publishes it
    app.test_client().get("/")
    settle(app)
    [purged] = keys_purged(server)
    assert {"article-later", "articles", "tag-rowing", "around-later"} <= purged


def test_a_breaking_strip_that_ends_purges_every_page_with_the_strip(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    end = FIXED_NOW + dt.timedelta(minutes=10)
    write(news, "storm", "Harbour", "#Ferries", extra=f"breaking: true\nbreaking_until: {end}")
    app = start(make_app, server, **fastly(server))
    assert b"The storm story" in app.test_client().get("/news/market/").data
    set_clock(app, end)
    app.test_client().get("/")
    settle(app)
    assert keys_purged(server) == [{"site", "content"}]


def test_a_failing_api_is_retried_until_it_takes_the_purge(
    news: Content,
    make_app: Callable[..., Flask],
    server: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = start(make_app, server, **fastly(server))
    server.script = [(503, b"busy"), (500, b"oops")]
    write(news, "market", "Food", "#Markets", body="Indoors.")
    with caplog.at_level(logging.INFO, logger="blog"):
        app.test_client().get("/")
        settle(app)
    assert [set(k) for k in keys_purged(server)] == [{"article-market", "content"}] * 3
    assert caplog.text.count("fastly failed") == 2
    assert "fastly works again" in caplog.text


def test_two_workers_purge_a_change_once_and_a_late_one_again(
    news: Content, make_app: Callable[..., Flask], server: Recorder, tmp_path: Path
) -> None:
    """Workers of one host share a ledger beside the store: the first to see a change
    purges it; one that sees it later than PURGE_DELAY after that purges it again (it may
    have served the old page to the cache after the first purge)."""
    settings = fastly(server, PURGE_DELAY=0.5, STORE_DIR=str(tmp_path / "store"))
    first, second, late = (start(make_app, server, **settings) for _ in range(3))
    write(news, "market", "Food", "#Markets", body="Indoors.")
    first.test_client().get("/")
    second.test_client().get("/")  # within PURGE_DELAY of the first: leaves it to the first
    settle(first, second)
    assert keys_purged(server) == [{"article-market", "content"}]
    time.sleep(0.6)
    late.test_client().get("/")
    settle(late)
    assert keys_purged(server) == [{"article-market", "content"}] * 2


def test_a_hanging_cache_never_holds_up_a_reader(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    release = threading.Event()
    server.respond = lambda: (release.wait(10), (200, b"{}"))[1]  # type: ignore[method-assign]
    app = start(make_app, server, **fastly(server))
    client = app.test_client()
    try:
        for n in range(3):
            write(news, "market", "Food", "#Markets", body=f"Version {n}.")
            began = time.perf_counter()
            assert f"Version {n}".encode() in client.get("/news/market/").data
            assert time.perf_counter() - began < 0.5
    finally:
        release.set()
    settle(app)


def test_cloudflare_is_purged_by_cache_tag(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(
        make_app,
        server,
        CLOUDFLARE_ZONE_ID="zone9",
        CLOUDFLARE_API_TOKEN="token-c",
        CLOUDFLARE_API_URL=server.url + "/client/v4",
        PURGE_DELAY=0,
    )
    server.script = [(200, b'{"success": false, "errors": [{"code": 1}]}')]
    write(news, "quay", "Harbour", "#Ferries", title="The quay reopens")
    app.test_client().get("/")
    settle(app)
    assert len(server.calls) == 2  # "success": false is a failure: tried again
    call = server.calls[-1]
    assert (call.method, call.path) == ("POST", "/client/v4/zones/zone9/purge_cache")
    assert call.headers["authorization"] == "Bearer token-c"
    assert set(json.loads(call.body)["tags"]) == {"article-quay", "card-quay", "content"}


def test_many_keys_go_in_calls_of_the_apis_limits(
    content: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(
        make_app,
        server,
        CLOUDFLARE_ZONE_ID="zone9",
        CLOUDFLARE_API_TOKEN="token-c",
        CLOUDFLARE_API_URL=server.url,
        PURGE_DELAY=0,
    )
    for n in range(20):
        write(content, f"a{n}", f"Section {n}", f"#Topic{n}", date=f"2025-01-{n + 1:02d}T09:00:00Z")
    app.test_client().get("/")
    settle(app)
    sizes = [len(json.loads(c.body)["tags"]) for c in server.calls]
    assert sizes[0] == 30 and all(size <= 30 for size in sizes) and sum(sizes) > 90


def test_varnish_gets_one_purge_with_the_keys(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(make_app, server, PURGE_VARNISH_URL=server.url, PURGE_DELAY=0)
    write(news, "quay", "Harbour", "#Ferries", body="New text.")
    app.test_client().get("/")
    settle(app)
    [call] = server.calls
    assert (call.method, call.path) == ("PURGE", "/")
    assert set(call.headers["xkey-purge"].split(" ")) == {"article-quay", "content"}


def test_nginx_is_purged_by_the_paths_that_showed_a_key_in_each_coding(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(
        make_app,
        server,
        PURGE_NGINX_URL=server.url,
        SITE_URL="https://news.example",
        SHARED_MAX_AGE=3600,
        PURGE_DELAY=0,
    )
    client = app.test_client()
    for path in ("/news/quay/", "/news/rowing/", "/tag/ferries/", "/search?q=quay"):
        client.get(path)
    settle(app)
    write(news, "quay", "Harbour", "#Ferries", title="The quay reopens")
    client.get("/")
    settle(app)
    purged = {call.headers["x-purge-key"] for call in server.calls}
    expected = set()
    for path in ("/news/quay/", "/tag/ferries/", "/search?q=quay", "/"):
        expected |= {f"httpsnews.example:443{path}{coding}" for coding in ("", "br", "gzip")}
    assert {"httpsnews.example:443/news/quay/br", "httpsnews.example:443/search?q=quay"} <= purged
    assert purged <= expected
    assert not any("/news/rowing/" in key for key in purged)  # it shows nothing of the quay


def test_the_hub_is_told_of_each_feed_that_changed(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(
        make_app,
        server,
        WEBSUB_HUB=server.url + "/hub",
        SITE_URL="https://news.example",
        PURGE_DELAY=0,
    )
    write(news, "quay", "Harbour", "#Ferries", body="Ferries sail again.")
    app.test_client().get("/")
    settle(app)
    told = set()
    for call in server.calls:
        form = parse_qs(call.body.decode())
        assert (call.path, form["hub.mode"]) == ("/hub", ["publish"])
        told |= set(form["hub.url"])
    site = "https://news.example"
    assert told == {
        f"{site}/feed.xml",
        f"{site}/atom.xml",
        f"{site}/feed.json",
        f"{site}/category/harbour/feed.xml",
        f"{site}/category/harbour/atom.xml",
        f"{site}/tag/ferries/feed.xml",
        f"{site}/tag/ferries/atom.xml",
    }


def test_a_hub_that_fails_is_retried(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(
        make_app, server, WEBSUB_HUB=server.url, SITE_URL="https://news.example", PURGE_DELAY=0
    )
    server.script = [(502, b"")]
    write(news, "market", "Food", "#Markets", title="Market indoors")
    app.test_client().get("/")
    settle(app)
    urls = [parse_qs(c.body.decode())["hub.url"][0] for c in server.calls]
    assert urls[0] == urls[1]  # the one refused, then again
    assert "https://news.example/tag/markets/atom.xml" in urls


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("PURGE_VARNISH_URL", "127.0.0.1:6081", "an http:// or https:// URL"),
        ("WEBSUB_HUB", "https://hub.example/", "needs SITE_URL"),
        ("PURGE_NGINX_URL", "http://127.0.0.1:8081", "needs SITE_URL"),
        ("FASTLY_SERVICE_ID", "svc", "set both, or neither"),
    ],
)
def test_purge_settings_that_cannot_work_stop_the_start(
    make_app: Callable[..., Flask], setting: str, value: str, message: str
) -> None:
    from blog.settings import SettingsError

    with pytest.raises(SettingsError, match=message):
        make_app(**{setting: value})


def test_an_operator_purges_every_page_after_a_deploy(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    app = start(make_app, server, PURGE_VARNISH_URL=server.url)
    result = app.test_cli_runner().invoke(args=["content", "purge", "everything"])
    assert result.exit_code == 0 and "varnish: ok" in result.output
    [call] = server.calls
    assert call.headers["xkey-purge"] == "everything"
    server.answer = (503, b"")
    result = app.test_cli_runner().invoke(args=["content", "purge", "article-quay"])
    assert result.exit_code == 1 and "503" in result.output


def test_purging_with_no_cache_configured_says_so(make_app: Callable[..., Flask]) -> None:
    result = make_app().test_cli_runner().invoke(args=["content", "purge", "everything"])
    assert result.exit_code == 1 and "No cache to purge" in result.output


def test_feeds_name_the_hub_and_themselves(news: Content, make_app: Callable[..., Flask]) -> None:
    client = make_app(
        WEBSUB_HUB="https://hub.example/", SITE_URL="https://news.example"
    ).test_client()
    for path in ("/feed.xml", "/atom.xml", "/tag/ferries/feed.xml", "/category/harbour/atom.xml"):
        links = {
            (link.rel, link.href) for link in feedparser.parse(client.get(path).data).feed.links
        }
        assert ("hub", "https://hub.example/") in links, path
        assert ("self", f"https://news.example{path}") in links, path
    feed = json.loads(client.get("/feed.json").data)
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]
    assert feed["feed_url"] == "https://news.example/feed.json"
    without = make_app().test_client()
    assert "hubs" not in json.loads(without.get("/feed.json").data)
    assert b'rel="hub"' not in without.get("/atom.xml").data


def test_without_a_ledger_every_worker_purges_and_says_so_once(
    news: Content,
    make_app: Callable[..., Flask],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Recording:
        name, shared, sent = "varnish", True, []

        def send(self, items: Sequence[str]) -> None:
            self.sent.append(list(items))

    target = Recording()
    nowhere = FileLedger(tmp_path / "no-such-folder" / "purge.sqlite", keep=60)
    purging = Purging([target], nowhere, nowhere, delay=0)
    library = get_library(make_app())
    with caplog.at_level(logging.ERROR, logger="blog"):
        for n in range(2):
            old = library.current
            write(news, "quay", "Harbour", "#Ferries", body=f"Version {n}.")
            purging.changed(old, library.refresh(), {"quay.md"})
            assert purging.wait_idle()
    assert [set(items) for items in target.sent] == [{"article-quay", "content"}] * 2
    assert caplog.text.count("ledger unavailable") == 1


def test_a_picture_becoming_ready_purges_the_pages_that_show_it_and_no_other(
    news: Content, make_app: Callable[..., Flask], server: Recorder
) -> None:
    remote = RemoteSite()
    remote.routes["/quay.jpg"] = reply(jpeg((900, 600)))
    with remote.running():
        write(
            news, "quay", "Harbour", "#Ferries", extra=f"featuredimage: {remote.url('/quay.jpg')}"
        )
        app = start(
            make_app,
            server,
            PURGE_VARNISH_URL=server.url,
            SHARED_MAX_AGE=3600,
            PURGE_DELAY=0,
            IMAGE_FETCH_ALLOW_PRIVATE=True,
        )
        client = app.test_client()
        showing = ("/news/quay/", "/tag/ferries/", "/category/harbour/")
        before = {path: client.get(path) for path in (*showing, "/tag/markets/")}
        token = "picture-" + hashlib.sha256(remote.url("/quay.jpg").encode()).hexdigest()[:20]
        for path in showing:  # not fetched yet: a placeholder, kept by no cache for long
            assert token in before[path].headers["Surrogate-Key"].split(" ")
            assert "s-maxage=5" in before[path].headers["Cache-Control"]
        unrelated = before["/tag/markets/"]
        assert token not in unrelated.headers["Surrogate-Key"]
        assert "s-maxage=3600" in unrelated.headers["Cache-Control"]
        pages = app.extensions["blog.page_cache"]
        renders = pages.renders
        prepare_pictures(app, remote=True)  # the background fetches it
        settle(app)
    assert [call.headers["xkey-purge"] for call in server.calls] == [token]  # once, no more
    assert "/img/" in client.get("/news/quay/").get_data(as_text=True)
    assert client.get("/tag/markets/").data == unrelated.data
    assert pages.renders == renders + 1  # the article again; the unrelated tag page was kept


def test_two_workers_tell_fastly_cloudflare_and_the_hub_once_each(
    news: Content, make_app: Callable[..., Flask], server: Recorder, tmp_path: Path
) -> None:
    settings = fastly(
        server,
        CLOUDFLARE_ZONE_ID="zone9",
        CLOUDFLARE_API_TOKEN="token-c",
        CLOUDFLARE_API_URL=server.url,
        WEBSUB_HUB=server.url + "/hub",
        SITE_URL="https://news.example",
        PURGE_DELAY=0.5,
        STORE_DIR=str(tmp_path / "store"),
    )
    first, second = (start(make_app, server, **settings) for _ in range(2))
    write(news, "market", "Food", "#Markets", body="Indoors.")
    first.test_client().get("/")
    second.test_client().get("/")  # the same change, seen by a second worker of the host
    settle(first, second)
    paths = [call.path for call in server.calls]
    assert paths.count("/service/svc1/purge") == 1
    assert paths.count("/zones/zone9/purge_cache") == 1
    told = [parse_qs(c.body.decode())["hub.url"][0] for c in server.calls if c.path == "/hub"]
    assert told and len(told) == len(set(told))  # each feed once
    assert "https://news.example/tag/markets/feed.xml" in told


def test_a_key_changing_faster_than_the_delay_is_still_purged_that_often() -> None:
    """An edit every 100 ms (the soak's pace) with PURGE_DELAY 0.5 s: each purge goes out
    when first due, never put off by the changes after it, and the last change is purged."""
    sent: list[float] = []

    class Recording:
        name, shared = "varnish", True

        def send(self, items: Sequence[str]) -> None:
            sent.append(time.monotonic())

    sender = Sender(Recording(), time.monotonic, (0.05,), 3)
    sender.start()
    began = time.monotonic()
    while time.monotonic() - began < 2:
        sender.add(["content"], time.monotonic() + 0.5)
        time.sleep(0.1)
    last = time.monotonic() - 0.1 + 0.5  # when the last change was due
    deadline = time.monotonic() + 3
    while not sender.idle() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent and sent[0] - began < 0.7
    gaps = [b - a for a, b in zip([began, *sent], sent, strict=False)]
    assert max(gaps) < 0.7, gaps  # never starved while the changes kept coming
    assert sent[-1] >= last - 0.05
