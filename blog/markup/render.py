"""Markdown → HTML → sanitized HTML: the only place editor text becomes markup.

Editors paste from word processors and widgets, so the Markdown carries raw HTML. It all goes
through one bleach allow-list; whatever is not on it is gone before a reader or a feed sees it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from html import unescape
from typing import Any
from urllib.parse import urljoin

import bleach
import markdown
from bleach.html5lib_shim import BleachHTMLParser, Filter  # type: ignore[attr-defined]
from markupsafe import Markup

# Kept importable from here, where the renderer's callers have always found them.
from blog.markup.allowlist import (  # noqa: F401
    ALLOWED_TAGS,
    COSTLY_BYTES,
    COSTLY_MARKS,
    DROP_WITH_CONTENT,
    EMBED_SANDBOX,
    FOOTNOTE_CLASSES,
    IMAGE_SCHEMES,
    LINK_SCHEMES,
    MAX_NESTING,
    attribute_rules,
    costly,
    embed_allowed,
    nesting_depth,
    url_scheme,
)

MARKDOWN_EXTENSIONS = ["tables", "footnotes", "toc", "sane_lists", "fenced_code"]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    "tables": {"use_align_attribute": True},
    "footnotes": {"BACKLINK_TITLE": "Back to the text"},
    "toc": {"permalink": False},
}


class _DropFilter(Filter):
    """Before sanitizing: drop code-bearing elements whole, and embeds from unknown hosts."""

    def __init__(self, source: Any, embed_hosts: Collection[str]) -> None:
        super().__init__(source)
        self.embed_hosts = embed_hosts

    def _drops(self, token: dict[str, Any]) -> bool:
        name = token.get("name", "").lower()
        if name == "iframe":
            src = token.get("data", {}).get((None, "src"), "")
            return not embed_allowed(src, self.embed_hosts)
        return name in DROP_WITH_CONTENT

    def __iter__(self) -> Iterator[dict[str, Any]]:
        depth = 0
        dropping = ""
        for token in super().__iter__():
            kind = token["type"]
            if dropping:
                if kind in ("StartTag", "EndTag") and token["name"].lower() == dropping:
                    depth += 1 if kind == "StartTag" else -1
                    if depth == 0:
                        dropping = ""
                continue
            if kind == "StartTag" and self._drops(token):
                dropping, depth = token["name"].lower(), 1
                continue
            if kind == "EmptyTag" and self._drops(token):
                continue
            yield token


class _FinishFilter(Filter):
    """After sanitizing: embeds sandboxed, lazy and titled; images lazy and async."""

    FORCED = {
        "iframe": {"sandbox": EMBED_SANDBOX, "loading": "lazy", "referrerpolicy": "no-referrer"},
        "img": {"loading": "lazy", "decoding": "async"},
    }
    # Screen readers announce a frame by its title: give untitled embeds one.
    DEFAULTS = {"iframe": {"title": "Embedded video"}}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            name = token.get("name", "")
            if token["type"] not in ("StartTag", "EmptyTag") or name not in self.FORCED:
                yield token
                continue
            if name == "img" and (None, "src") not in token["data"]:
                continue  # an image whose URL was refused shows nothing
            data = {(None, k): v for k, v in self.DEFAULTS.get(name, {}).items()}
            data.update(token["data"])
            data.update({(None, k): v for k, v in self.FORCED[name].items()})
            yield {**token, "data": data}


class Renderer:
    """Turns an article's Markdown into safe HTML; one per app, thread-safe."""

    def __init__(self, embed_hosts: Collection[str]) -> None:
        self.embed_hosts = frozenset(h.lower() for h in embed_hosts)
        self._idle: list[tuple[markdown.Markdown, bleach.Cleaner]] = []
        self._lock = threading.Lock()

    @contextmanager
    def _tools(self) -> Iterator[tuple[markdown.Markdown, bleach.Cleaner]]:
        """A parser and a cleaner for this thread's use: they keep state while they work.
        Kept for the next render (whichever thread does it), unless the work was stopped
        midway (an error, a time budget: ``budget.py``), leaving their state unknown."""
        with self._lock:
            tools = self._idle.pop() if self._idle else None
        if tools is None:
            md = markdown.Markdown(
                extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG
            )
            # h1 passes the allow-list here only for the article-wide heading shift
            # (``_shift_headings``), which leaves no h1 in what a reader gets.
            cleaner = bleach.Cleaner(
                tags=ALLOWED_TAGS | {"h1"},
                attributes={**attribute_rules(self.embed_hosts), "h1": ["id"]},
                protocols=LINK_SCHEMES,
                strip=True,
                strip_comments=True,
                filters=[_FinishFilter],
            )
            # bleach drops unknown tags while tokenizing, keeping their text (a script's code,
            # a style sheet). Let the elements whose text is junk through the tokenizer, and
            # drop them whole, contents included, before the allow-list runs.
            cleaner.parser = BleachHTMLParser(
                tags=ALLOWED_TAGS | DROP_WITH_CONTENT | {"h1"},
                strip=True,
                consume_entities=False,
                namespaceHTMLElements=False,
            )
            walk: Callable[[Any], Any] = cleaner.walker  # type: ignore[assignment]
            cleaner.walker = lambda dom: _DropFilter(walk(dom), self.embed_hosts)  # type: ignore[assignment]
            tools = (md, cleaner)
        yield tools
        with self._lock:
            self._idle.append(tools)

    def html(self, markdown_text: str) -> Markup:
        """Markdown with raw HTML in, sanitized HTML out, marked safe for templates."""
        return self.html_of_parts([("body", markdown_text)])

    def html_of_parts(self, parts: Iterable[tuple[str, str]]) -> Markup:
        """An article's sanitized HTML from its (field, Markdown) parts, each its own document.

        Each section and the body is rendered and sanitized on its own, with its own tag
        balance: an unclosed ``<textarea>``, comment or ``<math>`` in one field ends with
        that field instead of swallowing every field after it. Then the pieces are joined,
        ids made unique across them and headings shifted article-wide.
        """
        used: set[str] = set()
        pieces = []
        for _, markdown_text in parts:
            piece = self._piece(markdown_text)
            if piece:
                pieces.append(_unique_ids(piece, used))
        return Markup(_shift_headings("\n".join(pieces)))

    def _piece(self, markdown_text: str) -> str:
        """One field's sanitized HTML; its escaped plain text when it nests too deep for
        the Markdown parser, so that one field can never fail a page or a feed."""
        if nesting_depth(markdown_text) > MAX_NESTING:
            return plain_paragraphs(markdown_text)
        try:
            with self._tools() as (md, cleaner):
                md.reset()
                return str(cleaner.clean(md.convert(markdown_text)).strip())
        except RecursionError:  # nesting the depth count missed (deep HTML, say)
            return plain_paragraphs(markdown_text)

    def clean(self, html: str) -> Markup:
        """Sanitize HTML that did not come from Markdown."""
        with self._tools() as (_, cleaner):
            return Markup(_shift_headings(cleaner.clean(html).strip()))


