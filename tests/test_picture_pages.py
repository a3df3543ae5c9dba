"""Pictures in pages, through the real app on real files: the variant route's answers, the
markup of each case (a picture of ours, a hotlinked one, one not fetched yet, an SVG, one
that cannot be had) on the lead, cards, the article and its body, social cards and
structured data, and the response cache kept honest when a picture changes."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import EnvironBuilder

from blog.images import variants
from blog.images.variants import AVIF
from blog.web.state import get_images, get_library, get_settings
from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, parse, text_of
from tests.image_files import SVG, RemoteSite, jpeg, png, prepare_pictures, reply

SOURCE_TYPES = ["image/avif", "image/webp"] if AVIF else ["image/webp"]
VARIANT = re.compile(
    r"/img/[0-9a-f]{16}-(w\d+|social|1x1|4x3|16x9)-[0-9a-f]{10}\.(avif|webp|jpg|png)"
)
REMOTE = "https://images.example.org/uploads/harbour.jpg"  # never fetched here: pending


def media_folder(root: Path) -> Path:
    """Uploads: a photograph, a transparent PNG, an SVG, an HTML page named .png."""
    media = root / "media"
    media.mkdir()
    (media / "quay.jpg").write_bytes(jpeg((1600, 1000)))
    (media / "chart.png").write_bytes(png((500, 400), "RGBA"))
    (media / "logo.svg").write_bytes(SVG)
    (media / "fake.png").write_bytes(b"<!DOCTYPE html><html><body>no</body></html>")
    return media


BODY = (
    '![Cranes at work](/media/quay.jpg "Cranes at the quay")\n\n'
    "A chart inline ![the chart](/media/chart.png) in a sentence.\n\n"
    '<img src="/media/quay.jpg" width="400" alt="small">\n\n'
    "![a drawing](/media/logo.svg)\n\n"
    "![gone](/media/gone.jpg)\n\n"
    f"![far away]({REMOTE})\n\n"
    "The end."
)


def write_articles(content: Content) -> None:
    """One article per kind of featured image, all in one category; the newest leads."""
    kinds = {
        "ours": "/media/quay.jpg",
        "pending": REMOTE,
        "svg": "/media/logo.svg",
        "failed": "/media/gone.jpg",
        "fake": "/media/fake.png",
    }
    for n, (name, image) in enumerate(kinds.items()):
        front = (
            f"featuredimage: {image}\nfeaturedimage_alt: The picture of {name}\n"
            "featuredimage_caption: A caption.\ncategoria: Harbour Life"
        )
        content.article(
            f"{name}.md",
            title=f"Story {name}",
            date=f"2025-03-{10 - n:02d}T08:00:00Z",
            front=front,
            body=BODY if name == "ours" else "Text.",
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    root = tmp_path_factory.mktemp("pictures")
    content = Content(root / "content")
    content.root.mkdir()
    write_articles(content)
    return build_app(content.root, MEDIA_DIR=str(media_folder(root)))


@pytest.fixture(scope="module")
def reader(site: Flask) -> FlaskClient:
    return site.test_client()


def page(client: FlaskClient, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.data)


def lead_of(client: FlaskClient, url: str = "/") -> ET.Element:
    return next(e for e in elements(page(client, url), "article") if e.get("class") == "lead")


def card_of(doc: ET.Element, slug: str) -> ET.Element:
    return next(
        e
        for e in elements(doc, "article")
        if "card" in (e.get("class") or "").split()
        and any(a.get("href") == f"/news/{slug}/" for a in elements(e, "a"))
    )


def story_image(client: FlaskClient, slug: str) -> ET.Element:
    return page(client, f"/news/{slug}/").find(".//figure[@class='story-image']")


def check_picture(picture: ET.Element, size: tuple[int, int]) -> ET.Element:
    """A ``<picture>`` of ours: a source per modern format, then the fallback ``<img>`` with
    the real size and every URL a variant's; its ``<img>``."""
    sources = elements(picture, "source")
    assert [s.get("type") for s in sources] == SOURCE_TYPES
    (img,) = elements(picture, "img")
    assert (img.get("width"), img.get("height")) == tuple(str(n) for n in size)
    assert VARIANT.fullmatch(img.get("src"))
    for candidate in [img, *sources]:
        urls = [part.split()[0] for part in candidate.get("srcset").split(", ")]
        widths = [
            int(part.split()[1].removesuffix("w")) for part in candidate.get("srcset").split(", ")
        ]
        assert all(VARIANT.fullmatch(u) for u in urls)
        assert widths == sorted(widths) and max(widths) <= size[0]
        assert candidate.get("sizes")
    assert img.get("decoding") == "async"
    return img


