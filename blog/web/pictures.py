"""Pictures in pages: every featured and body image as ``<picture>`` markup, one way.

``picture(article, place)`` (a template global) and ``body_pictures(html)`` (the article's
sanitized HTML) both end in ``_markup``: a ``<picture>`` with a ``<source>`` per modern
format (AVIF, WebP) and the fallback ``<img>`` with the real file's ``width``/``height``,
``srcset``/``sizes`` for the place it is shown in, ``decoding="async"``, and
``loading="lazy"`` except where it is the first thing a reader sees (the lead, the
article's own image: ``fetchpriority="high"`` there). Every URL in it is one of ours
(``media.variant_url``) and every attribute value is escaped here.

When the images layer has no picture to give (``NoPicture``):

- ``hotlink`` (``IMAGE_FETCH`` off): the ``<img src>`` of before, the URL as written;
- ``pending`` (a remote image not fetched yet, usually for seconds): the placeholder, as for
  ``failed``, rather than the remote URL: a remote host that fails would show a
  broken-image box, it would learn who reads what, and the box would jump once its size is
  known. Such a page is not kept by the response cache (``cache.py``): the next reader
  after the fetch gets the picture;
- ``svg``: a plain link to it, never an ``<img>`` (no SVG of an editor's runs in a page);
- ``failed``: the designed placeholder on the lead and the article (the category's colour
  and name), no image block on cards, nothing in the body; never a broken-image box.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import Flask, g, has_request_context
from markupsafe import Markup, escape

from blog.content import keys
from blog.content.fields import slugify
from blog.content.models import Article
from blog.images.models import NoPicture, Picture
from blog.images.references import kind
from blog.web.media import absolute_variant_url, variant_url
from blog.web.state import get_images, get_settings

TONES = 8  # placeholder colours (site.css: .tone-0 … .tone-7)
TODAY = (1200, 675)  # the box of a hotlinked image, whose size is not known
STOCK_IMAGE = "/static/images/placeholder.webp"


@dataclass(frozen=True)
class Place:
    """Where a picture is shown: the width it takes (``sizes``), and whether it is among the
    first things a reader sees (loaded at once, ahead of the rest)."""

    sizes: str
    eager: bool = False
    placeholder: bool = False  # failed: the category's colour and name; else no block


# The widths follow site.css: the page is at most 72rem wide with a gutter each side; the
# lead takes three fifths of it from 48rem, cards a third (a quarter for top stories, a
# 7.5rem thumbnail on a phone), the article its 42rem measure.
PLACES = {
    "lead": Place(
        "(min-width: 72rem) 40rem, (min-width: 48rem) 56vw, calc(100vw - 2rem)",
        eager=True,
        placeholder=True,
    ),
    "article": Place("(min-width: 46rem) 42rem, calc(100vw - 2rem)", eager=True, placeholder=True),
    "card": Place("(min-width: 72rem) 22rem, (min-width: 36rem) 48vw, calc(100vw - 2rem)"),
    "top": Place("(max-width: 40rem) 7.5rem, (min-width: 72rem) 17rem, 31vw"),
    "body": Place("(min-width: 46rem) 42rem, calc(100vw - 2rem)"),
}


def look(reference: str) -> Picture | NoPicture:
    """What the images layer has for ``reference``, noted for the response cache: the page
    shows ``picture:<reference>`` at this version (``cache.py`` keeps it under it, and a
    change to the picture purges it from the caches in front); a page showing a picture not
    fetched yet is not kept at all."""
    found = get_images().picture(reference)
    if has_request_context():
        if isinstance(found, NoPicture) and found.kind == "pending":
            g.pictures_pending = True
        shown: dict[str, str] = g.setdefault("pictures_shown", {})
        name, now = keys.key(keys.PICTURE, reference), version(found)
        # Seen two ways in one page (it changed meanwhile): a version it never has.
        shown[name] = now if shown.get(name, now) == now else "changed"
    return found


def version(found: Picture | NoPicture) -> str:
    """What a page shows of a picture, in short: the original's hash, or what stands in for
    it (the same on every host that sees the same)."""
    return found.sha[:16] if isinstance(found, Picture) else found.kind


def picture(article: Article, place: str, lazy: bool | None = None) -> Markup:
    """An article's featured image as ``place`` shows it: a ``<picture>``, the hotlinked
    ``<img>``, the placeholder, a link to an SVG, or nothing (``Markup("")``: no block)."""
    where = PLACES[place]
    if not article.image:
        return Markup("")
    found = look(article.image)
    eager = where.eager if lazy is None else not lazy
    if isinstance(found, Picture):
        return _markup(found, where.sizes, article.image_alt, eager, priority=where.eager)
    if found.kind == "hotlink":
        return _hotlink(article.image, article.image_alt, eager, priority=where.eager)
    if found.kind == "svg" and place == "article":
        return _svg_link(article.image, article.image_alt)
    return placeholder(article.category) if where.placeholder else Markup("")


def stock(place: str, lazy: bool | None = None) -> Markup:
    """The site's stock picture (``STOCK_IMAGE``), for a card of an article without one."""
    where = PLACES[place]
    found = look(STOCK_IMAGE)
    eager = where.eager if lazy is None else not lazy
    if isinstance(found, Picture):
        return _markup(found, where.sizes, "", eager, css_class="stock-image")
    return Markup("")


