"""The images' rules and folders from the site's settings, in one place for the site
(``blog/web/site.py``) and for the pre-commit hook (``blog/editor/hook.py``), which judges
pictures as the site does without importing Flask, nor ``blog.settings`` (which may)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from blog import paths
from blog.images.fetch import FetchRules
from blog.images.models import ImageRules


class ImageSettings(Protocol):
    """The settings the images depend on (``blog.settings.Settings`` has them, read-only,
    under their own upper-case names)."""

    @property
    def MEDIA_DIR(self) -> str: ...
    @property
    def IMAGE_FETCH(self) -> bool: ...
    @property
    def IMAGE_FETCH_HOSTS(self) -> tuple[str, ...]: ...
    @property
    def IMAGE_FETCH_ALLOW_PRIVATE(self) -> bool: ...
    @property
    def IMAGE_FETCH_TIMEOUT(self) -> float: ...
    @property
    def IMAGE_MAX_BYTES(self) -> int: ...
    @property
    def IMAGE_MAX_PIXELS(self) -> int: ...
    @property
    def IMAGE_SVG(self) -> str: ...
    @property
    def IMAGE_VARIANT_WORKERS(self) -> int: ...
    @property
    def IMAGE_VARIANT_WAIT(self) -> float: ...
    @property
    def IMAGE_VARIANT_STANDIN_WAIT(self) -> float: ...
    @property
    def IMAGE_GROUP_READ(self) -> bool: ...


def media_roots(settings: ImageSettings) -> dict[str, Path]:
    """The folders site paths of local images name: ``/static/…`` and ``/media/…``."""
    media = Path(settings.MEDIA_DIR) if settings.MEDIA_DIR else paths.STATIC / "media"
    return {"/static/": paths.STATIC, "/media/": media}


def image_rules(settings: ImageSettings) -> ImageRules:
    """What the images layer may do, from the ``IMAGE_*`` settings."""
    return ImageRules(
        fetch=settings.IMAGE_FETCH,
        fetch_rules=FetchRules(
            hosts=settings.IMAGE_FETCH_HOSTS,
            allow_private=settings.IMAGE_FETCH_ALLOW_PRIVATE,
            max_bytes=settings.IMAGE_MAX_BYTES,
            timeout=settings.IMAGE_FETCH_TIMEOUT,
        ),
        max_pixels=settings.IMAGE_MAX_PIXELS,
        svg="refuse" if settings.IMAGE_SVG == "refuse" else "link",
        workers=settings.IMAGE_VARIANT_WORKERS,
        wait=settings.IMAGE_VARIANT_WAIT,
        standin_wait=settings.IMAGE_VARIANT_STANDIN_WAIT,
        group_read=settings.IMAGE_GROUP_READ,
    )