def plain_paragraphs(markdown_text: str) -> str:
    """A field's text, escaped, a paragraph per blank-line-separated block."""
    blocks = (block.strip() for block in re.split(r"\n\s*\n", markdown_text))
    return "\n".join(f"<p>{Markup.escape(block)}</p>" for block in blocks if block)


# What follows reads this module's own sanitized output with regular expressions: there
# every tag is well formed, attributes are double-quoted, and a "<" or ">" in text or in an
# attribute value is escaped, so a match on a tag is a tag.
_START_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_ID = re.compile(r'(\sid=")([^"]*)"')
_FRAGMENT = re.compile(r'(\shref="#)([^"]*)"')


def _shift_headings(html: str) -> str:
    """Shift headings so the article's highest one is an h2 under the page's only h1.

    Editors start sections at ``###``; readers of an outline (and screen readers) should
    not find a gap between the headline and the first subheading. The shift is the same
    for every field, so each keeps its place in the article's outline.
    """
    levels = [int(m[2]) for m in _HEADING_TAG.finditer(html)]
    shift = min(levels, default=2) - 2
    if shift == 0:
        return html
    return _HEADING_TAG.sub(lambda m: f"<{m[1]}h{min(6, max(2, int(m[2]) - shift))}", html)


def _unique_ids(piece: str, used: set[str]) -> str:
    """One field's HTML with ids already used by an earlier field renamed (``intro_1``),
    and its own links to them (footnotes) following; ``used`` gains its ids."""
    ids = {m[2] for tag in _START_TAG.findall(piece) for m in _ID.finditer(tag)}
    renamed: dict[str, str] = {}
    for old in sorted(ids & used):
        n = 1
        while f"{old}_{n}" in used | ids | set(renamed.values()):
            n += 1
        renamed[old] = f"{old}_{n}"
    used |= ids | set(renamed.values())
    if not renamed:
        return piece

    def rename(tag: re.Match[str]) -> str:
        def swap(m: re.Match[str]) -> str:
            return f'{m[1]}{renamed.get(m[2], m[2])}"'

        return _FRAGMENT.sub(swap, _ID.sub(swap, tag[0]))

    return _START_TAG.sub(rename, piece)


_URL_ATTRIBUTE = re.compile(r'\b(href|src)="([^"]*)"')
_EMBED = re.compile(r'<iframe\b[^>]*?\bsrc="([^"]*)"[^>]*></iframe>')


def feed_html(html: str, base: str) -> Markup:
    """An article's sanitized HTML as a feed carries it.

    Feeds are read away from the site, where ``/static/x.webp`` and ``#fn:1`` mean nothing,
    so every link and image is made absolute against ``base``; readers drop embedded frames
    (and validators flag them), so an embed becomes a link to it. The input is this module's
    own output, whose attributes are always double-quoted.
    """
    # str(): Markup's own methods would escape the replacement as if it were text.
    linked = _EMBED.sub(r'<p><a href="\1">Watch the embedded video</a></p>', str(html))
    return Markup(_URL_ATTRIBUTE.sub(lambda m: f'{m[1]}="{urljoin(base, m[2])}"', linked))


_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def table_of_contents(html: str) -> list[tuple[str, str]]:
    """(anchor, text) of each h2 in this module's own output, for a long article's contents.

    The text is unescaped back to plain text; templates escape it again.
    """
    return [(anchor, unescape(_TAGS.sub("", inner)).strip()) for anchor, inner in _H2.findall(html)]