def pictured(article: Article) -> bool:
    """True when the article's own image is shown as an image (not a stand-in for it)."""
    if not article.image:
        return False
    found = look(article.image)
    return isinstance(found, Picture) or found.kind == "hotlink"


def placeholder(category: str | None) -> Markup:
    """The designed stand-in for a picture: the category's colour and name (the site's name
    and a neutral colour for an article without one). Decorative: the name is on the page."""
    name = category or get_settings().SITE_NAME
    tone = f"tone-{_tone(category)}" if category else "tone-none"
    return Markup(
        f'<span class="image-placeholder {tone}" aria-hidden="true">'
        f'<span class="image-placeholder-name">{escape(name)}</span></span>'
    )


def _tone(category: str) -> int:
    """The category's colour, the same on every page and every host."""
    digest = hashlib.sha256(slugify(category).encode()).digest()
    return digest[0] % TONES


def _markup(
    found: Picture,
    sizes: str,
    alt: str,
    eager: bool,
    priority: bool = False,
    width: int | None = None,
    title: str = "",
    css_class: str = "",
) -> Markup:
    """``<picture>``: a source per preferred format, the fallback ``<img>`` with its size."""
    sources = [
        f'<source type="{escape(found.srcset(fmt)[0].mime)}" '
        f'srcset="{_srcset(found, fmt)}" sizes="{escape(sizes)}">'
        for fmt in found.formats[:-1]
    ]
    shown_w, shown_h = found.width, found.height
    if width is not None and 0 < width < found.width:  # an editor's smaller width kept
        shown_w, shown_h = width, max(1, round(found.height * width / found.width))
    attributes = [f'class="{css_class}"'] if css_class else []
    attributes += [
        f'src="{escape(variant_url(found.fallback))}"',
        f'srcset="{_srcset(found, found.formats[-1])}"',
        f'sizes="{escape(sizes)}"',
        f'width="{shown_w}" height="{shown_h}"',
        f'alt="{escape(alt)}"',
    ]
    if title:
        attributes.append(f'title="{escape(title)}"')
    if eager and priority:
        attributes.append('fetchpriority="high"')
    elif not eager:
        attributes.append('loading="lazy"')
    attributes.append('decoding="async"')
    return Markup(f"<picture>{''.join(sources)}<img {' '.join(attributes)}></picture>")


def _srcset(found: Picture, fmt: str) -> Markup:
    return escape(", ".join(f"{variant_url(v)} {v.width}w" for v in found.srcset(fmt)))


