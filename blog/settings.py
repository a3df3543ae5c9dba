"""Every setting once: its name, type, default and meaning, read and checked once at start.

The declaration is the ``Settings`` dataclass below: a field's annotation is its type, its
default is the default, and its ``help`` the one line the documentation shows
(docs/settings.md is tested against it). ``load`` reads the defaults, then ``FLASK_*``
environment variables, then a test's overrides, into one frozen, typed object the code
reads (``settings.PER_PAGE`` is an ``int``; nothing casts where a value is used). A
``FLASK_`` variable that names no setting, or a value of the wrong type, stops the start
with a message that names it and the nearest valid name, instead of being ignored.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError

PREFIX = "FLASK_"

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


class SettingsError(ValueError):
    """A setting the site cannot start with: unknown, or of the wrong type."""


def setting(default: Any, help: str) -> Any:
    """A field of ``Settings``: its default and its one-line meaning."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    """The site's settings, typed."""

    SITE_NAME: str = setting("The Harbour Courier", "The site's name: titles, feeds, cards.")
    SITE_DESCRIPTION: str = setting(
        "News from the harbour towns and the wider world.",
        "One sentence about the site: the home page's description and the feeds'.",
    )
    SITE_LANGUAGE: str = setting(
        "en",
        "The articles' language (BCP 47), for pages, feeds, dates and the interface (en, de, "
        "fr, es; another language gets its dates and English labels).",
    )
    SITE_URL: str = setting(
        "",
        "The public origin (https://news.example): absolute links, feeds, sitemaps; "
        "empty: taken from each request.",
    )
    SITE_LOGO: str = setting(
        "/static/images/logo.png", "The logo's path or URL (feeds, JSON-LD publisher)."
    )
    SITE_TIMEZONE: str = setting("UTC", "The time zone of dates written without one.")
    PROXY_FIX: int = setting(
        0,
        "How many proxies in front to trust for X-Forwarded-For, -Proto, -Host and -Port "
        "(0: none); never -Prefix.",
    )
    SCRIPT_NAME: str = setting(
        "",
        "The path the site is mounted under (/courier), which the proxy strips; empty: the "
        "root. The only source of the prefix: a request's is ignored.",
    )
    PROXY_SENDS_SECURITY_HEADERS: bool = setting(
        False, "The proxy in front adds the security headers, so the app leaves them out."
    )
    CONTENT_DIR: str = setting(
        "",
        "The folder of article files; empty: content/ beside app.py in a checkout, in the "
        "folder the site starts in when installed.",
    )
    CONTENT_CHECK_INTERVAL: float = setting(
        1.0, "Seconds between looks for changed files (0: on every request)."
    )
    MAX_ARTICLE_BYTES: int = setting(
        2 * 1024 * 1024, "A larger article file is refused (and its last good version kept)."
    )
    RENDER_BUDGET: float = setting(
        2.0,
        "Seconds an article's render may take before it is stopped and the article served as "
        "its last good version or plain text (0: no limit).",
    )
    STORE_DIR: str = setting(
        "",
        "The on-disk store (parsed articles, their text, the search index); empty: a "
        "per-user folder in the system's temporary folder; off: a temporary one.",
    )
    MEDIA_DIR: str = setting(
        "",
        "The folder of uploaded images, named /media/… in articles; empty: media/ in the "
        "static folder (also named /static/media/…).",
    )
    IMAGE_FETCH: bool = setting(
        True,
        "Fetch remote images (https://… in featuredimage and text) into the store and serve "
        "them from this site; off: pages link them where they are.",
    )
    IMAGE_FETCH_HOSTS: tuple[str, ...] = setting(
        (),
        "Hosts remote images are fetched from (a name, or *.example.org for its "
        "subdomains); empty: any public host.",
    )
    IMAGE_FETCH_ALLOW_PRIVATE: bool = setting(
        False,
        "Fetch from private, loopback and link-local addresses too (tests, an intranet); "
        "off on a public site.",
    )
    IMAGE_FETCH_TIMEOUT: float = setting(
        15.0, "Seconds one remote image may take: lookup, connection, redirects and body."
    )
    IMAGE_MAX_BYTES: int = setting(
        20 * 1024 * 1024,
        "A larger image file is refused (a remote one is stopped there, unread).",
    )
    IMAGE_MAX_PIXELS: int = setting(
        50_000_000,
        "An image of more pixels (width × height, read from its header) is refused "
        "before it is decoded.",
    )
    IMAGE_SVG: str = setting(
        "link",
        "SVG images are never turned into pixels: link (a plain link to them) or refuse "
        "(left out, reported by the check).",
    )
    IMAGE_VARIANT_WORKERS: int = setting(
        2, "Image sizes a process makes at once while readers wait for them."
    )
    IMAGE_VARIANT_STANDIN_WAIT: float = setting(
        0.5,
        "Seconds a reader waits for an image size being made before getting the nearest "
        "image of the picture on disk instead (another size, the original), kept by no cache.",
    )
    IMAGE_VARIANT_WAIT: float = setting(
        5.0,
        "Seconds a reader waits for an image size being made when nothing can stand in for "
        "it (a crop) before a 503 says: retry.",
    )
    IMAGES_DIR: str = setting(
        "",
        "The images folder (fetched originals, the sizes made, their records); empty: "
        "images/ in the store's folder. Hosts may share it.",
    )
    IMAGE_GROUP_READ: bool = setting(
        False,
        "Make the image sizes readable by the images folder's group (files 0640, folders "
        "0750), so a web server in that group serves them from disk; off: the site's user only.",
    )
    PER_PAGE: int = setting(20, "Articles per listing page and search results page.")
    FEED_ITEMS: int = setting(50, "Articles in each feed.")
    FEED_TTL: int = setting(15, "Minutes a feed reader may wait before polling again (RSS ttl).")
    SITEMAP_MAX_URLS: int = setting(50_000, "URLs per sitemap file before it is split.")
    EMBED_HOSTS: tuple[str, ...] = setting(
        ("www.youtube.com", "www.youtube-nocookie.com", "player.vimeo.com"),
        "Hosts whose video embeds (iframes) articles may carry (comma-separated or a JSON list).",
    )
    HTTP_MAX_AGE: int = setting(
        60, "Seconds browsers and caches may keep a page (never past the next publication)."
    )
    SHARED_MAX_AGE: int = setting(
        0,
        "Seconds shared caches (Varnish, nginx, a CDN) may keep a page, purged when it "
        "changes (s-maxage, Surrogate-Control, with Surrogate-Key and Cache-Tag); 0: as "
        "HTTP_MAX_AGE, no keys.",
    )
    PURGE_VARNISH_URL: str = setting(
        "", "Varnish to purge by surrogate key (deploy/varnish.vcl), http://127.0.0.1:6081."
    )
    PURGE_NGINX_URL: str = setting(
        "",
        "nginx's purge address (deploy/nginx-proxy.conf, cache-purge module), "
        "http://127.0.0.1:8089; needs SITE_URL.",
    )
    FASTLY_SERVICE_ID: str = setting("", "The Fastly service to purge by surrogate key.")
    FASTLY_API_TOKEN: str = setting("", "A Fastly API token allowed to purge that service.")
    FASTLY_API_URL: str = setting("https://api.fastly.com", "Fastly's API.")
    CLOUDFLARE_ZONE_ID: str = setting("", "The Cloudflare zone to purge by cache tag.")
    CLOUDFLARE_API_TOKEN: str = setting("", "A Cloudflare API token allowed to purge that zone.")
    CLOUDFLARE_API_URL: str = setting("https://api.cloudflare.com/client/v4", "Cloudflare's API.")
    PURGE_DELAY: float = setting(
        0.5,
        "Seconds between seeing a change and purging it: the workers and hosts that see it "
        "within this time leave the one purge to the first.",
    )
    WEBSUB_HUB: str = setting(
        "",
        "A WebSub hub: feeds name it, and it is told of each feed that changes; needs SITE_URL.",
    )
    CACHE_PER_PAGE: bool = setting(
        True,
        "Keep each cached page under the versions of what it shows; off: under the whole "
        "content version, so any edit renders every page again (for comparison).",
    )
    CACHE_TYPE: str = setting(
        "SimpleCache", "The response cache's backend: SimpleCache, RedisCache, NullCache."
    )
    CACHE_DEFAULT_TIMEOUT: int = setting(300, "Seconds a page stays in the response cache.")
    CACHE_THRESHOLD: int = setting(2000, "Pages the in-process cache holds at most.")
    CACHE_KEY_PREFIX: str = setting("courier:", "Prefix of the response cache's keys.")
    CACHE_REDIS_URL: str = setting(
        "redis://127.0.0.1:6379/0", "The Redis server of RedisCache, shared by every host."
    )
    DEPLOY_ID: str = setting(
        "", "Part of every cache key; empty: a fingerprint of the code, templates and static."
    )
    SECRET_KEY: str = setting("", "Signs preview links; empty: no preview links.")
    PREVIEW_HOURS: float = setting(72.0, "Hours a preview link stays valid.")
    WEBHOOK_SECRET: str = setting(
        "", "The forge's webhook secret; empty: the /-/hooks/git webhook is off."
    )
    DECAP_BACKEND: str = setting(
        "",
        "Where the editor in the browser (/admin/) commits: github, gitlab, gitea, or local "
        "(decap-server on this machine); empty: no /admin/.",
    )
    DECAP_REPO: str = setting(
        "", "The content repository on the forge (owner/name), for github, gitlab and gitea."
    )
    DECAP_BRANCH: str = setting("main", "The branch the editor reads and commits to.")
    DECAP_FORGE_URL: str = setting(
        "",
        "The forge's web address (https://gitea.example); empty: https://github.com or "
        "https://gitlab.com. Required for gitea.",
    )
    DECAP_LOCAL_URL: str = setting(
        "http://localhost:8081/api/v1", "decap-server's address, for DECAP_BACKEND=local."
    )
    DECAP_EDITORIAL_WORKFLOW: bool = setting(
        False,
        "Editors save drafts and send them for review before they publish (Decap's "
        "editorial workflow: a branch per article).",
    )
    DECAP_OAUTH_CLIENT_ID: str = setting(
        "", "The OAuth application's client id on the forge (github, gitlab, gitea)."
    )
    DECAP_OAUTH_CLIENT_SECRET: str = setting(
        "",
        "The OAuth application's client secret (github, gitlab): used by the site to sign "
        "editors in, never sent to a browser.",
    )
    CATEGORIES: tuple[str, ...] = setting(
        (), "The categories editors may use (the check warns of others); empty: any."
    )
    FEATURED_HOURS: float = setting(
        0.0,
        "Hours after its date that a featured article stays in the lead or top stories "
        "(0: until editors remove the flag).",
    )
    BREAKING_HOURS: float = setting(
        6.0, "Hours after its date that a breaking article's strip shows, without breaking_until."
    )
    TOP_STORIES: int = setting(4, "Stories in the home page's top stories, after the lead.")
    HOME_CATEGORY_ITEMS: int = setting(
        4, "Articles in each category's block on the home page (0: no category blocks)."
    )
    HOME_CATEGORIES: tuple[str, ...] = setting(
        (),
        "The categories with a block on the home page, in order; empty: CATEGORIES' order, "
        "or every category by size.",
    )
    LOG_LEVEL: str = setting("INFO", "The log level of the site's own messages.")


