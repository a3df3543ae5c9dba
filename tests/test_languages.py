"""The interface in the articles' language (issue 14): SITE_LANGUAGE gives German, French or
Spanish dates from Babel's CLDR data, and English keeps the dates the site always had."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

from blog.settings import SettingsError
from tests.articles import Content
from tests.conftest import build_app, set_clock
from tests.html import parse, text_of

DATE = "2025-06-02T07:45:10.118Z"
ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


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


# The catalogues: complete, compiled, and what the pages show.

TRANSLATIONS = Path(__file__).resolve().parent.parent / "blog" / "translations"
TRANSLATED = ("de", "fr", "es")


def _extracted() -> set[str | tuple[str, str]]:
    """Every string the code and templates mark for translation, as ``make messages`` finds."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    root = TRANSLATIONS.parent.parent
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else tuple(message)[:2])  # type: ignore[arg-type]
    return found


@pytest.fixture(scope="module")
def extracted() -> set[str | tuple[str, str]]:
    return _extracted()


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_of_the_interface_is_translated(
    language: str, extracted: set[str | tuple[str, str]]
) -> None:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    messages = {m.id: m for m in catalog if m.id}
    assert extracted - set(messages) == set(), "run make messages and translate what is new"
    for message in messages.values():
        assert "fuzzy" not in message.flags, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(strings) == (catalog.num_plurals if isinstance(message.id, tuple) else 1)
        assert all(strings), message.id
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, (message.id, string)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_translations_as_written(language: str) -> None:
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    assert compiled.getvalue() == (folder / "messages.mo").read_bytes(), "run make messages"


PAGES = [
    "/",
    "/news/marrowby-film-festival-unveils-lineup/",
    "/category/science/",
    "/search?q=zzzz",
    "/archive/",
    "/nope/",
]


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_label_is_left_on_a_translated_page(language: str) -> None:
    """Each label the English pages show, the translated pages show translated, and never
    in English (labels whose translation is the same word are left out)."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    labels = {
        m.id: m.string
        for m in catalog
        if isinstance(m.id, str)
        and m.id
        and "%" not in m.id
        and "<" not in m.id
        and m.string != m.id
        and len(m.id) > 3
    }
    english = build_app(ROOT / "content", SITE_LANGUAGE="en").test_client()
    translated = build_app(ROOT / "content", SITE_LANGUAGE=language).test_client()
    checked = 0
    for url in PAGES:
        shown = _label_texts(english.get(url).data)
        there = _label_texts(translated.get(url).data)
        for source, target in labels.items():
            if source in shown:
                checked += 1
                assert target in there and source not in there, (url, source, target)
    assert checked >= 30


def _label_texts(page: bytes) -> set[str]:
    """The page's text pieces and the labels in its attributes (aria-label, placeholder)."""
    root = parse(page)
    texts = {" ".join(t.split()) for t in root.itertext() if t.strip()}
    for element in root.iter():
        for name in ("aria-label", "placeholder"):
            if element.get(name):
                texts.add(element.get(name))
    return texts
