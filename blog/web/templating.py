"""What every template can use: the site's name, the sections, and (``i18n.py``) the
interface's language with dates in the site's time zone."""

from __future__ import annotations

from typing import Any

from flask import Flask

from blog.web import i18n
from blog.web.cache import current_index
from blog.web.state import get_settings


def site_context() -> dict[str, Any]:
    """What every template needs: the site's name and the categories for the header."""
    settings = get_settings()
    return {
        "site_name": settings.SITE_NAME,
        "site_description": settings.SITE_DESCRIPTION,
        "site_language": settings.SITE_LANGUAGE,
        "nav_categories": current_index().categories.values(),
    }


def init_app(app: Flask) -> None:
    i18n.init_app(app)
    app.context_processor(site_context)
