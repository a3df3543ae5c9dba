"""One author profile file in, one frozen, validated ``Profile`` out.

Profiles live in ``content/authors/<slug>.md``: front matter ``name``, ``role``, ``photo``
(a site path or an http(s) URL, as ``featuredimage``), ``links`` (URLs, or ``{label, url}``
mappings) and a short bio, the Markdown below the front matter (or a ``bio:`` field). They
are not articles: the file's name is the author's slug, the one ``/author/<slug>/`` and the
bylines use. Read with the articles' own front-matter reader, so a profile has the same
quirks (a byte-order mark, CRLF) and its errors name the same file, line and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from blog.content import fields
from blog.content.fields import slugify
from blog.content.models import ArticleError, _decode, _split, field_lines
from blog.content.quirks import Problem


class ProfileError(ArticleError):
    """A profile file that cannot be read, with the place an editor must look."""


@dataclass(frozen=True, slots=True)
class ProfileLink:
    """One of an author's links: the words shown, and a scheme-checked URL."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Profile:
    """An author's profile, validated: what the author page and the bylines show."""

    path: str
    source_hash: str
    slug: str  # from the file's name: the author page it belongs to
    name: str  # as the profile writes it; empty: the bylines' spelling is shown
    role: str = ""
    photo: str | None = None
    links: tuple[ProfileLink, ...] = ()
    bio: str = ""  # Markdown, sanitized by the markup layer like any article text
    problems: tuple[Problem, ...] = ()


def profile_slug(path: str) -> str:
    """``authors/mira-okonjo.md`` → ``mira-okonjo``."""
    return slugify(PurePosixPath(path).stem)


def parse_profile(path: str, data: bytes, source_hash: str) -> Profile:
    """Parse one profile file's bytes; raise ``ProfileError`` with file, line and field."""
    try:
        text = _decode(path, data)
        meta, body, fm_text, first_line = _split(path, text)
    except ArticleError as e:
        raise ProfileError(e.path, e.line, e.field, e.message) from e
    lines = field_lines(fm_text, first_line)
    problems: list[Problem] = []

    def fail(key: str, message: str) -> ProfileError:
        return ProfileError(path, lines.get(key, 1), key, message)

    def warn(key: str, message: str) -> None:
        problems.append(Problem(lines.get(key, 1), key, message))

    slug = profile_slug(path)
    if not slug:
        raise ProfileError(path, 1, None, "the file name has no letter or digit to name an author")
    name = _text(meta, "name", fail)
    if name and slugify(name) != slug:
        warn(
            "name",
            f"{name!r} is not the author this file is named for: the profile shows on "
            f"/author/{slug}/, the page of bylines spelt like '{slug}'",
        )
    photo = fields.image_url(meta.get("photo"))
    if meta.get("photo") and photo is None:
        warn("photo", "not an http(s) URL or a site path; the photo is left out")
    links: list[ProfileLink] = []
    for n, item in enumerate(_link_items(meta.get("links"), fail), start=1):
        link = _link(item, fail)
        if link is None:
            warn("links", f"link {n} is not an http(s) or mailto: URL or a site path; left out")
        else:
            links.append(link)
    bio = "\n\n".join(part for part in (_bio_field(meta, fail), body.strip()) if part)
    return Profile(
        path=path,
        source_hash=source_hash,
        slug=slug,
        name=name,
        role=_text(meta, "role", fail),
        photo=photo,
        links=tuple(links),
        bio=fields.NOT_XML.sub("", bio),
        problems=tuple(problems),
    )


def _text(meta: Mapping[str, Any], key: str, fail: fields.Fail) -> str:
    """A one-line text field; a list or mapping where text belongs is an error."""
    value = meta.get(key)
    if isinstance(value, (list, dict)):
        raise fail(key, f"expected text, got a {type(value).__name__}")
    return fields.text(value)


def _bio_field(meta: Mapping[str, Any], fail: fields.Fail) -> str:
    value = meta.get("bio")
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise fail("bio", f"expected Markdown text, got a {type(value).__name__}")
    return str(value).strip()


def _link_items(value: object, fail: fields.Fail) -> list[object]:
    """``links:`` as a list: one URL, a list of URLs, or of ``{label, url}`` mappings."""
    if value is None or value == "":
        return []
    if isinstance(value, (str, dict)):
        return [value]
    if isinstance(value, list):
        return [item for item in value if item is not None]
    raise fail("links", f"expected a list of URLs, got {str(value)[:40]!r}")


def _link(item: object, fail: fields.Fail) -> ProfileLink | None:
    """One link, its URL scheme-checked (None: refused); its label the mapping's, else
    what the URL names (a host, an address)."""
    if isinstance(item, dict):
        if "url" not in item:
            raise fail(
                "links", "a link written as a mapping needs a 'url' (and may have a 'label')"
            )
        url, label = item.get("url"), item.get("label")
        if isinstance(url, (list, dict)) or isinstance(label, (list, dict)):
            raise fail("links", "a link's label and url must be text")
    elif isinstance(item, list):
        raise fail("links", "a link must be a URL or a mapping with a url, not a nested list")
    else:
        url, label = item, None
    checked = link_url(fields.text(url))
    if checked is None:
        return None
    return ProfileLink(fields.text(label) or _label_of(checked), checked)


def link_url(url: str) -> str | None:
    """An http(s) URL with a host, a ``mailto:`` address or a site path; None otherwise."""
    if not url or "\\" in url or any(ord(c) < 32 for c in url):
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    parts = urlsplit(url)
    if parts.scheme == "mailto" and parts.path:
        return url
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _label_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "mailto":
        return parts.path
    host = parts.hostname or url
    return host.removeprefix("www.")
