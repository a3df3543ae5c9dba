"""The editors' other commands and what they drive: new, list, preview, aliases."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask

from blog import get_library
from blog.content.models import parse_article
from tests.articles import Content, article_text
from tests.conftest import FIXED_NOW
from tests.html import elements, parse, text_of


def cli(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["content", *args])


def test_new_writes_the_editors_format(content: Content, make_app: Callable[..., Flask]) -> None:
    app = make_app()
    result = cli(
        app,
        "new",
        "Harbour Cities: Tidal Power",
        "--category",
        "Technology",
        "--tags",
        "#Energy #Cities",
        "--deals",
    )
    assert result.exit_code == 0, result.output
    path = content.root / "2026-11-26-harbour-cities-tidal-power.md"
    assert result.stdout.strip() == str(path)
    text = path.read_text()
    assert "\ndate: 2026-11-26T12:00:00.000Z\n" in text
    assert '\ntags:\n  - "#Energy #Cities"\n' in text
    assert all(f'\nmk{n}: ""\n' in text for n in range(1, 6))
    article = parse_article(path.name, path.read_bytes(), "h", dt.UTC)
    assert (article.title, article.category, article.tags, article.deals) == (
        "Harbour Cities: Tidal Power",
        "Technology",
        ("Energy", "Cities"),
        True,
    )
    assert article.date == FIXED_NOW


def test_new_refuses_to_overwrite(content: Content, make_app: Callable[..., Flask]) -> None:
    app = make_app()
    assert cli(app, "new", "Same Title").exit_code == 0
    path = content.root / "2026-11-26-same-title.md"
    path.write_text("edited by hand")
    again = cli(app, "new", "Same Title")
    assert again.exit_code != 0 and "already exists" in again.output
    assert path.read_text() == "edited by hand"


def test_new_needs_a_title_with_letters(make_app: Callable[..., Flask]) -> None:
    assert cli(make_app(), "new", "!!!").exit_code != 0


def test_list_shows_each_state(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("live.md", article_text(title="Live"))
    content.write("draft.md", article_text(title="Draft", front="draft: true"))
    content.write("later.md", article_text(title="Later", date="2031-01-01T00:00:00Z"))
    content.write("broken.md", "---\ntitle: [\n---\n")
    app = make_app()
    content.write("live.md", "---\ntitle: [\n---\n")  # broken after being published
    rows = [line.split("\t") for line in cli(app, "list").output.splitlines()]
    assert rows[0] == ["state", "date", "slug", "file", "title"]
    states = {row[3]: row[0] for row in rows[1:]}
    assert states == {
        "live.md": "broken (last good version served)",
        "draft.md": "draft",
        "later.md": "scheduled",
        "broken.md": "broken",
    }


@pytest.fixture
def previewable(content: Content, make_app: Callable[..., Flask]) -> Flask:
    content.write(
        "2026-12-01-secret-plan.md", article_text(title="Secret Plan", date="2026-12-01T00:00:00Z")
    )
    content.write("draft.md", article_text(title="Draft Story", front="draft: true"))
    return make_app(SECRET_KEY="test-secret", SITE_URL="https://news.example")


def preview_url(app: Flask, file: str, *args: str) -> str:
    result = cli(app, "preview", file, *args)
    assert result.exit_code == 0, result.output
    parts = urlsplit(result.output.strip())
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("file", ["2026-12-01-secret-plan.md", "draft.md"])
def test_preview_link_shows_an_unpublished_article_privately(
    content: Content, previewable: Flask, file: str
) -> None:
    client = previewable.test_client()
    url = preview_url(previewable, str(content.root / file))
    assert client.get(url.split("?")[0].replace("/preview/", "/news/")).status_code == 404
    for _ in range(2):  # the second time must not come from any shared cache either
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
        assert "ETag" not in response.headers
        doc = parse(response.data)
        robots = [m.get("content") for m in elements(doc, "meta") if m.get("name") == "robots"]
        assert robots == ["noindex, nofollow"]
    assert text_of(elements(doc, "h1")[0]) in ("Secret Plan", "Draft Story")


def test_a_preview_link_carries_the_sites_mount_path(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("draft.md", article_text(title="Draft Story", front="draft: true"))
    app = make_app(
        SECRET_KEY="test-secret", SITE_URL="https://news.example", SCRIPT_NAME="/courier"
    )
    result = cli(app, "preview", str(content.root / "draft.md"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("https://news.example/courier/preview/draft/?")


def test_preview_rejects_wrong_or_expired_signatures(content: Content, previewable: Flask) -> None:
    client = previewable.test_client()
    url = preview_url(previewable, str(content.root / "draft.md"))
    path, query = url.split("?")
    good_sig = re.search(r"signature=([\w-]+)", query)[1]
    expires = re.search(r"expires=(\d+)", query)[1]
    assert client.get(f"{path}?expires={expires}&signature={'0' * 64}").status_code == 404
    assert client.get(f"{path}?expires={int(expires) + 60}&signature={good_sig}").status_code == 404
    assert client.get(path).status_code == 404
    other = "/preview/secret-plan/"
    assert client.get(f"{other}?expires={expires}&signature={good_sig}").status_code == 404
    past = preview_url(previewable, str(content.root / "draft.md"), "--hours", "-1")
    assert client.get(past).status_code == 404


@pytest.mark.parametrize(
    ("expires", "signature"),
    [
        ("good", "é"),
        ("good", "ü" * 43),
        ("good", "\u2028"),
        ("good", "%ED%A0%80"),  # not UTF-8 once decoded
        ("good", "A" * 100_000),
        ("good", "good" + "é"),
        ("²" * 10, "good"),  # digits to isdigit(), not to int()
        ("９" * 10, "good"),  # full-width digits, which int() reads
        ("١٢٣٤٥٦٧٨٩٠", "good"),
        ("%00", "good"),
    ],
)
def test_preview_refuses_odd_or_non_ascii_links(
    content: Content, previewable: Flask, expires: str, signature: str
) -> None:
    path, query = preview_url(previewable, str(content.root / "draft.md")).split("?")
    good = dict(pair.split("=") for pair in query.split("&"))
    expires = expires.replace("good", good["expires"])
    signature = signature.replace("good", good["signature"])
    response = previewable.test_client().get(f"{path}?expires={expires}&signature={signature}")
    assert response.status_code == 404


def test_preview_needs_a_secret(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("draft.md", article_text(front="draft: true"))
    app = make_app()
    result = cli(app, "preview", str(content.root / "draft.md"))
    assert result.exit_code != 0 and "FLASK_SECRET_KEY" in result.output
    assert "previews need SECRET_KEY" in result.output
    expires = int(time.time()) + 3600
    assert (
        app.test_client().get(f"/preview/harbour/?expires={expires}&signature=x").status_code == 404
    )


def test_aliases_redirect_to_the_article(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write(
        "2025-01-01-new-home.md",
        article_text(
            front="aliases:\n  - /old/path/to-story/\n  - old-slug\n  - https://old.example/story.html"
        ),
    )
    client = make_app().test_client()
    for old in ("/old/path/to-story/", "/old/path/to-story", "/news/old-slug/", "/story.html"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response.headers["Location"].endswith("/news/new-home/")
    assert client.get("/old/path/elsewhere/").status_code == 404


def test_alias_never_shadows_a_live_article(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("live.md", article_text(title="Live One"))
    content.write("greedy.md", article_text(title="Greedy", front="aliases:\n  - live"))
    client = make_app().test_client()
    doc = parse(client.get("/news/live/").data)
    assert text_of(elements(doc, "h1")[0]) == "Live One"


def test_drafts_aliases_wait_for_publication(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("d.md", article_text(front="draft: true\naliases:\n  - /old/d/"))
    assert make_app().test_client().get("/old/d/").status_code == 404


def test_updated_time_is_shown_and_used(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write(
        "x.md", article_text(date="2025-01-01T08:00:00Z", front="updated: 2025-01-03T09:30:00Z")
    )
    app = make_app()
    doc = parse(app.test_client().get("/news/x/").data)
    times = [t.get("datetime") for t in elements(doc.find(".//main"), "time")]
    assert "2025-01-03T09:30:00+00:00" in times
    assert get_library(app).index().by_slug["x"].modified == dt.datetime(
        2025, 1, 3, 9, 30, tzinfo=dt.UTC
    )
