"""The site as Decap's OAuth helper, against a local OAuth provider (tests/oauth_provider.py):
the authorization code flow, and each way it can fail ending in a clear message and no token."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.html import parse, text_of
from tests.live import free_port
from tests.oauth_provider import CLIENT_ID, CLIENT_SECRET, Provider, oauth_provider

SITE = "https://news.example"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oauth_provider() as running:
        yield running


def github_site(make_app: Callable[..., Flask], forge: str) -> FlaskClient:
    app = make_app(
        DECAP_BACKEND="github",
        DECAP_REPO="harbour/content",
        DECAP_FORGE_URL=forge,
        DECAP_OAUTH_CLIENT_ID=CLIENT_ID,
        DECAP_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
        SECRET_KEY="s" * 32,
        SITE_URL=SITE,
    )
    return app.test_client()


def start(client: FlaskClient) -> tuple[str, dict[str, str]]:
    """Decap's popup opens the helper: the forge's authorization URL and its query."""
    response = client.get("/admin/auth?provider=github&site_id=news.example&scope=repo")
    assert response.status_code == 302
    location = response.headers["Location"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    return location, query


def approve(location: str) -> dict[str, str]:
    """The editor approves on the forge: the code and state it sends back to the site."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(location, timeout=10)
    except urllib.error.HTTPError as e:
        assert e.code == 302
        back = e.headers["Location"]
    assert back.startswith(SITE + "/admin/callback?")
    return {key: values[0] for key, values in parse_qs(urlsplit(back).query).items()}


def result_of(response: TestResponse) -> dict[str, object]:
    """What the callback page hands the editor's window."""
    page = parse(response.data)
    block = next(e for e in page.iter() if e.get("id") == "oauth-result")
    result: dict[str, object] = json.loads(text_of(block))
    return result


def test_sign_in_gives_the_editors_window_a_token(
    make_app: Callable[..., Flask], provider: Provider
) -> None:
    client = github_site(make_app, provider.url)
    location, query = start(client)
    assert location.startswith(provider.url + "/login/oauth/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == SITE + "/admin/callback"
    assert query["scope"] == "repo"
    assert query["code_challenge_method"] == "S256"
    assert CLIENT_SECRET not in location
    back = approve(location)
    response = client.get("/admin/callback", query_string=back)
    assert response.status_code == 200
    result = result_of(response)
    assert result == {
        "provider": "github",
        "origin": SITE,  # the only window the page will talk to
        "status": "success",
        "content": {"token": provider.tokens[-1], "provider": "github"},
    }
    assert provider.token_requests[-1]["client_secret"] == CLIENT_SECRET
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cross-Origin-Opener-Policy"] == "unsafe-none"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert CLIENT_SECRET.encode() not in response.data


def test_the_callback_script_talks_only_to_the_sites_origin() -> None:
    """The page's script aims every message at the origin it was given, and answers only that
    origin's window: a page of another origin that opened the popup is sent nothing."""
    from blog import paths

    script = (paths.STATIC / "admin" / "oauth.js").read_text()
    posts = [line.strip() for line in script.splitlines() if "postMessage(" in line]
    assert posts and all(line.endswith(", result.origin);") for line in posts)
    assert "event.origin !== result.origin" in script
    assert '"*"' not in script


def test_a_state_that_does_not_match_gets_no_token(
    make_app: Callable[..., Flask], provider: Provider
) -> None:
    client = github_site(make_app, provider.url)
    location, _ = start(client)
    back = approve(location)
    asked = len(provider.token_requests)
    response = client.get("/admin/callback", query_string={**back, "state": "forged"})
    assert response.status_code == 400
    result = result_of(response)
    assert result["status"] == "error"
    assert "state mismatch" in str(result["content"])
    assert "state mismatch" in response.get_data(as_text=True)
    assert len(provider.token_requests) == asked  # the code was never traded


def test_a_callback_without_a_sign_in_started_here_gets_no_token(
    make_app: Callable[..., Flask], provider: Provider
) -> None:
    client = github_site(make_app, provider.url)
    response = client.get("/admin/callback?code=abc&state=xyz")
    assert response.status_code == 400
    assert result_of(response)["status"] == "error"


def test_a_wrong_code_says_what_the_forge_said(
    make_app: Callable[..., Flask], provider: Provider
) -> None:
    client = github_site(make_app, provider.url)
    location, _ = start(client)
    back = approve(location)
    response = client.get("/admin/callback", query_string={**back, "code": "not-the-code"})
    assert response.status_code == 400
    result = result_of(response)
    assert result["status"] == "error"
    assert "incorrect or expired" in str(result["content"])
    assert "token" not in result["content"]  # type: ignore[operator]


def test_an_editor_who_declines_is_told_so(
    make_app: Callable[..., Flask], provider: Provider
) -> None:
    client = github_site(make_app, provider.url)
    _, query = start(client)
    response = client.get(
        "/admin/callback",
        query_string={"error": "access_denied", "error_description": "The user denied it."},
    )
    assert response.status_code == 400
    assert "denied" in str(result_of(response)["content"])


def test_a_forge_that_is_down_is_a_clear_error(make_app: Callable[..., Flask]) -> None:
    with oauth_provider() as provider:
        client = github_site(make_app, provider.url)
        location, _ = start(client)
        back = approve(location)
    response = client.get("/admin/callback", query_string=back)  # the provider has stopped
    assert response.status_code == 400
    result = result_of(response)
    assert result["status"] == "error"
    assert "could not be reached" in str(result["content"])


def test_a_closed_port_is_a_clear_error_too(make_app: Callable[..., Flask]) -> None:
    client = github_site(make_app, f"http://127.0.0.1:{free_port()}")
    start(client)
    with client.session_transaction() as session:
        state = next(key for key in session if key.startswith("_state_forge_"))
    response = client.get(
        "/admin/callback", query_string={"code": "c", "state": state.removeprefix("_state_forge_")}
    )
    assert "could not be reached" in str(result_of(response)["content"])


def test_another_provider_is_refused(make_app: Callable[..., Flask], provider: Provider) -> None:
    client = github_site(make_app, provider.url)
    response = client.get("/admin/auth?provider=gitlab")
    assert response.status_code == 400
    assert result_of(response)["status"] == "error"
