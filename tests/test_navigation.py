"""The site's navigation: the current section marked ``aria-current="page"``."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.articles import Content
from tests.conftest import build_app
from tests.html import elements, parse, text_of


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    content = Content(tmp_path_factory.mktemp("nav"))
    content.article("trams.md", title="Trams", front='categoria: Technology\ntags:\n  - "#AI"')
    content.article("bank.md", title="Bank", front="categoria: Business\ndeals: Yes")
    content.article("loose.md", title="Loose Story")
    return build_app(content.root).test_client()


def current_sections(client: FlaskClient, url: str) -> list[str]:
    """The header navigation's links marked as the current page, by their text."""
    response = client.get(url)
    assert response.status_code == 200, url
    nav = parse(response.data).find(".//header").find(".//nav")
    return [text_of(a) for a in elements(nav, "a") if a.get("aria-current") == "page"]


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/category/technology/", ["Technology"]),
        ("/category/business/", ["Business"]),
        ("/news/trams/", ["Technology"]),  # an article: its category
        ("/news/bank/", ["Business"]),
        ("/deals/", ["Deals"]),
        ("/news/loose/", []),  # no category
        ("/", []),
        ("/tag/ai/", []),
        ("/archive/", []),
    ],
)
def test_the_current_section_is_marked_in_the_navigation(
    reader: FlaskClient, url: str, current: list[str]
) -> None:
    assert current_sections(reader, url) == current


def test_the_footer_marks_nothing_current(reader: FlaskClient) -> None:
    footer = parse(reader.get("/category/technology/").data).find(".//footer")
    assert [a for a in elements(footer, "a") if a.get("aria-current")] == []
