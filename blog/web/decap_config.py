"""Decap CMS's configuration, made from the site's settings so the editor writes what the site
reads: ``/admin/config.yml`` (``admin.py`` serves it).

One folder collection over the content folder, file names ``YYYY-MM-DD-slug.md``, the
fields of the editors' format (docs/editors.md) in its order and with its spellings (the
date as Decap writes it, UTC with milliseconds; ``deals`` as ``Yes``/``No``; the sections as
Markdown), then every other field the site knows, each optional as the site treats it. The
folders are paths inside the content repository, found from ``CONTENT_DIR`` and
``MEDIA_DIR``, which are in a clone of it (or, with ``local``, the working tree itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from blog import paths
from blog.content.models import KNOWN_KEYS, SECTION_KEYS
from blog.settings import Settings

COLLECTION = "articles"
#: How Decap's date widget stores a moment: as the editors' files have it (UTC, milliseconds).
DATE_FORMAT = "YYYY-MM-DDTHH:mm:ss.SSS[Z]"
FORGES = {"github": "https://github.com", "gitlab": "https://gitlab.com"}
#: Where the site's OAuth helper is, below the site's root (``oauth.py``).
AUTH_ENDPOINT = "admin/auth"


def _optional(field: dict[str, Any]) -> dict[str, Any]:
    return {**field, "required": False}


def _date(name: str, label: str, hint: str = "", required: bool = False) -> dict[str, Any]:
    field = {
        "label": label,
        "name": name,
        "widget": "datetime",
        "format": DATE_FORMAT,
        "picker_utc": True,
        "required": required,
    }
    if required:  # a new article's date is the moment its form opens; the others start empty
        field["default"] = "{{now}}"
    if hint:
        field["hint"] = hint
    return field


def fields(settings: Settings) -> list[dict[str, Any]]:
    """The collection's fields, in the order of the editors' format, then the others."""
    if settings.CATEGORIES:
        category: dict[str, Any] = {"widget": "select", "options": list(settings.CATEGORIES)}
    else:
        category = {"widget": "string"}
    sections = [
        _optional(
            {
                "label": f"Section {key[2:]}",
                "name": key,
                "widget": "markdown",
                "hint": "Shown in order, before the main text; may be left empty.",
            }
        )
        for key in SECTION_KEYS
    ]
    declared = [
        {"label": "Title", "name": "title", "widget": "string"},
        _date("date", "Date", "Publication time (UTC); a future time schedules it.", True),
        _optional(
            {
                "label": "Featured image",
                "name": "featuredimage",
                "widget": "image",
                "choose_url": True,
            }
        ),
        _optional(
            {
                "label": "Image description (alt text)",
                "name": "featuredimage_alt",
                "widget": "string",
                "hint": "Read aloud to blind readers.",
            }
        ),
        _optional({"label": "Image caption", "name": "featuredimage_caption", "widget": "string"}),
        _optional({"label": "Image credit", "name": "featuredimage_credit", "widget": "string"}),
        _optional({"label": "Category", "name": "categoria", **category}),
        {
            "label": "Deals",
            "name": "deals",
            "widget": "select",
            "options": ["No", "Yes"],
            "default": "No",
            "hint": "Yes puts the article on the Deals page.",
        },
        _optional(
            {
                "label": "Tags",
                "name": "tags",
                "widget": "list",
                "hint": "Hashtags: #Energy #Cities",
            }
        ),
        _optional({"label": "Short description", "name": "short-description", "widget": "text"}),
        *sections,
        _optional({"label": "Main text", "name": "body", "widget": "markdown"}),
        _optional({"label": "Author", "name": "author", "widget": "list", "hint": "One or more."}),
        _optional({"label": "Featured", "name": "featured", "widget": "boolean"}),
        _optional(
            {
                "label": "Priority",
                "name": "priority",
                "widget": "number",
                "value_type": "int",
                "min": 0,
                "hint": "The highest featured story leads; featured alone counts as 1.",
            }
        ),
        _optional({"label": "Breaking", "name": "breaking", "widget": "boolean"}),
        _date("breaking_until", "Breaking until"),
        _date("pinned_until", "Pinned in its category until"),
        _date("updated", "Updated"),
        _optional({"label": "Draft (not published)", "name": "draft", "widget": "boolean"}),
        _optional(
            {
                "label": "Address (slug)",
                "name": "slug",
                "widget": "string",
                "hint": "Only to change the address the file name gives.",
            }
        ),
        _optional(
            {
                "label": "Old addresses (aliases)",
                "name": "aliases",
                "widget": "list",
            }
        ),
    ]
    return declared


def repository_top(folder: Path) -> Path | None:
    """The working tree holding ``folder`` (the nearest folder up with a ``.git``)."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def repository_paths(settings: Settings) -> tuple[str, str]:
    """The content folder and the media folder as paths inside the content repository."""
    content = Path(settings.CONTENT_DIR or paths.DEFAULT_CONTENT).resolve()
    media = (Path(settings.MEDIA_DIR) if settings.MEDIA_DIR else paths.STATIC / "media").resolve()
    top = repository_top(content)
    if top is None:  # not a clone: the usual layout of a content repository
        return "content", "static/media"
    folder = content.relative_to(top).as_posix()
    if media.is_relative_to(top):
        return folder or ".", media.relative_to(top).as_posix()
    return folder or ".", "static/media"