# Settings that may differ from host to host without changing a page: every other one is
# part of the response cache's keys (pages made with other settings are other pages).
HOST_SETTINGS = frozenset(
    {
        "CONTENT_DIR",
        "CONTENT_CHECK_INTERVAL",
        "STORE_DIR",
        "MEDIA_DIR",
        "IMAGE_FETCH_TIMEOUT",
        "IMAGE_VARIANT_WORKERS",
        "IMAGE_VARIANT_WAIT",
        "CACHE_TYPE",
        "CACHE_DEFAULT_TIMEOUT",
        "CACHE_THRESHOLD",
        "CACHE_KEY_PREFIX",
        "CACHE_REDIS_URL",
        "DEPLOY_ID",
        "SECRET_KEY",
        "WEBHOOK_SECRET",
        "DECAP_OAUTH_CLIENT_SECRET",
        "PURGE_VARNISH_URL",
        "PURGE_NGINX_URL",
        "FASTLY_SERVICE_ID",
        "FASTLY_API_TOKEN",
        "FASTLY_API_URL",
        "CLOUDFLARE_ZONE_ID",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFLARE_API_URL",
        "PURGE_DELAY",
        "LOG_LEVEL",
    }
)


def declared() -> Iterator[tuple[Field[Any], type | Any]]:
    """Each setting's field and its type, in declaration order."""
    hints = get_type_hints(Settings)
    for f in fields(Settings):
        yield f, hints[f.name]


