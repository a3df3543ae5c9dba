"""The editor in the browser at /admin/: off unless a backend is set, Decap's bundle from our
own origin, a configuration made from the settings, and a policy of its own."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from flask import Flask

from blog import paths
from blog.content.models import KNOWN_KEYS, SECTION_KEYS
from blog.settings import SettingsError, load
from blog.web import admin
from tests.articles import article_text
from tests.html import elements, parse

GITHUB = {
    "DECAP_BACKEND": "github",
    "DECAP_REPO": "harbour/courier-content",
    "DECAP_OAUTH_CLIENT_ID": "client-id",
    "DECAP_OAUTH_CLIENT_SECRET": "client-secret",
    "SECRET_KEY": "k" * 32,
}


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def config_of(app: Flask) -> dict[str, object]:
    response = app.test_client().get("/admin/config.yml")
    assert response.status_code == 200
    assert response.mimetype == "text/yaml"
    loaded: dict[str, object] = yaml.safe_load(response.get_data(as_text=True))
    return loaded


def form_fields(config: dict[str, object]) -> list[dict[str, object]]:
    collections = config["collections"]
    assert isinstance(collections, list) and len(collections) == 1
    fields: list[dict[str, object]] = collections[0]["fields"]
    return fields


@pytest.mark.parametrize("path", ["/admin/", "/admin/config.yml", "/admin/auth", "/admin"])
def test_admin_is_not_found_without_a_backend(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 404


def test_admin_page_loads_decap_from_our_own_origin(make_app: Callable[..., Flask]) -> None:
    response = make_app(DECAP_BACKEND="local").test_client().get("/admin/")
    assert response.status_code == 200
    sources = [s.get("src", "") for s in elements(parse(response.data), "script")]
    assert sources == ["/admin/decap-cms.js", "/static/admin/admin.js"]
    bundle = make_app(DECAP_BACKEND="local").test_client().get("/admin/decap-cms.js")
    assert bundle.status_code == 200
    assert bundle.data == (admin.dist_folder() / "decap-cms.js").read_bytes()


def test_decap_comes_pinned_from_the_lock_file() -> None:
    import json

    package = json.loads((paths.PACKAGE.parent / "package.json").read_text())
    lock = json.loads((paths.PACKAGE.parent / "package-lock.json").read_text())
    for name in ("decap-cms", "decap-server"):
        pinned = package["dependencies"][name]
        assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), name  # an exact version, not a range
        assert lock["packages"][f"node_modules/{name}"]["version"] == pinned


def test_a_missing_bundle_says_to_run_npm_ci(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(paths, "NODE_MODULES", tmp_path / "node_modules")
    response = make_app(DECAP_BACKEND="local").test_client().get("/admin/")
    assert response.status_code == 503
    assert "npm ci" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/admin/../app.py", "/admin/%2e%2e/package.json", "/admin/decap-cms.js.map"]
)
def test_only_the_bundles_files_are_served(make_app: Callable[..., Flask], path: str) -> None:
    assert make_app(DECAP_BACKEND="local").test_client().get(path).status_code == 404


def test_admin_has_its_own_policy_and_other_pages_keep_theirs(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(DECAP_BACKEND="local", DECAP_LOCAL_URL="http://127.0.0.1:8081/api/v1")
    client = client.test_client()
    editor = policy(client.get("/admin/").headers["Content-Security-Policy"])
    assert editor["script-src"] == ["'self'", "'unsafe-eval'", "'wasm-unsafe-eval'"]
    assert editor["connect-src"] == ["'self'", "blob:", "data:", "http://127.0.0.1:8081"]
    assert editor["frame-ancestors"] == ["'none'"]
    for path in ("/", "/search?q=tide", "/no-such-page/"):
        site = policy(client.get(path).headers["Content-Security-Policy"])
        assert site["script-src"] == ["'none'"], path
        assert not any("unsafe" in s for sources in site.values() for s in sources), path


def test_the_forms_fields_are_the_fields_the_site_reads(make_app: Callable[..., Flask]) -> None:
    fields = form_fields(config_of(make_app(DECAP_BACKEND="local")))
    names = [f["name"] for f in fields]
    assert set(names) == KNOWN_KEYS | {"body"}
    format_order = ["title", "date", "featuredimage", "categoria", "deals", "tags"]
    format_order += ["short-description", *SECTION_KEYS, "body"]
    assert [n for n in names if n in format_order] == format_order
    required = {f["name"] for f in fields if f.get("required", True)}
    assert required == {"title", "date", "deals"}  # what the site needs, and deals: No


def test_the_form_writes_the_formats_spellings(make_app: Callable[..., Flask]) -> None:
    fields = {f["name"]: f for f in form_fields(config_of(make_app(DECAP_BACKEND="local")))}
    assert fields["date"]["widget"] == "datetime"
    assert fields["date"]["format"] == "YYYY-MM-DDTHH:mm:ss.SSS[Z]"
    assert fields["date"]["picker_utc"] is True
    assert fields["deals"]["options"] == ["No", "Yes"]
    assert all(fields[key]["widget"] == "markdown" for key in (*SECTION_KEYS, "body"))
    assert fields["featuredimage"]["widget"] == "image"
    assert fields["categoria"]["widget"] == "string"


def test_categories_are_a_choice_when_the_site_lists_them(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(DECAP_BACKEND="local", CATEGORIES=["Business", "Technology"])
    fields = {f["name"]: f for f in form_fields(config_of(app))}
    assert fields["categoria"]["widget"] == "select"
    assert fields["categoria"]["options"] == ["Business", "Technology"]


def test_collection_is_the_content_folder_with_the_sites_file_names(
    tmp_path: Path, make_app: Callable[..., Flask]
) -> None:
    repository = tmp_path / "newsroom"
    (repository / "articles").mkdir(parents=True)
    (repository / "pictures").mkdir()
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    (repository / "articles" / "2025-06-02-a.md").write_text(article_text())
    from tests.conftest import build_app

    app = build_app(
        repository / "articles", DECAP_BACKEND="local", MEDIA_DIR=str(repository / "pictures")
    )
    config = config_of(app)
    collection = config["collections"][0]  # type: ignore[index]
    assert collection["folder"] == "articles"
    assert collection["slug"] == "{{year}}-{{month}}-{{day}}-{{slug}}"
    assert collection["extension"] == "md"
    assert config["media_folder"] == "pictures"
    assert config["public_folder"] == "/media"


def test_local_backend_points_at_decap_server(make_app: Callable[..., Flask]) -> None:
    config = config_of(make_app(DECAP_BACKEND="local", DECAP_BRANCH="trunk"))
    assert config["local_backend"] == {"url": "http://localhost:8081/api/v1"}
    assert config["backend"] == {
        "name": "proxy",
        "proxy_url": "http://localhost:8081/api/v1",
        "branch": "trunk",
    }
    assert "publish_mode" not in config


def test_editorial_workflow_by_setting(make_app: Callable[..., Flask]) -> None:
    config = config_of(make_app(DECAP_BACKEND="local", DECAP_EDITORIAL_WORKFLOW=True))
    assert config["publish_mode"] == "editorial_workflow"


def test_github_signs_in_through_the_site(make_app: Callable[..., Flask]) -> None:
    app = make_app(**GITHUB, SITE_URL="https://news.example")
    config = config_of(app)
    assert config["backend"] == {
        "name": "github",
        "repo": "harbour/courier-content",
        "branch": "main",
        "api_root": "https://api.github.com",
        "base_url": "https://news.example",
        "auth_endpoint": "admin/auth",
    }
    assert "client-secret" not in app.test_client().get("/admin/config.yml").get_data(as_text=True)
    assert "client-secret" not in app.test_client().get("/admin/").get_data(as_text=True)
    csp = policy(app.test_client().get("/admin/").headers["Content-Security-Policy"])
    assert csp["connect-src"] == ["'self'", "blob:", "data:", "https://api.github.com"]


def test_gitlab_on_its_own_host(make_app: Callable[..., Flask]) -> None:
    settings = {**GITHUB, "DECAP_BACKEND": "gitlab", "DECAP_FORGE_URL": "https://git.example"}
    backend = config_of(make_app(**settings))["backend"]
    assert backend["name"] == "gitlab"  # type: ignore[index]
    assert backend["api_root"] == "https://git.example/api/v4"  # type: ignore[index]
    assert backend["auth_endpoint"] == "admin/auth"  # type: ignore[index]


def test_gitea_signs_in_by_itself_with_pkce(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        DECAP_BACKEND="gitea",
        DECAP_REPO="news/content",
        DECAP_FORGE_URL="https://gitea.example",
        DECAP_OAUTH_CLIENT_ID="gitea-app",
    )
    backend = config_of(app)["backend"]
    assert backend == {
        "name": "gitea",
        "repo": "news/content",
        "branch": "main",
        "api_root": "https://gitea.example/api/v1",
        "base_url": "https://gitea.example",
        "app_id": "gitea-app",
    }
    assert app.test_client().get("/admin/auth?provider=gitea").status_code == 404


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"DECAP_BACKEND": "bitbucket"}, "DECAP_BACKEND"),
        ({"DECAP_BACKEND": "github"}, "DECAP_REPO"),
        ({**GITHUB, "DECAP_OAUTH_CLIENT_SECRET": ""}, "DECAP_OAUTH_CLIENT_SECRET"),
        ({**GITHUB, "SECRET_KEY": ""}, "SECRET_KEY"),
        ({**GITHUB, "DECAP_BACKEND": "gitea"}, "DECAP_FORGE_URL"),
        ({**GITHUB, "DECAP_REPO": "courier"}, "owner/name"),
        ({"DECAP_BACKEND": "local", "DECAP_LOCAL_URL": "localhost:8081"}, "DECAP_LOCAL_URL"),
    ],
)
def test_a_backend_missing_what_it_needs_stops_the_start(
    settings: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingsError, match=named):
        load(environ={}, overrides=settings)


def test_uploaded_images_are_served_from_the_media_folder(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    media = tmp_path / "media"
    (media / "2025").mkdir(parents=True)
    (media / "2025" / "tram.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "secret.txt").write_text("outside")
    client = make_app(MEDIA_DIR=str(media)).test_client()
    response = client.get("/media/2025/tram.jpg")
    assert response.status_code == 200
    assert response.data.startswith(b"\xff\xd8")
    assert response.mimetype == "image/jpeg"
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    for path in ("/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/", "/media/none.jpg"):
        assert client.get(path).status_code == 404, path


def test_no_media_folder_no_media_urls(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/media/anything.jpg").status_code == 404


def test_every_admin_url_is_documented(make_app: Callable[..., Flask]) -> None:
    operators = (paths.PACKAGE.parent / "docs" / "operators.md").read_text()
    rules = [r.rule for r in make_app(DECAP_BACKEND="local").url_map.iter_rules()]
    admin_rules = [re.sub(r"<(?:\w+:)?filename>", "<path>", r) for r in rules if "/admin" in r]
    assert len(admin_rules) == 5
    assert [rule for rule in admin_rules if f"`{rule}`" not in operators] == []
