"""A gunicorn worker's image thread (``prepare_worker``): every article's images are made
ready when the worker starts, and a new article's as soon as the library sees it, with no
reader asking."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from blog import prepare_worker
from blog.images.pictures import Images, Picture
from blog.web.state import get_images, get_library
from tests.articles import Content
from tests.image_files import jpeg, png


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
