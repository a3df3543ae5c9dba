"""The interface in the articles' language (issue 14): SITE_LANGUAGE gives German, French or
Spanish dates from Babel's CLDR data, and English keeps the dates the site always had."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask

from blog.settings import SettingsError
from tests.articles import Content
from tests.conftest import set_clock
from tests.html import parse, text_of

DATE = "2025-06-02T07:45:10.118Z"


@pytest.mark.parametrize(
    ("language", "date", "moment"),
    [
        ("en", "2 June 2025", "2 June 2025, 07:45 UTC"),
        ("de", "2. Juni 2025", "2. Juni 2025, 07:45 UTC"),
        ("fr", "2 juin 2025", "2 juin 2025, 07:45 UTC"),
        ("es", "2 de junio de 2025", "2 de junio de 2025, 07:45 UTC"),
    ],
)
def test_dates_are_written_in_the_sites_language(
    content: Content, make_app: Callable[..., Flask], language: str, date: str, moment: str
) -> None:
    content.article("2025-06-02-trams.md", title="Trams", date=DATE)
    client = make_app(SITE_LANGUAGE=language).test_client()
    article = parse(client.get("/news/trams/").data)
    times = [text_of(t) for t in article.iter("time")]
    assert moment in times
    home = parse(client.get("/").data)
    assert date in [text_of(t) for t in home.iter("time")]


@pytest.mark.parametrize(
    ("language", "hours", "expected"),
    [
        ("en", 3, "3 hours ago"),
        ("de", 3, "vor 3 Stunden"),
        ("fr", 3, "il y a 3 heures"),
        ("es", 3, "hace 3 horas"),
        ("en", 30, "1 June 2025"),
    ],
)
def test_recent_times_read_as_ago_and_older_ones_as_dates(
    make_app: Callable[..., Flask], language: str, hours: int, expected: str
) -> None:
    app = make_app(SITE_LANGUAGE=language)
    now = dt.datetime(2025, 6, 2, 12, tzinfo=dt.UTC)
    set_clock(app, now)
    with app.test_request_context():
        relative = app.jinja_env.filters["relative_time"]
        assert relative(now - dt.timedelta(hours=hours)) == expected


@pytest.mark.parametrize("language", ["xx-nowhere", "12", ""])
def test_a_language_babel_does_not_know_is_refused_at_start(
    make_app: Callable[..., Flask], language: str
) -> None:
    with pytest.raises(SettingsError, match="SITE_LANGUAGE"):
        make_app(SITE_LANGUAGE=language)
