"""Settings: defaults in code, overridden by FLASK_* environment variables, then test config."""

from __future__ import annotations

from pathlib import Path

import pytest

from blog import create_app, get_library
from tests.conftest import Content


@pytest.mark.filterwarnings("ignore:Flask-Caching")
def test_environment_overrides_defaults(content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_CONTENT_DIR", str(content.root))
    monkeypatch.setenv("FLASK_CONTENT_CHECK_INTERVAL", "2.5")
    monkeypatch.setenv("FLASK_SITE_TIMEZONE", "Europe/Madrid")
    monkeypatch.setenv("FLASK_CACHE_TYPE", "NullCache")
    monkeypatch.setenv("FLASK_PER_PAGE", "7")
    monkeypatch.setenv("FLASK_EMBED_HOSTS", "video.example, player.example")
    app = create_app()
    assert app.config["CONTENT_CHECK_INTERVAL"] == 2.5
    assert app.config["PER_PAGE"] == 7
    assert app.config["CACHE_TYPE"] == "NullCache"
    assert app.config["EMBED_HOSTS"] == ["video.example", "player.example"]
    library = get_library(app)
    assert library.root == Path(content.root)
    assert str(library.timezone) == "Europe/Madrid"
    assert library.check_interval == 2.5


def test_site_timezone_applies_to_naive_dates(content: Content, make_app) -> None:
    content.article("x.md", date="2025-08-02 14:15:00")
    article = get_library(make_app(SITE_TIMEZONE="Europe/Madrid")).index().by_slug["x"]
    assert article.date.isoformat() == "2025-08-02T12:15:00+00:00"


def test_test_config_wins_over_environment(
    content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_PER_PAGE", "7")
    app = create_app({"CONTENT_DIR": str(content.root), "PER_PAGE": 3})
    assert app.config["PER_PAGE"] == 3


def test_deploy_id_defaults_to_a_code_fingerprint(content: Content) -> None:
    first = create_app({"CONTENT_DIR": str(content.root)}).config["DEPLOY_ID"]
    second = create_app({"CONTENT_DIR": str(content.root)}).config["DEPLOY_ID"]
    assert first == second and len(first) == 12
    assert (
        create_app({"CONTENT_DIR": str(content.root), "DEPLOY_ID": "v2"}).config["DEPLOY_ID"]
        == "v2"
    )
