"""The sign-in through the site in Chromium, against the local OAuth provider
(tests/oauth_provider.py): Decap's own authenticator gets the token through the popup, and a
page of another origin that opens the same sign-in gets nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from tests.articles import Content, article_text
from tests.conftest import build_app
from tests.live import CHROMIUM, CHROMIUM_FLAGS
from tests.oauth_provider import CLIENT_ID, CLIENT_SECRET, Provider, oauth_provider
from tests.test_browser import require

pytestmark = pytest.mark.browser


@dataclass
class Signing:
    site: str
    provider: Provider


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signing]:
    """The site (in this process) signing in with "GitHub" at the local provider."""
    content = Content(tmp_path_factory.mktemp("oauth") / "content")
    content.root.mkdir()
    content.write("2025-06-01-a.md", article_text())
    with oauth_provider() as provider:
        app = build_app(
            content.root,
            DECAP_BACKEND="github",
            DECAP_REPO="harbour/content",
            DECAP_FORGE_URL=provider.url,
            DECAP_OAUTH_CLIENT_ID=CLIENT_ID,
            DECAP_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
            SECRET_KEY="s" * 32,
            TESTING=False,
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Signing(f"http://localhost:{server.server_port}", provider)
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def test_decap_signs_in_through_the_site_and_uses_the_token(signing: Signing, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(signing.site + "/admin/")
    with page.expect_popup() as popup:
        page.get_by_role("button", name="Login with GitHub").click()
    popup.value.wait_for_event("close", timeout=20_000)  # Decap closes it once it has the token
    deadline = time.monotonic() + 20
    while not signing.provider.api_calls and time.monotonic() < deadline:
        time.sleep(0.1)
    assert signing.provider.tokens, "no token was issued"
    token = signing.provider.tokens[-1]
    assert f"token {token}" in signing.provider.api_calls
    assert [m for m in messages if "Content Security Policy" in m] == []
    context.close()


def test_a_page_of_another_origin_gets_no_token(signing: Signing, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(signing.provider.url + "/elsewhere")  # another origin than the site's
    issued = len(signing.provider.tokens)
    page.evaluate(
        """(site) => {
            window.received = [];
            window.addEventListener('message', (e) => {
                window.received.push(String(e.data));
                e.source && e.source.postMessage('authorizing:github', '*');
            });
            window.popup = window.open(site + '/admin/auth?provider=github&site_id=x', 'auth');
            setInterval(() => {
                try { window.popup.postMessage('authorizing:github', '*'); } catch (e) {}
            }, 100);
        }""",
        signing.site,
    )
    deadline = time.monotonic() + 15
    while len(signing.provider.tokens) == issued and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(signing.provider.tokens) > issued  # the sign-in went through, in the popup
    time.sleep(2)  # time for any message to arrive
    received = page.evaluate("window.received")
    token = signing.provider.tokens[-1]
    assert not [m for m in received if token in m], received
    assert not [m for m in received if m.startswith("authorization:")], received
    context.close()