def _hotlink(url: str, alt: str, eager: bool, priority: bool) -> Markup:
    """The ``<img>`` of before ``IMAGE_FETCH``: the URL as written, a 16:9 box."""
    loading = ('fetchpriority="high" ' if priority else "") if eager else 'loading="lazy" '
    return Markup(
        f'<img src="{escape(url)}" alt="{escape(alt)}" width="{TODAY[0]}" '
        f'height="{TODAY[1]}" {loading}decoding="async">'
    )


def _svg_link(url: str, alt: str) -> Markup:
    """An SVG as a plain link: its text the alt text, else the file's name."""
    text = alt or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or url
    return Markup(f'<a class="image-link" href="{escape(url)}">{escape(text)}</a>')


# Body images: the sanitizer's <img> tags (blog/markup/render.py: every attribute
# double-quoted, its value escaped, src an http(s) URL or a path) made into pictures.

# An image alone in its paragraph, or any other image: one pass, so no image made here is
# read again as an editor's.
_IMG = re.compile(r"<p><img\b([^<>]*)></p>|<img\b([^<>]*)>")
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def body_pictures(text: str, feed: bool = False) -> Markup:
    """An article's sanitized HTML with its images as pictures; an image alone in its
    paragraph with a title becomes a ``<figure>`` with the title as its caption.

    ``feed``: for feed readers, which take neither ``<picture>`` nor ``sizes``: one
    ``<img>`` of the fallback format, on the site's public origin."""

    def rewrite(match: re.Match[str]) -> str:
        if match[2] is not None:
            return _body_image(_attributes(match[2]), feed) or ""
        attributes = _attributes(match[1])
        title = attributes.get("title", "")
        image = _body_image(attributes, feed, with_title=False)
        if not image:
            return ""  # nothing left to show: no empty paragraph either
        if title:
            caption = f"<figcaption>{escape(title)}</figcaption>"
            return f'<figure class="body-figure">{image}{caption}</figure>'
        return f"<p>{image}</p>"

    return Markup(_IMG.sub(rewrite, str(text)))


def _attributes(inside: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(inside)}


def _body_image(attributes: dict[str, str], feed: bool, with_title: bool = True) -> str | None:
    """One body image's markup; None when there is nothing to show."""
    if not with_title:  # the title is the figure's caption
        attributes = {name: value for name, value in attributes.items() if name != "title"}
    src = attributes.get("src", "")
    alt = attributes.get("alt", "")
    title = attributes.get("title", "") if with_title else ""
    if kind(src) is None:
        return _plain_img(attributes)  # a relative URL: left as the sanitizer let it through
    found = look(src)
    if isinstance(found, Picture):
        width = _number(attributes.get("width"))
        if feed:
            return _feed_img(found, alt, title)
        return str(_markup(found, PLACES["body"].sizes, alt, eager=False, width=width, title=title))
    if found.kind == "hotlink" or (found.kind == "pending" and feed):
        return _plain_img(attributes)  # a feed reader fetches it itself, as before
    if found.kind == "svg":
        return str(_svg_link(src, alt))
    return None  # pending (shown once fetched) or failed (the check tells the editors)


def _plain_img(attributes: dict[str, str]) -> str:
    """The sanitizer's ``<img>`` as it was (its attributes, escaped again)."""
    inside = " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items())
    return f"<img {inside}>"


def _feed_img(found: Picture, alt: str, title: str) -> str:
    variant = found.fallback
    titled = f' title="{escape(title)}"' if title else ""
    return (
        f'<img src="{escape(absolute_variant_url(variant))}" width="{variant.width}" '
        f'height="{variant.height}" alt="{escape(alt)}"{titled}>'
    )


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 6 else None


def init_app(app: Flask) -> None:
    """Templates get ``picture``, ``stock`` and ``pictured`` (``media.py`` serves their URLs)."""
    app.jinja_env.globals.update(picture=picture, stock=stock, pictured=pictured)
