"""What every template can use: the site's name, the sections, and (``i18n.py``) the
interface's language with dates in the site's time zone."""

from __future__ import annotations

from typing import Any

from flask import Flask

from blog.content.fields import slugify
from blog.web import i18n
from blog.web.cache import current_index
from blog.web.state import get_settings


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


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.add_template_filter(slugify)  # a byline's name → its author page's slug
    app.context_processor(site_context)
    app.add_template_filter(shorten)