def placeholder(element: ET.Element) -> ET.Element:
    (found,) = [
        e for e in elements(element) if "image-placeholder" in (e.get("class") or "").split()
    ]
    return found


# The variant route


def test_every_size_a_page_names_is_made_on_request_and_cached_for_good(
    reader: FlaskClient,
) -> None:
    urls = {m[0] for m in VARIANT.finditer(reader.get("/news/ours/").data.decode())}
    assert len(urls) > 20
    for url in urls:
        response = reader.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["ETag"] == '"' + url.rsplit("/", 1)[1].rsplit(".", 1)[0] + '"'
        fmt = {"avif": "AVIF", "webp": "WEBP", "jpg": "JPEG", "png": "PNG"}[url.rsplit(".", 1)[1]]
        with Image.open(io.BytesIO(response.data)) as image:
            assert image.format == fmt and response.mimetype == Image.MIME[fmt]


def test_a_size_is_made_once_then_read_from_disk(reader: FlaskClient, site: Flask) -> None:
    url = next(m[0] for m in VARIANT.finditer(reader.get("/news/ours/").data.decode()))
    name = url.rsplit("/", 1)[1]
    file = get_images(site).folder.variant(name)
    first = reader.get(url).data
    assert file.read_bytes() == first
    made = file.stat().st_mtime_ns
    assert reader.get(url).data == first and file.stat().st_mtime_ns == made


def test_a_size_asked_again_with_its_etag_is_not_modified(reader: FlaskClient) -> None:
    url = next(m[0] for m in VARIANT.finditer(reader.get("/news/ours/").data.decode()))
    etag = reader.get(url).headers["ETag"]
    again = reader.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize(
    "name",
    [
        "nothing.jpg",
        "0123456789abcdef-w640-0123456789.jpg",  # the shape of a name, of no image here
        "0123456789abcdef-w640-0123456789.gif",
        "%2e%2e%2fetc%2fpasswd",
        "..%2F..%2Fsettings.py",
        "a" * 5000,
        "%00.jpg",
        "0123456789ABCDEF-w640-0123456789.jpg",
    ],
)
def test_a_name_of_no_size_is_404(reader: FlaskClient, name: str) -> None:
    response = reader.get(f"/img/{name}")
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_a_size_of_a_damaged_original_is_404(tmp_path: Path, content: Content) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "cut.jpg").write_bytes(jpeg((1200, 900))[:5000])  # its header is whole
    content.article("cut.md", front="featuredimage: /media/cut.jpg")
    client = build_app(content.root, MEDIA_DIR=str(media)).test_client()
    url = VARIANT.search(client.get("/news/cut/").data.decode())[0]
    assert client.get(url).status_code == 404
    # ...and the page that named it no longer does: the placeholder instead.
    assert not VARIANT.search(client.get("/news/cut/").data.decode())


