"""The check reports each image readers will not see as a picture, at the line of the field
that names it, with the reason; it judges remote images only by what the store knows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from blog.web.state import get_images
from tests.articles import Content
from tests.image_files import SVG, RemoteSite, jpeg, png_claiming, reply


@pytest.fixture(scope="module")
def site() -> Iterator[RemoteSite]:
    remote = RemoteSite()
    remote.routes["/photo.jpg"] = reply(jpeg())
    with remote.running():
        yield remote


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "good.jpg").write_bytes(jpeg())
    (folder / "page.png").write_bytes(b"<html><body>Not found</body></html>")
    (folder / "bomb.png").write_bytes(png_claiming(100_000, 100_000))
    (folder / "map.svg").write_bytes(SVG)
    return folder


@pytest.fixture
def checked(make_app: Callable[..., Flask], media: Path) -> Callable[..., Flask]:
    def make(**config: object) -> Flask:
        return make_app(MEDIA_DIR=str(media), IMAGE_FETCH_ALLOW_PRIVATE=True, **config)

    return make


def findings(app: Flask) -> list[str]:
    result = app.test_cli_runner().invoke(args=["content", "check"])
    return [line for line in result.output.splitlines() if ".md:" in line]


def test_good_images_give_no_finding(
    content: Content, checked: Callable[..., Flask], site: RemoteSite
) -> None:
    content.article(
        "a.md",
        front="featuredimage: /media/good.jpg",
        body=f"![A photo]({site.url('/photo.jpg')})\n\n![Ours](/static/images/harbour-dawn.webp)",
    )
    app = checked()
    get_images(app).prepare(site.url("/photo.jpg"))
    assert findings(app) == []


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("/media/missing.jpg", "no such file (looked for media/missing.jpg)"),
        ("/media/page.png", "an HTML page, not an image"),
        ("/media/bomb.png", "too many pixels"),
        ("/media/../secret.jpg", "not a file name"),
        ("/somewhere/else.jpg", "not a file of the site's"),
    ],
)
def test_a_featured_image_that_cannot_be_had_is_an_error_at_its_line(
    content: Content, checked: Callable[..., Flask], reference: str, message: str
) -> None:
    content.article("a.md", front=f"featuredimage: {reference}")
    lines = findings(checked())
    assert len(lines) == 1
    assert lines[0].startswith(f"a.md:4: error: featuredimage: {reference}: cannot be shown: ")
    assert message in lines[0] and lines[0].endswith("readers see a placeholder")


def test_a_file_over_the_byte_limit_is_an_error(
    content: Content, checked: Callable[..., Flask]
) -> None:
    content.article("a.md", front="featuredimage: /media/good.jpg")
    assert findings(checked(IMAGE_MAX_BYTES=1000)) == [
        "a.md:4: error: featuredimage: /media/good.jpg: cannot be shown: "
        f"{len(jpeg()) / 1e6:.1f} MB, over the limit of 0.001 MB; readers see a placeholder"
    ]


def test_images_in_sections_and_body_are_reported_at_their_field(
    content: Content, checked: Callable[..., Flask]
) -> None:
    content.article(
        "a.md",
        front='categoria: News\nmk1: "![map](/media/missing.jpg)"',
        body='<p><img src="/media/page.png" alt=""></p>',
    )
    assert [line.split(": cannot")[0] for line in findings(checked())] == [
        "a.md:5: error: mk1: /media/missing.jpg",
        "a.md:7: error: body: /media/page.png",
    ]


def test_an_svg_is_a_warning_or_an_error_as_the_setting_says(
    content: Content, checked: Callable[..., Flask]
) -> None:
    content.article("a.md", front="featuredimage: /media/map.svg")
    assert findings(checked()) == [
        "a.md:4: warning: featuredimage: /media/map.svg: an SVG is never shown as a picture: "
        "readers get a plain link to it"
    ]
    (refused,) = findings(checked(IMAGE_SVG="refuse"))
    assert refused.startswith(
        "a.md:4: error: featuredimage: /media/map.svg: cannot be shown: an SVG"
    )


def test_a_remote_image_not_fetched_here_is_a_note_and_the_check_fetches_nothing(
    content: Content, checked: Callable[..., Flask], site: RemoteSite
) -> None:
    url = site.url("/photo.jpg?fresh")
    content.article("a.md", front=f"featuredimage: {url}")
    hits = dict(site.hits)
    result = checked().test_cli_runner().invoke(args=["content", "check"])
    (line,) = [line for line in result.output.splitlines() if ".md:" in line]
    assert line.startswith(f"a.md:4: info: featuredimage: {url}: not fetched by this site yet")
    assert "the check never fetches from the internet" in line
    assert result.exit_code == 0
    assert site.hits == hits


def test_a_remote_image_that_failed_is_an_error_with_its_reason(
    content: Content, checked: Callable[..., Flask], site: RemoteSite
) -> None:
    url = site.url("/gone.jpg")
    content.article("a.md", front=f"featuredimage: {url}")
    app = checked()
    get_images(app).prepare(url)  # as the background does
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert f"a.md:4: error: featuredimage: {url}: cannot be shown: HTTP 404 from 127.0.0.1" in (
        result.output
    )
    assert result.exit_code == 1


def test_remote_images_are_not_judged_when_fetching_is_off(
    content: Content, checked: Callable[..., Flask], site: RemoteSite
) -> None:
    content.article("a.md", front=f"featuredimage: {site.url('/gone.jpg')}")
    assert findings(checked(IMAGE_FETCH=False)) == []


def test_an_image_many_articles_show_is_judged_once(
    content: Content, checked: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.md", "b.md", "c.md"):
        content.article(name, front="featuredimage: /media/page.png")
    app = checked()
    images = get_images(app)
    asked: list[str] = []
    judge = images.verdict
    monkeypatch.setattr(images, "verdict", lambda r: asked.append(r) or judge(r))
    assert len(findings(app)) == 3
    assert asked == ["/media/page.png"]