def public_folder(settings: Settings) -> str:
    """The site path uploaded images are named by in articles."""
    return "/media" if settings.MEDIA_DIR else "/static/media"


def api_root(settings: Settings) -> str:
    """The forge's API, as Decap's backend calls it from the browser."""
    forge = forge_url(settings)
    if settings.DECAP_BACKEND == "github":
        return "https://api.github.com" if forge == FORGES["github"] else forge + "/api/v3"
    if settings.DECAP_BACKEND == "gitlab":
        return forge + "/api/v4"
    return forge + "/api/v1"


def forge_url(settings: Settings) -> str:
    """The forge's web address."""
    return (settings.DECAP_FORGE_URL or FORGES.get(settings.DECAP_BACKEND, "")).rstrip("/")


def backend(settings: Settings, site_origin: str, site_root: str) -> dict[str, Any]:
    """Decap's ``backend`` section; ``site_origin`` and ``site_root`` locate the OAuth helper
    (the site's own origin and mount path)."""
    kind = settings.DECAP_BACKEND
    if kind == "local":
        return {
            "name": "proxy",
            "proxy_url": settings.DECAP_LOCAL_URL,
            "branch": settings.DECAP_BRANCH,
        }
    section: dict[str, Any] = {
        "name": kind,
        "repo": settings.DECAP_REPO,
        "branch": settings.DECAP_BRANCH,
        "api_root": api_root(settings),
    }
    if kind == "gitea":
        # Decap signs in to Gitea itself (OAuth with PKCE, a public client: no secret).
        section.update(base_url=forge_url(settings), app_id=settings.DECAP_OAUTH_CLIENT_ID)
    else:
        # The popup goes to the site's helper (oauth.py), which keeps the secret.
        endpoint = f"{site_root.strip('/')}/{AUTH_ENDPOINT}".lstrip("/")
        section.update(base_url=site_origin, auth_endpoint=endpoint)
    return section


def config(settings: Settings, site_origin: str, site_root: str = "") -> dict[str, Any]:
    """The whole of ``config.yml``."""
    folder, media_folder = repository_paths(settings)
    result: dict[str, Any] = {"backend": backend(settings, site_origin, site_root)}
    if settings.DECAP_BACKEND == "local":
        result["local_backend"] = {"url": settings.DECAP_LOCAL_URL}
    if settings.DECAP_EDITORIAL_WORKFLOW:
        result["publish_mode"] = "editorial_workflow"
    result.update(
        site_url=settings.SITE_URL or site_origin + site_root,
        media_folder=media_folder,
        public_folder=public_folder(settings),
        locale="en",
        collections=[
            {
                "name": COLLECTION,
                "label": "Articles",
                "label_singular": "Article",
                "folder": folder,
                "extension": "md",
                "format": "yaml-frontmatter",
                "create": True,
                "slug": "{{year}}-{{month}}-{{day}}-{{slug}}",
                "summary": "{{title}} ({{year}}-{{month}}-{{day}})",
                "sortable_fields": [
                    {"field": "date", "label": "Date", "default_sort": "desc"},  # newest first
                    "title",
                    "categoria",
                ],
                "fields": fields(settings),
            }
        ],
    )
    return result


def known_fields() -> frozenset[str]:
    """Every front-matter field the site reads (a test keeps the form in step with it)."""
    return KNOWN_KEYS | {"body"}


def connect_sources(settings: Settings) -> list[str]:
    """The origins Decap's script talks to, besides the site: the forge's API (and, for
    Gitea's sign-in, the forge itself), or decap-server."""
    if settings.DECAP_BACKEND == "local":
        urls = [settings.DECAP_LOCAL_URL]
    elif settings.DECAP_BACKEND == "gitea":
        urls = [forge_url(settings)]
    else:
        urls = [api_root(settings)]
    origins = []
    for url in urls:
        parts = urlsplit(url)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))
