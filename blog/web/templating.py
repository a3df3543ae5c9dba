"""What every template can use: the site's name, the sections, and (``i18n.py``) the
interface's language with dates in the site's time zone."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import FileSystemBytecodeCache
from jinja2.bccache import Bucket

from blog.content.fields import slugify
from blog.web import i18n
from blog.web.cache import current_index
from blog.web.state import get_library, get_settings

log = logging.getLogger(__name__)


def site_context() -> dict[str, Any]:
    """What every template needs: the site's name, the categories for the header and the
    breaking news for the strip above every page."""
    settings = get_settings()
    index = current_index()
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "site_language": settings.SITE_LANGUAGE,
        "nav_categories": index.categories.values(),
        "breaking": index.flags.breaking,
    }


CARD_STANDFIRST = 160  # characters of a standfirst on a card, the ellipsis included
_TRAILING = " ,;:.-\u2013\u2014([{\u201c\u2018\"'"


def shorten(text: str, limit: int = CARD_STANDFIRST) -> str:
    """A card's standfirst: ``text`` cut at a word boundary to at most ``limit`` characters,
    an ellipsis included (a first word longer than that is cut where it must be)."""
    if len(text) <= limit:
        return text
    space = next((i for i in range(limit - 1, 0, -1) if text[i].isspace()), 0)
    kept = text[:space].rstrip(_TRAILING)
    return (kept or text[: limit - 1]) + "\u2026"


class TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept in the store's folder, so that a new process (a restarted
    worker, ``flask freeze``) does not compile every template again before its first page:
    about a quarter of a second of CPU. Jinja keys each by the template's name and checks
    its source, so an edited template is compiled again; a file that cannot be read or
    written (a full or damaged store) only means compiling, never a failed page."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # cut short or damaged: unpickling and unmarshalling raise anything
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as e:
            log.debug("compiled template not kept: %s", e)


def template_cache(folder: Path) -> TemplateCache | None:
    """The cache in ``folder``, made if need be; None when it cannot be."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return TemplateCache(str(folder))


def init_app(app: Flask) -> None:
    app.jinja_env.bytecode_cache = template_cache(get_library(app).store.path.parent / "templates")
    i18n.init_app(app)
    app.add_template_filter(slugify)  # a byline's name → its author page's slug
    app.context_processor(site_context)
    app.add_template_filter(shorten)
