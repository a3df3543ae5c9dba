"""What every template can use: dates in the site's time zone, the site's name, the sections."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from blog.web.cache import current_index
from blog.web.state import get_library, get_settings


def local_date(moment: dt.datetime) -> str:
    """A reader's date, in the site's time zone: 2 June 2025."""
    local = moment.astimezone(get_library().timezone)
    return f"{local.day} {local:%B %Y}"


def local_datetime(moment: dt.datetime) -> str:
    """A reader's date and time, in the site's time zone: 2 June 2025, 07:45 UTC."""
    local = moment.astimezone(get_library().timezone)
    return f"{local.day} {local:%B %Y, %H:%M %Z}"


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
    app.add_template_filter(local_date)
    app.add_template_filter(local_datetime)
    app.context_processor(site_context)
