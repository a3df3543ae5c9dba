"""Assertions on HTML through its structure, parsed as a browser would (html5lib)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import html5lib

URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "data",
        "poster",
        "background",
        "xlink:href",
        "srcset",
        "ping",
        "cite",
        "longdesc",
        "lowsrc",
        "dynsrc",
        "codebase",
        "srcdoc",
    }
)
EXECUTABLE_ELEMENTS = frozenset(
    {
        "script",
        "object",
        "embed",
        "applet",
        "base",
        "meta",
        "form",
        "frame",
        "frameset",
        "svg",
        "math",
        "style",
        "link",
        "template",
        "noscript",
    }
)


def parse(markup: str | bytes) -> ET.Element:
    """A document tree without namespaces in tag names."""
    return html5lib.parse(markup, namespaceHTMLElements=False)


def elements(root: ET.Element, tag: str | None = None) -> list[ET.Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and (tag is None or e.tag == tag)]


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _is_json_ld(element: ET.Element) -> bool:
    if element.tag != "script" or element.get("type") != "application/ld+json":
        return False
    try:
        json.loads(element.text or "")
    except ValueError:
        return False
    return True


def _is_site_search(element: ET.Element) -> bool:
    return (
        element.get("role") == "search"
        and element.get("action") == "/search"
        and element.get("method") == "get"
        and set(element.attrib) == {"class", "role", "action", "method"}
    )


_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


def _scheme(value: str) -> str:
    """The scheme a browser reads (WHATWG URL parsing), erring on the side of finding one:
    every control character and space is dropped first (browsers drop only tab and
    newlines). A value whose text before ':' is not a valid scheme (``javas<!-- -->cript:``)
    is a relative URL to a browser: no scheme."""
    cleaned = "".join(c for c in value if c > " ").lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else ""


def executable_constructs(root: ET.Element, allowed_head: bool = True) -> Iterator[str]:
    """Everything in a page that could run script; empty for a safe page.

    The site's own page chrome has <meta> and <link> in <head>; ``allowed_head`` leaves
    those alone and inspects everything else.
    """
    head = root.find("head")
    head_elements = set(elements(head)) if (head is not None and allowed_head) else set()
    for element in elements(root):
        tag = element.tag.split("}")[-1].lower()
        if element in head_elements and tag in ("meta", "link", "title", "head"):
            continue
        if element in head_elements and _is_json_ld(element):
            continue  # data, never run: and it must still be one whole JSON document
        if tag == "form" and _is_site_search(element):
            continue  # the site's own search box (GET, to /search)
        if tag in EXECUTABLE_ELEMENTS:
            yield f"<{tag}>"
        if tag == "iframe" and "sandbox" not in element.attrib:
            yield "<iframe> without sandbox"
        for name, value in element.attrib.items():
            name = name.split("}")[-1].lower()
            if name.startswith("on"):
                yield f"<{tag} {name}=…>"
            if name == "style":
                yield f"<{tag} style=…>"
            if name in URL_ATTRIBUTES and _scheme(value) not in ("", "http", "https", "mailto"):
                yield f"<{tag} {name}={value[:40]!r}>"