def load(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    commands: frozenset[str] = frozenset(),
) -> tuple[Settings, dict[str, Any]]:
    """The settings from defaults, ``FLASK_*`` variables and ``overrides``, checked; and the
    Flask configuration keys given the same ways that are Flask's own (``TESTING``…).
    ``commands`` are the ``FLASK_*`` variables the ``flask`` command reads itself."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    flask_own: dict[str, Any] = {}
    known = {f.name: kind for f, kind in declared()}
    for key in sorted(k for k in environ if k.startswith(PREFIX)):
        name = key.removeprefix(PREFIX)
        if name in known:
            values[name] = _parse(key, environ[key], known[name])
        elif name in _flask_own():
            flask_own[name] = _json_or_text(environ[key])
        elif key not in commands:
            raise SettingsError(_unknown(key, [PREFIX + n for n in known]))
    for name, value in (overrides or {}).items():
        if name in known:
            values[name] = _coerce(name, value, known[name])
        elif name in _flask_own():
            flask_own[name] = value
        else:
            raise SettingsError(_unknown(name, list(known)))
    settings = replace(Settings(), **values)
    _check(settings)
    return settings, flask_own


def _flask_own() -> Mapping[str, Any]:
    """Flask's own configuration keys; Flask is imported only when a name is not a setting,
    so the check's hook reads the settings without it."""
    from flask import Flask

    return Flask.default_config


