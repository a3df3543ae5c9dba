"""A gunicorn worker's image thread (``prepare_worker``): every article's images are made
ready when the worker starts, and a new article's as soon as the library sees it, with no
reader asking."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from blog import prepare_worker
from blog.images.background import ImagePreparer
from blog.images.pictures import Images, NoPicture, Picture
from blog.web.state import get_images, get_library
from tests.articles import Content
from tests.image_files import RemoteSite, jpeg, png, reply


def all_made(images: Images, reference: str, seconds: float = 20) -> bool:
    """Wait until every variant of ``reference`` is on disk."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = images.picture(reference)
        if isinstance(result, Picture) and all(
            images.folder.variant(v.name).exists() for v in result.variants
        ):
            return True
        time.sleep(0.05)
    return False


def test_a_worker_prepares_the_images_of_every_article_then_of_new_ones(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "lead.jpg").write_bytes(jpeg((700, 500)))
    (media / "later.png").write_bytes(png((500, 400)))
    content.article("a.md", front="featuredimage: /media/lead.jpg")
    app = make_app(MEDIA_DIR=str(media))
    images = get_images(app)
    prepare_worker(app)
    preparer = app.extensions["blog.image_preparer"]
    try:
        assert all_made(images, "/media/lead.jpg")
        content.article("b.md", title="Later", body="![chart](/media/later.png)")
        get_library(app).refresh()
        assert all_made(images, "/media/later.png")
    finally:
        preparer.stop()
        preparer.thread.join(5)


def test_the_background_fetches_every_queued_picture_before_making_any_sizes(
    content: Content, make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    remote = RemoteSite()
    for n in range(3):
        remote.routes[f"/p{n}.jpg"] = reply(jpeg((640 + n, 480)))
        content.article(f"p{n}.md", front=f"featuredimage: {remote.url(f'/p{n}.jpg')}")
    app = make_app(IMAGE_FETCH_ALLOW_PRIVATE=True)
    images = get_images(app)
    calls: list[tuple[str, bool]] = []
    prepare = images.prepare

    def noting(reference: str, make: bool = True) -> Picture | NoPicture:
        calls.append((reference, make))
        return prepare(reference, make)

    images.prepare = noting  # type: ignore[method-assign]
    preparer = ImagePreparer(images, get_library(app).parts)
    with remote.running():
        preparer.submit_all(get_library(app).index().articles)
        preparer.start()
        try:
            deadline = time.monotonic() + 20
            while not (preparer.idle() and len(calls) == 6):
                assert time.monotonic() < deadline, calls
                time.sleep(0.05)
        finally:
            preparer.stop()
            preparer.thread.join(5)
    assert [make for _, make in calls] == [False] * 3 + [True] * 3
    assert all(all_made(images, remote.url(f"/p{n}.jpg"), 0.1) for n in range(3))