def held_making(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Making variants waits until the event returned is set: a queue behind other work."""
    release = threading.Event()
    make = variants.make

    def held(*args: Any, **kwargs: Any) -> dict[str, bytes]:
        release.wait(10)
        return make(*args, **kwargs)

    monkeypatch.setattr(variants, "make", held)
    return release


def quay_site(tmp_path: Path, content: Content, **config: object) -> tuple[Flask, str]:
    """An app over one article pictured by a 1600×1000 upload, nothing made; its page."""
    media = tmp_path / "media"
    media.mkdir()
    (media / "quay.jpg").write_bytes(jpeg((1600, 1000)))
    content.article("quay.md", front="featuredimage: /media/quay.jpg")
    app = build_app(content.root, MEDIA_DIR=str(media), **config)
    return app, app.test_client().get("/news/quay/").data.decode()


def made_later(app: Flask, url: str) -> None:
    """Wait until the variant of ``url`` is on disk (made behind the reader's back)."""
    path = get_images(app).folder.variant(url.rsplit("/", 1)[1])
    for _ in range(500):
        if path.exists():
            return
        time.sleep(0.02)
    raise AssertionError(f"{url} was never made")


def test_a_size_still_being_made_is_stood_in_for_within_the_wait_then_served_for_good(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, page = quay_site(tmp_path, content, IMAGE_VARIANT_STANDIN_WAIT=0.3)
    client = app.test_client()
    release = held_making(monkeypatch)
    url = re.search(r"/img/[0-9a-f]{16}-w720-[0-9a-f]{10}\.webp", page)[0]  # type: ignore[index]
    start = time.monotonic()
    first = client.get(url)
    assert 0.3 <= time.monotonic() - start < 1.0
    # The only image of the picture on disk: its original, as it is, for now only.
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert first.data == (tmp_path / "media" / "quay.jpg").read_bytes()
    assert first.headers["Cache-Control"] == "no-store"
    assert "ETag" not in first.headers
    release.set()
    made_later(app, url)
    second = client.get(url)
    assert second.status_code == 200 and second.mimetype == "image/webp"
    assert "immutable" in second.headers["Cache-Control"]
    with Image.open(io.BytesIO(second.data)) as image:
        assert image.size == (720, 450)


def test_the_stand_in_is_the_nearest_size_already_made(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, page = quay_site(tmp_path, content, IMAGE_VARIANT_STANDIN_WAIT=0)
    client = app.test_client()
    images = get_images(app)
    rules = images.rules
    monkeypatch.setattr(images, "rules", dataclasses.replace(rules, standin_wait=10.0))
    wide = re.search(r"/img/[0-9a-f]{16}-w960-[0-9a-f]{10}\.webp", page)[0]  # type: ignore[index]
    assert "immutable" in client.get(wide).headers["Cache-Control"]  # made on the spot
    monkeypatch.setattr(images, "rules", rules)  # no wait at all from here
    release = held_making(monkeypatch)
    url = re.search(r"/img/[0-9a-f]{16}-w720-[0-9a-f]{10}\.webp", page)[0]  # type: ignore[index]
    standin = client.get(url)
    assert standin.headers["Cache-Control"] == "no-store"
    assert standin.data == client.get(wide).data
    release.set()


def test_a_crop_not_made_within_the_wait_is_503_then_served(
    tmp_path: Path, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, page = quay_site(tmp_path, content, IMAGE_VARIANT_WAIT=0.1)
    client = app.test_client()
    release = held_making(monkeypatch)
    url = re.search(r"/img/[0-9a-f]{16}-social-[0-9a-f]{10}\.jpg", page)[0]  # type: ignore[index]
    busy = client.get(url)  # nothing else has its shape: nothing stands in
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2" and "no-store" in busy.headers["Cache-Control"]
    release.set()
    made_later(app, url)
    assert client.get(url).status_code == 200


def test_uploads_are_served_at_their_site_paths(reader: FlaskClient, site: Flask) -> None:
    response = reader.get("/media/quay.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == (Path(get_settings(site).MEDIA_DIR) / "quay.jpg").read_bytes()


@pytest.mark.parametrize(
    "path", ["/media/nothing.jpg", "/media/../app.py", "/media/%2e%2e/app.py", "/media/"]
)
def test_nothing_outside_the_uploads_is_served_from_them(reader: FlaskClient, path: str) -> None:
    assert reader.get(path).status_code == 404


# The lead


@pytest.mark.parametrize(
    ("image", "expect"),
    [
        ("/media/quay.jpg", "picture"),
        (REMOTE, "placeholder"),
        ("/media/logo.svg", "placeholder"),
        ("/media/gone.jpg", "placeholder"),
        ("/media/fake.png", "placeholder"),
    ],
    ids=["ours", "pending", "svg", "failed", "not-an-image"],
)
def test_the_lead_shows_its_picture_or_the_category_placeholder(
    tmp_path: Path, content: Content, image: str, expect: str
) -> None:
    content.article(
        "lead.md", front=f"featuredimage: {image}\nfeaturedimage_alt: Cranes\ncategoria: Sport"
    )
    client = build_app(content.root, MEDIA_DIR=str(media_folder(tmp_path))).test_client()
    lead = lead_of(client)
    if expect == "picture":
        (picture,) = elements(lead, "picture")
        img = check_picture(picture, (1600, 1000))
        assert img.get("fetchpriority") == "high" and img.get("loading") is None
        assert img.get("alt") == "Cranes"
    else:
        assert elements(lead, "img") == [] and elements(lead, "picture") == []
        shown = placeholder(lead)
        assert text_of(shown) == "Sport" and re.search(r"\btone-[0-7]\b", shown.get("class"))
        assert shown.get("aria-hidden") == "true"


def test_a_hotlinked_lead_is_the_image_as_written(content: Content) -> None:
    content.article("lead.md", front=f"featuredimage: {REMOTE}\ncategoria: Sport")
    lead = lead_of(build_app(content.root, IMAGE_FETCH=False).test_client())
    (img,) = elements(lead, "img")
    assert img.get("src") == REMOTE and img.get("fetchpriority") == "high"
    assert (img.get("width"), img.get("height")) == ("1200", "675")


def test_a_placeholder_has_its_categorys_colour_on_every_page(reader: FlaskClient) -> None:
    tones = set()
    for slug in ("pending", "failed", "fake"):
        (tone,) = re.findall(r"tone-\w+", placeholder(story_image(reader, slug)).get("class"))
        tones.add(tone)
    assert len(tones) == 1


def test_an_article_without_a_category_has_a_neutral_placeholder(content: Content) -> None:
    content.article("x.md", front="featuredimage: /media/gone.jpg")
    figure = story_image(build_app(content.root).test_client(), "x")
    shown = placeholder(figure)
    assert "tone-none" in shown.get("class") and text_of(shown) == "The Harbour Courier"


# Cards


def test_a_card_shows_its_picture_lazily_below_the_first_screen(reader: FlaskClient) -> None:
    related = page(reader, "/news/pending/").find(".//section[@class='related']")
    (picture,) = elements(card_of(related, "ours"), "picture")
    img = check_picture(picture, (1600, 1000))
    assert img.get("loading") == "lazy" and img.get("fetchpriority") is None
    first = card_of(page(reader, "/category/harbour-life/"), "ours")  # a listing's first
    (img,) = elements(first, "img")
    assert img.get("loading") is None and img.get("fetchpriority") is None


@pytest.mark.parametrize("slug", ["pending", "svg", "failed", "fake"])
def test_a_card_without_a_picture_has_no_image_block(reader: FlaskClient, slug: str) -> None:
    card = card_of(page(reader, "/category/harbour-life/"), slug)
    assert "card-text" in card.get("class").split()
    assert elements(card, "img") == [] and elements(card, "picture") == []
    assert not [e for e in elements(card) if "image" in (e.get("class") or "")]


# The article


def test_the_articles_picture_comes_first_with_its_caption(reader: FlaskClient) -> None:
    figure = story_image(reader, "ours")
    (picture,) = elements(figure, "picture")
    img = check_picture(picture, (1600, 1000))
    assert img.get("fetchpriority") == "high" and img.get("loading") is None
    assert img.get("alt") == "The picture of ours"
    assert text_of(figure.find("figcaption")) == "A caption."


@pytest.mark.parametrize("slug", ["pending", "failed", "fake"])
def test_an_article_whose_picture_cannot_be_had_shows_the_placeholder(
    reader: FlaskClient, slug: str
) -> None:
    figure = story_image(reader, slug)
    assert elements(figure, "img") == [] and figure.find("figcaption") is None
    assert text_of(placeholder(figure)) == "Harbour Life"


def test_an_articles_svg_is_a_plain_link(reader: FlaskClient) -> None:
    figure = story_image(reader, "svg")
    assert elements(figure, "img") == []
    (link,) = elements(figure, "a")
    assert link.get("href") == "/media/logo.svg" and text_of(link) == "The picture of svg"


# Body images


@pytest.fixture(scope="module")
def body(reader: FlaskClient) -> ET.Element:
    return page(reader, "/news/ours/").find(".//div[@class='story-body']")


def test_a_titled_picture_alone_is_a_figure_with_its_caption(body: ET.Element) -> None:
    figure = next(f for f in elements(body, "figure") if "body-figure" in f.get("class", ""))
    img = check_picture(figure.find("picture"), (1600, 1000))
    assert img.get("alt") == "Cranes at work" and img.get("loading") == "lazy"
    assert img.get("title") is None  # it is the caption
    assert text_of(figure.find("figcaption")) == "Cranes at the quay"


def test_an_inline_picture_stays_in_its_sentence(body: ET.Element) -> None:
    paragraph = next(p for p in elements(body, "p") if "inline" in text_of(p))
    img = check_picture(paragraph.find("picture"), (500, 400))
    assert img.get("alt") == "the chart"
    assert VARIANT.fullmatch(img.get("src")).group(2) == "png"  # transparent: PNG fallback


def test_an_editors_smaller_width_is_kept_in_proportion(body: ET.Element) -> None:
    img = next(i for i in elements(body, "img") if i.get("alt") == "small")
    assert (img.get("width"), img.get("height")) == ("400", "250")


def test_body_images_that_cannot_be_shown_leave_no_box(body: ET.Element) -> None:
    srcs = [i.get("src") for i in elements(body, "img")]
    assert all(VARIANT.fullmatch(s) for s in srcs), srcs  # nothing hotlinked, nothing broken
    assert "gone" not in text_of(body) and "far away" not in text_of(body)
    (link,) = [a for a in elements(body, "a") if a.get("href") == "/media/logo.svg"]
    assert text_of(link) == "a drawing"
    assert "The end." in text_of(body)


def test_body_images_are_hotlinked_as_written_when_fetching_is_off(content: Content) -> None:
    content.article("x.md", body=f"![far away]({REMOTE})")
    doc = page(build_app(content.root, IMAGE_FETCH=False).test_client(), "/news/x/")
    (img,) = elements(doc.find(".//div[@class='story-body']"), "img")
    assert img.get("src") == REMOTE and img.get("alt") == "far away"


def test_body_markup_from_an_editor_cannot_break_out(content: Content, tmp_path: Path) -> None:
    content.article(
        "x.md",
        body='<img src="/media/quay.jpg" alt="&quot; onerror=&quot;alert(1)" title="<b>t</b>">',
    )
    client = build_app(content.root, MEDIA_DIR=str(media_folder(tmp_path))).test_client()
    body = page(client, "/news/x/").find(".//div[@class='story-body']")
    (img,) = elements(body, "img")
    assert img.get("alt") == '" onerror="alert(1)' and img.get("onerror") is None
    assert elements(body, "b") == []


# Social cards, structured data, feeds


def test_social_cards_point_at_the_1200x630_crop_on_our_origin(reader: FlaskClient) -> None:
    head = page(reader, "/news/ours/").find("head")
    meta = {m.get("property") or m.get("name"): m.get("content") for m in elements(head, "meta")}
    assert meta["og:image"] == meta["twitter:image"]
    assert re.fullmatch(
        r"http://localhost/img/[0-9a-f]{16}-social-[0-9a-f]{10}\.jpg", meta["og:image"]
    )
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    with Image.open(io.BytesIO(reader.get(meta["og:image"]).data)) as image:
        assert image.size == (1200, 630)


def test_a_social_card_without_a_picture_of_ours_has_no_size(reader: FlaskClient) -> None:
    head = page(reader, "/news/failed/").find("head")
    meta = {m.get("property") or m.get("name"): m.get("content") for m in elements(head, "meta")}
    assert meta["og:image"] == "http://localhost/static/images/logo.png"
    assert "og:image:width" not in meta


def test_structured_data_lists_the_square_4x3_and_16x9_crops(reader: FlaskClient) -> None:
    head = page(reader, "/news/ours/").find("head")
    (news,) = [
        data
        for data in (json.loads(s.text) for s in elements(head, "script"))
        if data["@type"] == "NewsArticle"
    ]
    shapes = []
    for url in news["image"]:
        with Image.open(io.BytesIO(reader.get(url).data)) as image:
            shapes.append(round(image.width / image.height, 2))
    assert shapes == [1.0, 1.33, 1.78]


# The response cache and picture changes


@pytest.fixture
def remote() -> Iterator[RemoteSite]:
    site = RemoteSite()
    site.routes["/tram.jpg"] = reply(jpeg((900, 600)))
    with site.running():
        yield site


def local_fetching(content: Content, **config: object) -> Flask:
    return build_app(content.root, IMAGE_FETCH_ALLOW_PRIVATE=True, **config)


def test_a_page_showing_a_picture_not_fetched_yet_is_not_kept(
    content: Content, remote: RemoteSite
) -> None:
    content.article("x.md", front=f"featuredimage: {remote.url('/tram.jpg')}\ncategoria: Sport")
    app = local_fetching(content)
    client = app.test_client()
    first = client.get("/news/x/")
    assert first.headers["Cache-Control"] == "public, max-age=5"  # no cache in front keeps it
    assert not elements(parse(first.data), "picture")
    prepare_pictures(app, remote=True)  # the background's fetch
    after = client.get("/news/x/")
    assert elements(parse(after.data).find(".//figure"), "picture")
    assert after.headers["Cache-Control"] == "public, max-age=60"


def test_a_kept_page_goes_when_its_picture_is_found_damaged(
    tmp_path: Path, content: Content
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "cut.jpg").write_bytes(jpeg((1200, 900))[:5000])  # a whole header: a picture
    content.article("cut.md", front="featuredimage: /media/cut.jpg\ncategoria: Sport")
    app = build_app(content.root, MEDIA_DIR=str(media))
    client = app.test_client()
    assert elements(parse(client.get("/news/cut/").data), "picture")
    assert elements(parse(client.get("/news/cut/").data), "picture")  # from the cache
    get_images(app).prepare("/media/cut.jpg")  # the background decodes it: damaged
    figure = parse(client.get("/news/cut/").data).find(".//figure")
    assert not elements(figure, "picture") and text_of(placeholder(figure)) == "Sport"


def cache_key(app: Flask, path: str) -> str:
    environ = EnvironBuilder(path=path, base_url="http://localhost").get_environ()
    key = app.extensions["blog.page_cache"].page_key(get_library(app).index(), environ)
    assert key is not None
    return key


def kept(app: Flask, path: str) -> bool:
    """True when the response cache holds a current page for ``path``."""
    pages = app.extensions["blog.page_cache"]
    return pages.get(cache_key(app, path), get_library(app).index()) is not None


def test_a_pictures_change_drops_only_the_kept_pages_that_show_it(
    tmp_path: Path, content: Content
) -> None:
    content.article("a.md", front="featuredimage: /media/quay.jpg")
    content.article("b.md", front="featuredimage: /media/chart.png")
    media = media_folder(tmp_path)
    app = build_app(content.root, MEDIA_DIR=str(media))
    client = app.test_client()
    client.get("/news/a/")
    client.get("/news/b/")
    assert kept(app, "/news/a/") and kept(app, "/news/b/")
    (media / "chart.png").write_bytes(png((640, 480)))  # another chart under the same name
    get_images(app).prepare("/media/chart.png")
    assert kept(app, "/news/a/")
    assert not kept(app, "/news/b/")
    assert b"640" in client.get("/news/b/").data  # the new chart's size


def test_a_page_rendered_while_its_picture_changed_is_not_kept(
    tmp_path: Path, content: Content
) -> None:
    content.article("a.md", front="featuredimage: /media/quay.jpg")
    media = media_folder(tmp_path)
    app = build_app(content.root, MEDIA_DIR=str(media))
    images = get_images(app)
    shown = images.picture

    def changing(reference: str) -> object:  # the render looks at the old picture...
        found = shown(reference)
        images.picture = shown  # type: ignore[method-assign]
        (media / "quay.jpg").write_bytes(jpeg((1200, 800)))  # ...which changes meanwhile,
        app.extensions["blog.page_cache"].pictures_changed(reference)  # as the images say
        return found

    images.picture = changing  # type: ignore[method-assign]
    client = app.test_client()
    client.get("/news/a/")  # rendered with the old one, and stored under its version
    assert not kept(app, "/news/a/")


def test_a_frozen_site_carries_the_sizes_its_pages_name(
    tmp_path: Path, content: Content, make_app: Callable[..., Flask]
) -> None:
    media = media_folder(tmp_path)
    content.article("x.md", front="featuredimage: /media/quay.jpg", body="![c](/media/chart.png)")
    app = make_app(MEDIA_DIR=str(media))
    target = tmp_path / "site"
    result = app.test_cli_runner().invoke(args=["freeze", str(target)])
    assert result.exit_code == 0, result.output
    named = {m[0] for m in VARIANT.finditer((target / "news/x/index.html").read_text())}
    assert named and all((target / url.lstrip("/")).is_file() for url in named)
    assert (target / "media" / "quay.jpg").read_bytes() == (media / "quay.jpg").read_bytes()