def _unknown(name: str, valid: list[str]) -> str:
    near = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]}?" if near else ""
    return f"{name}: no such setting{hint} (the settings: docs/settings.md)"


def _parse(key: str, text: str, kind: Any) -> Any:
    """A value from an environment variable's text, as ``kind``."""
    if kind is bool:
        word = text.strip().lower()
        if word in TRUE or word in FALSE:
            return word in TRUE
        raise SettingsError(f"{key}={text!r}: not a yes/no value (true, false, 1, 0, yes, no)")
    if kind == tuple[str, ...]:
        if text.strip().startswith("["):
            return _typed(key, _json_or_text(text), kind)
        return tuple(item.strip() for item in text.split(",") if item.strip())
    if kind is str:
        return text
    return _typed(key, _json_or_text(text), kind)


def _coerce(name: str, value: Any, kind: Any) -> Any:
    """``value`` as ``kind``, or a ``SettingsError`` naming the setting."""
    if isinstance(value, str) and kind is not str:
        return _parse(name, value, kind)
    return _typed(name, value, kind)


def _typed(name: str, value: Any, kind: Any) -> Any:
    """``value``, already decoded, as ``kind``."""
    if kind == tuple[str, ...] and isinstance(value, list | tuple):
        if all(isinstance(item, str) for item in value):
            return tuple(value)
    elif kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    elif kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif kind is bool and isinstance(value, bool):
        return value
    elif kind is str and isinstance(value, str):
        return value
    if kind is str and isinstance(value, Path):
        return str(value)
    if kind is bool and isinstance(value, int):
        return bool(value)
    wanted = "a list of names" if kind == tuple[str, ...] else getattr(kind, "__name__", kind)
    raise SettingsError(f"{name}={value!r}: not {wanted}")


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _check(settings: Settings) -> None:
    """What a type cannot say: values that must be positive, names that must exist."""
    for name in (
        "PER_PAGE",
        "FEED_ITEMS",
        "SITEMAP_MAX_URLS",
        "MAX_ARTICLE_BYTES",
        "IMAGE_MAX_BYTES",
        "IMAGE_MAX_PIXELS",
        "IMAGE_VARIANT_WORKERS",
    ):
        if getattr(settings, name) < 1:
            raise SettingsError(f"{name}={getattr(settings, name)}: must be at least 1")
    for name in (
        "CONTENT_CHECK_INTERVAL",
        "HTTP_MAX_AGE",
        "PROXY_FIX",
        "PREVIEW_HOURS",
        "RENDER_BUDGET",
        "FEATURED_HOURS",
        "BREAKING_HOURS",
        "TOP_STORIES",
        "HOME_CATEGORY_ITEMS",
        "IMAGE_VARIANT_WAIT",
        "IMAGE_VARIANT_STANDIN_WAIT",
        "SHARED_MAX_AGE",
        "PURGE_DELAY",
    ):
        if getattr(settings, name) < 0:
            raise SettingsError(f"{name}={getattr(settings, name)}: must not be negative")
    if settings.IMAGE_FETCH_TIMEOUT <= 0:
        raise SettingsError(f"IMAGE_FETCH_TIMEOUT={settings.IMAGE_FETCH_TIMEOUT}: must be positive")
    if settings.IMAGE_SVG not in ("link", "refuse"):
        raise SettingsError(f"IMAGE_SVG={settings.IMAGE_SVG!r}: link or refuse")
    for host in settings.IMAGE_FETCH_HOSTS:
        if not host or any(c in host for c in "/:@ ") or "*" in host.removeprefix("*."):
            raise SettingsError(
                f"IMAGE_FETCH_HOSTS: {host!r} is not a host name (cdn.example.org, *.example.org)"
            )
    _check_purging(settings)
    name = settings.SCRIPT_NAME
    if name and (not name.startswith("/") or name.startswith("//") or name.endswith("/")):
        raise SettingsError(f"SCRIPT_NAME={name!r}: a path like /courier, or empty")
    if settings.LOG_LEVEL.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"LOG_LEVEL={settings.LOG_LEVEL!r}: DEBUG, INFO, WARNING or ERROR")
    _check_decap(settings)
    try:
        Locale.parse(settings.SITE_LANGUAGE.replace("-", "_"))
    except (ValueError, UnknownLocaleError) as e:
        raise SettingsError(
            f"SITE_LANGUAGE={settings.SITE_LANGUAGE!r}: not a language (en, de, fr, es, …)"
        ) from e
    try:
        ZoneInfo(settings.SITE_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise SettingsError(f"SITE_TIMEZONE={settings.SITE_TIMEZONE!r}: no such time zone") from e


DECAP_BACKENDS = ("github", "gitlab", "gitea", "local")


def _check_decap(settings: Settings) -> None:
    """The editor in the browser: a known backend, with what it cannot sign in without."""
    backend = settings.DECAP_BACKEND
    if not backend:
        return
    if backend not in DECAP_BACKENDS:
        raise SettingsError(
            f"DECAP_BACKEND={backend!r}: one of {', '.join(DECAP_BACKENDS)}, or empty (no /admin/)"
        )
    for name in ("DECAP_FORGE_URL", "DECAP_LOCAL_URL"):
        url = getattr(settings, name)
        if url and not (url.startswith(("https://", "http://")) and "//" not in url[8:]):
            raise SettingsError(f"{name}={url!r}: an http(s) address, like https://gitea.example")
    if backend == "local":
        if not settings.DECAP_LOCAL_URL:
            raise SettingsError("DECAP_BACKEND=local needs DECAP_LOCAL_URL (decap-server)")
        return
    needed = ["DECAP_REPO", "DECAP_OAUTH_CLIENT_ID"]
    if backend == "gitea":
        needed.append("DECAP_FORGE_URL")  # no public Gitea to default to
    else:  # the site exchanges the code for a token: it needs the secret, and a session
        needed += ["DECAP_OAUTH_CLIENT_SECRET", "SECRET_KEY"]
    missing = [name for name in needed if not getattr(settings, name)]
    if missing:
        raise SettingsError(f"DECAP_BACKEND={backend} needs {', '.join(missing)}")
    if settings.DECAP_REPO.count("/") < 1 or " " in settings.DECAP_REPO:
        raise SettingsError(f"DECAP_REPO={settings.DECAP_REPO!r}: owner/name")


def _check_purging(settings: Settings) -> None:
    """Purge targets and the hub are URLs; those that name pages need the site's own."""
    for name in (
        "PURGE_VARNISH_URL",
        "PURGE_NGINX_URL",
        "FASTLY_API_URL",
        "CLOUDFLARE_API_URL",
        "WEBSUB_HUB",
    ):
        value = getattr(settings, name)
        if value and not value.startswith(("http://", "https://")):
            raise SettingsError(f"{name}={value!r}: an http:// or https:// URL, or empty")
    for name in ("PURGE_NGINX_URL", "WEBSUB_HUB"):
        if getattr(settings, name) and not settings.SITE_URL:
            raise SettingsError(
                f"{name} needs SITE_URL: it names pages by their public URL, which "
                "a worker cannot take from a request"
            )
    for service, token in (
        ("FASTLY_SERVICE_ID", "FASTLY_API_TOKEN"),
        ("CLOUDFLARE_ZONE_ID", "CLOUDFLARE_API_TOKEN"),
    ):
        if bool(getattr(settings, service)) != bool(getattr(settings, token)):
            raise SettingsError(f"{service} and {token}: set both, or neither")


def documentation_table() -> str:
    """The Markdown table of every setting, as docs/settings.md shows it."""
    rows = ["| Setting | Type | Default | Meaning |", "|---|---|---|---|"]
    for f, kind in declared():
        shown = ", ".join(f.default) if isinstance(f.default, tuple) else str(f.default)
        type_name = "list" if kind == tuple[str, ...] else kind.__name__
        default = f"`{shown}`" if shown else "(empty)"
        rows.append(f"| `{f.name}` | {type_name} | {default} | {f.metadata['help']} |")
    return "\n".join(rows) + "\n"


def as_config(settings: Settings) -> dict[str, Any]:
    """The settings as Flask configuration keys (flask-caching and Flask read theirs there)."""
    return {f.name: getattr(settings, f.name) for f in fields(settings)}
