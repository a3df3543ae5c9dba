"""Where articles name images: ``featuredimage``, and pictures in the sections and body
(Markdown ``![alt](url "title")``, reference-style ``![alt][label]`` with its
``[label]: url``, and pasted ``<img src=…>``), each as written, with the field it is in.

A reference is *local* (a site path, ``/static/…`` or ``/media/…``: a file of ours) or
*remote* (``http(s)://…``); anything else never reaches an ``src`` (the model and the
sanitizer refuse it) and is not an image here either. The patterns are bounded (no run of
text is read more than a few hundred characters past where it started), so a hostile field
costs linear time, like the render's own guards.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from blog.content.fields import image_url
from blog.content.models import Article

Kind = Literal["local", "remote"]

_INLINE = re.compile(r"!\[[^\]\n]{0,500}\]\(\s*(?:<([^<>\n]{1,2000})>|([^\s()<>]{1,2000}))")
_BY_LABEL = re.compile(r"!\[([^\]\n]{0,500})\](?:[ ]?\[([^\]\n]{0,200})\])?")
_DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]{1,200})\]:[ \t]*<?([^\s<>]{1,2000})>?", re.M)
_IMG = re.compile(
    r"<img\b[^<>]{0,2000}?\bsrc\s*=\s*(?:\"([^\"<>]{0,2000})\"|'([^'<>]{0,2000})'|([^\s\"'<>=`]{1,2000}))",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Use:
    """One image an article shows: the field it is in and its reference as written."""

    field: str  # "featuredimage", "mk1"…"mk5" or "body"
    reference: str


def kind(reference: str) -> Kind | None:
    """``local`` for a site path, ``remote`` for an http(s) URL, None for anything else."""
    url = image_url(reference)
    if url is None:
        return None
    return "local" if url.startswith("/") else "remote"


def references(markdown: str) -> list[str]:
    """The image references in one field's Markdown, in order, each once."""
    found: list[tuple[int, str]] = []
    for match in _INLINE.finditer(markdown):
        found.append((match.start(), match.group(1) or match.group(2)))
    definitions = {_label(m.group(1)): m.group(2) for m in _DEFINITION.finditer(markdown)}
    if definitions:
        for match in _BY_LABEL.finditer(markdown):
            if markdown.startswith("(", match.end()):
                continue  # an inline image, found above
            label = _label(match.group(2) or match.group(1))
            if label in definitions:
                found.append((match.start(), definitions[label]))
    for match in _IMG.finditer(markdown):
        src = next(g for g in match.groups() if g is not None)
        found.append((match.start(), html.unescape(src).strip()))
    ordered = (reference for _, reference in sorted(found, key=lambda item: item[0]))
    return [r for r in dict.fromkeys(ordered) if kind(r) is not None]


def uses(article: Article, parts: Iterable[tuple[str, str]]) -> list[Use]:
    """Every image ``article`` shows: its lead image, then those of its sections and body
    (``parts``: (field, Markdown), as ``Library.parts`` gives them)."""
    found = [Use("featuredimage", article.image)] if article.image else []
    for field, markdown in parts:
        found += [Use(field, reference) for reference in references(markdown)]
    return found


def _label(text: str) -> str:
    """A link label as Markdown matches them: case and runs of spaces do not matter."""
    return " ".join(text.lower().split())
