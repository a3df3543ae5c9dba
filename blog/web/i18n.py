"""The site's interface in the articles' language: labels, dates, numbers and plural forms.

Flask-Babel carries the translations (``blog/translations/<language>/LC_MESSAGES``, the
English strings being the source: ``make messages`` extracts and updates them) and Babel's
CLDR data the month names, date orders and plural rules, rather than a table of our own.
``SITE_LANGUAGE`` picks the language for the whole site: a newsroom publishes in one.

English keeps the dates the site always had (2 June 2025, 24-hour times): Babel's plain
``en`` is American, so English dates follow ``en_GB``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    format_timedelta,
    get_month_names,
)
from flask import Flask
from flask_babel import Babel

from blog.web.state import get_library, get_settings

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
RELATIVE_HOURS = 24  # a time this recent reads "3 hours ago"; older ones read as dates


def babel_locale(language: str) -> str:
    """``SITE_LANGUAGE`` (BCP 47: ``de``, ``de-AT``) as Babel names it (``de_AT``)."""
    return language.replace("-", "_")


def _date_locale() -> str:
    language = babel_locale(get_settings().SITE_LANGUAGE)
    return "en_GB" if language == "en" else language


def local_date(moment: dt.datetime) -> str:
    """A reader's date, in the site's time zone and language: 2 June 2025, 2. Juni 2025."""
    local = moment.astimezone(get_library().timezone)
    return format_date(local, "long", locale=_date_locale())


def local_datetime(moment: dt.datetime) -> str:
    """A reader's date and time, in the site's time zone: 2 June 2025, 07:45 UTC."""
    local = moment.astimezone(get_library().timezone)
    time = format_time(local, "HH:mm", locale=_date_locale())
    return f"{local_date(moment)}, {time} {local:%Z}"


def relative_time(moment: dt.datetime) -> str:
    """ "3 hours ago" for a time in the last day, else the date (news lists use both)."""
    age = get_library().clock() - moment
    if dt.timedelta(0) <= age < dt.timedelta(hours=RELATIVE_HOURS):
        return format_timedelta(-age, add_direction=True, locale=_date_locale())
    return local_date(moment)


def month_name(month: int) -> str:
    """A month's name on its own, in the site's language: March, März (``archive.html``)."""
    return str(get_month_names("wide", context="stand-alone", locale=_date_locale())[month])


def month_and_year(year: int, month: int) -> str:
    """A month of a year as a heading says it: March 2025, März 2025, marzo de 2025."""
    return format_skeleton("yMMMM", dt.date(year, month, 1), locale=_date_locale())


def init_app(app: Flask) -> None:
    """Translations and the date filters for the app's templates."""
    language = babel_locale(get_settings(app).SITE_LANGUAGE)
    Babel(
        app,
        locale_selector=lambda: language,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.add_template_filter(local_date)
    app.add_template_filter(local_datetime)
    app.add_template_filter(relative_time)
    app.add_template_filter(month_name)
