"""The archive: a page per year and per month that has articles, and ``/archive/``, every
month with its count. Months are the site's time zone's (``content/archive.py``).

Years and months are ``int`` converters of fixed width (``/2025/``, ``/2025/03/``), so no
other page's path can match them; a period that cannot exist, or has no articles, is a 404.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as HTTPResponse

from blog.content import archive, keys
from blog.content.archive import Month, Period
from blog.web import meta
from blog.web.cache import cached_page, current_index
from blog.web.i18n import month_and_year
from blog.web.pages import _listing, render_page
from blog.web.pagination import paginate
from blog.web.shown import shows
from blog.web.state import get_library, get_settings
from blog.web.urls import external_url

bp = Blueprint("archive", __name__)


@dataclass(frozen=True)
class PeriodLink:
    """A neighbouring period, as the page links it."""

    name: str
    endpoint: str
    values: dict[str, int]


def period_name(period: Period) -> str:
    """``March 2025`` (in the site's language), or ``2025``."""
    if period.month is None:
        return str(period.year)
    return month_and_year(period.year, period.month)


def period_target(period: Period) -> tuple[str, dict[str, int]]:
    """The endpoint and values of a period's page."""
    if period.month is None:
        return "archive.year", {"year": period.year}
    return "archive.month", {"year": period.year, "month": period.month}


def _link(period: Period | None) -> PeriodLink | None:
    return PeriodLink(period_name(period), *period_target(period)) if period else None


def _period_page(year: int, month: int | None, number: int) -> HTTPResponse:
    period = Period.of(year, month)
    if period is None:
        abort(404)
    index = current_index()
    tz = get_library().timezone
    shows(keys.ALL)  # its articles, its months and its neighbours are the published ones'
    articles = archive.in_period(index.articles, period, tz)
    if not articles:
        abort(404)
    endpoint, values = period_target(period)
    page = paginate(articles, number, endpoint, **values)
    older, newer = archive.neighbours(index.articles, period, tz)
    name = period_name(period)
    months = list(archive.months(articles, tz)) if month is None else []
    return _listing(
        "archive.html",
        page,
        name,
        ngettext(
            "%(num)s article published in %(period)s on %(site)s.",
            "%(num)s articles published in %(period)s on %(site)s.",
            len(articles),
            period=name,
            site=get_settings().SITE_NAME,
        ),
        meta.site_feeds(),
        follow=[],
        period=period,
        heading=name,
        total=len(articles),
        months=months,
        older=_link(older),
        newer=_link(newer),
    )


@bp.route("/<int(fixed_digits=4):year>/", defaults={"number": 1}, endpoint="year")
@bp.route("/<int(fixed_digits=4):year>/page/<int:number>/", endpoint="year")
@cached_page
def year(year: int, number: int) -> HTTPResponse:
    """A year's articles, newest first, with its months."""
    return _period_page(year, None, number)


@bp.route(
    "/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/",
    defaults={"number": 1},
    endpoint="month",
)
@bp.route(
    "/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/page/<int:number>/",
    endpoint="month",
)
@cached_page
def month(year: int, month: int, number: int) -> HTTPResponse:
    """A month's articles, newest first."""
    return _period_page(year, month, number)


def years_of(months: list[Month]) -> list[tuple[int, int, list[Month]]]:
    """(year, its count, its months) for every year that has articles, newest first."""
    grouped = itertools.groupby(months, key=lambda m: m.year)
    years = [(y, list(ms)) for y, ms in grouped]
    return [(y, sum(m.count for m in ms), ms) for y, ms in years]


@bp.route("/archive/", endpoint="index")
@cached_page
def archive_index() -> HTTPResponse:
    """Every month that has articles, with its count, grouped by year."""
    index = current_index()
    shows(keys.ALL)
    months = list(archive.months(index.articles, get_library().timezone))
    entries = [
        (period_name(m.period), external_url("archive.month", year=m.year, month=m.month))
        for m in months
    ]
    page_meta = meta.listing_meta(
        _("Archive"),
        _("Every month of %(site)s, with its number of articles.", site=get_settings().SITE_NAME),
        external_url("archive.index"),
        entries,
        meta.image_url(None),
        meta.site_feeds(),
    )
    return render_page(
        "archives.html",
        index.last_modified,
        years=years_of(months),
        meta=page_meta,
    )
