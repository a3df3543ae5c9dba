"""Settings: defaults in code, overridden by FLASK_* environment variables, then test config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from blog import create_app, get_library
from blog.editor.cli import environment_names
from blog.settings import Settings, SettingsError, documentation_table, load
from blog.web.site import code_fingerprint
from blog.web.state import get_settings
from tests.articles import Content


@pytest.mark.filterwarnings("ignore:Flask-Caching")
def test_environment_overrides_defaults(content: Content, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_CONTENT_DIR", str(content.root))
    monkeypatch.setenv("FLASK_CONTENT_CHECK_INTERVAL", "2.5")
    monkeypatch.setenv("FLASK_SITE_TIMEZONE", "Europe/Madrid")
    monkeypatch.setenv("FLASK_CACHE_TYPE", "NullCache")
    monkeypatch.setenv("FLASK_PER_PAGE", "7")
    monkeypatch.setenv("FLASK_EMBED_HOSTS", "video.example, player.example")
    app = create_app()
    settings = get_settings(app)
    assert settings.CONTENT_CHECK_INTERVAL == 2.5
    assert settings.PER_PAGE == 7
    assert app.config["CACHE_TYPE"] == "NullCache"  # flask-caching reads it there
    assert settings.EMBED_HOSTS == ("video.example", "player.example")
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
    assert get_settings(app).PER_PAGE == 3


def test_deploy_id_defaults_to_a_code_fingerprint(content: Content) -> None:
    first = create_app({"CONTENT_DIR": str(content.root)}).config["DEPLOY_ID"]
    second = create_app({"CONTENT_DIR": str(content.root)}).config["DEPLOY_ID"]
    assert first == second and len(first) == 12
    assert (
        create_app({"CONTENT_DIR": str(content.root), "DEPLOY_ID": "v2"}).config["DEPLOY_ID"]
        == "v2"
    )


@pytest.mark.parametrize(
    ("variable", "named"),
    [
        ("FLASK_PER_PAGES", "did you mean FLASK_PER_PAGE?"),
        ("FLASK_SITE_TIMEZOME", "did you mean FLASK_SITE_TIMEZONE?"),
        ("FLASK_CACHE_REDIS", "did you mean FLASK_CACHE_REDIS_URL?"),
        ("FLASK_NOTHING_LIKE_IT", "FLASK_NOTHING_LIKE_IT: no such setting"),
    ],
)
def test_an_unknown_flask_variable_stops_the_start_naming_the_nearest(
    content: Content, monkeypatch: pytest.MonkeyPatch, variable: str, named: str
) -> None:
    monkeypatch.setenv(variable, "7")
    with pytest.raises(SettingsError, match=named.replace("?", r"\?")):
        create_app({"CONTENT_DIR": str(content.root)})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FLASK_PER_PAGE", "twenty", "FLASK_PER_PAGE='twenty': not int"),
        ("FLASK_PER_PAGE", "2.5", "FLASK_PER_PAGE=2.5: not int"),
        ("FLASK_CONTENT_CHECK_INTERVAL", "soon", "not float"),
        ("FLASK_PROXY_SENDS_SECURITY_HEADERS", "maybe", "not a yes/no value"),
        ("FLASK_EMBED_HOSTS", '["a.example", 3]', "not a list of names"),
        ("FLASK_PER_PAGE", "0", "PER_PAGE=0: must be at least 1"),
        ("FLASK_BREAKING_HOURS", "-1", "BREAKING_HOURS=-1.0: must not be negative"),
        ("FLASK_TOP_STORIES", "-2", "TOP_STORIES=-2: must not be negative"),
        ("FLASK_SITE_TIMEZONE", "Mars/Olympus", "no such time zone"),
        ("FLASK_IMAGE_SVG", "inline", "IMAGE_SVG='inline': link or refuse"),
        ("FLASK_IMAGE_FETCH_HOSTS", "https://cdn.example.org", "is not a host name"),
        ("FLASK_IMAGE_FETCH_HOSTS", "cdn.*.org", "is not a host name"),
        ("FLASK_IMAGE_FETCH_TIMEOUT", "0", "IMAGE_FETCH_TIMEOUT=0.0: must be positive"),
        ("FLASK_IMAGE_VARIANT_WORKERS", "0", "IMAGE_VARIANT_WORKERS=0: must be at least 1"),
    ],
)
def test_a_value_of_the_wrong_type_stops_the_start(
    content: Content, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message.replace("[", r"\[")):
        create_app({"CONTENT_DIR": str(content.root)})


@pytest.mark.parametrize(
    ("text", "expected"),
    [("no", False), ("off", False), ("0", False), ("yes", True), ("True", True), ("1", True)],
)
def test_yes_no_words_are_read_as_booleans(text: str, expected: bool) -> None:
    settings, _ = load({"FLASK_PROXY_SENDS_SECURITY_HEADERS": text})
    assert settings.PROXY_SENDS_SECURITY_HEADERS is expected


def test_flask_own_variables_are_not_mistaken_for_settings() -> None:
    environ = {
        "FLASK_APP": "app",
        "FLASK_DEBUG": "1",
        "FLASK_TESTING": "true",
        "FLASK_RUN_FROM_CLI": "true",  # set by the flask command itself
        "FLASK_RUN_PORT": "5001",  # click's own variables for the commands' options
        "FLASK_CONTENT_CHECK_FMT": "json",
        "FLASK_FREEZE_BASE_URL": "https://news.example",
    }
    settings, flask_own = load(environ, commands=environment_names())
    assert settings == Settings()
    assert flask_own == {"DEBUG": 1, "TESTING": True}  # as Flask reads them; APP is not config


def test_a_test_override_that_names_no_setting_is_refused() -> None:
    with pytest.raises(SettingsError, match="did you mean PER_PAGE"):
        load({}, {"PERPAGE": 3})


def test_settings_are_typed_where_they_are_read() -> None:
    settings, _ = load({"FLASK_PER_PAGE": "7", "FLASK_CATEGORIES": '["News", "Sport"]'})
    assert settings.PER_PAGE == 7 and isinstance(settings.PER_PAGE, int)
    assert settings.CATEGORIES == ("News", "Sport")


def test_the_settings_documentation_is_the_declaration() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    assert page.endswith(documentation_table())


def test_the_deploy_id_is_the_same_for_a_checkout_and_an_installed_layout(tmp_path: Path) -> None:
    """Installed, templates/ and static/ sit inside the package: each file counts once, under
    its own folder, so hosts deployed either way agree on the cache keys."""
    files = {"blog/app.py": "code", "templates/a.html": "<p>", "static/s.css": "p{}"}
    for layout, where in (("checkout", "{}"), ("installed", "blog/{}")):
        for name, text in files.items():
            folder, _, rest = name.partition("/")
            target = tmp_path / layout / (name if folder == "blog" else where.format(name))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
    checkout, installed = tmp_path / "checkout", tmp_path / "installed"
    first = code_fingerprint(
        {
            "blog": checkout / "blog",
            "templates": checkout / "templates",
            "static": checkout / "static",
        }
    )
    second = code_fingerprint(
        {
            "blog": installed / "blog",
            "templates": installed / "blog" / "templates",
            "static": installed / "blog" / "static",
        }
    )
    assert first == second
    (installed / "blog" / "static" / "s.css").write_text("p{color:red}")
    assert (
        code_fingerprint(
            {
                "blog": installed / "blog",
                "templates": installed / "blog" / "templates",
                "static": installed / "blog" / "static",
            }
        )
        != second
    )


@pytest.mark.parametrize(
    "command",
    [["content", "list"], ["content", "check"], ["routes"]],
    ids=lambda c: " ".join(c),
)
def test_the_flask_command_starts_with_its_own_variables_set(
    content: Content, tmp_path: Path, command: list[str]
) -> None:
    """``flask`` sets FLASK_RUN_FROM_CLI for the app it loads: the settings must take it."""
    content.article("2025-01-01-story.md", title="A Story")
    environ = {
        **os.environ,
        "FLASK_CONTENT_DIR": str(content.root),
        "FLASK_STORE_DIR": "off",
        "FLASK_CONTENT_CHECK_FMT": "text",
    }
    flask = Path(sys.executable).parent / "flask"
    result = subprocess.run(
        [str(flask), "--app", "app", *command],
        cwd=Path(__file__).resolve().parent.parent,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SettingsError" not in result.stderr
