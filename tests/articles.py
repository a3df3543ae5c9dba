"""Sample articles in the editors' format, and the content folder tests write them to.

Every test file builds its articles here: plain ones (``article_text``), hostile ones (a
vector in every field an editor controls) and parsed ones (``parsed_article``), so the
format the tests assume is written down once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from blog.content.models import Article, parse_article


def article_text(
    title: str = "Harbour Cities Turn to Tidal Power",
    date: str = "2025-06-02T07:45:10.118Z",
    body: str = "<!--StartFragment-->\n\nThe body text.\n\n<!--EndFragment-->",
    front: str = "",
) -> str:
    """An article in the editors' exact format; ``front`` is extra raw YAML front matter."""
    head = f"---\ntitle: {title}\ndate: {date}\n" + (front.strip("\n") + "\n" if front else "")
    return head + "---\n" + body + "\n"


def pasted(text: str) -> str:
    """A body as the editors' tool pastes it: between fragment comments."""
    return f"<!--StartFragment-->\n\n{text}\n\n<!--EndFragment-->"


def parsed_article(path: str, source_hash: str | None = None, **fields: str) -> Article:
    """``article_text(**fields)`` through the site's own parser, hashed from its text as a
    file is unless ``source_hash`` is given."""
    data = article_text(**fields).encode()
    return parse_article(path, data, source_hash or hashlib.sha256(data).hexdigest(), dt.UTC)


def yaml_string(value: str) -> str:
    """A double-quoted YAML scalar holding ``value`` exactly (a JSON string is one)."""
    return json.dumps(value)


def yaml_value(item: object) -> str:
    """A YAML rendering an editor might type: plain, quoted or flow style."""
    if isinstance(item, list):
        return "[" + ", ".join(yaml_value(i) for i in item) + "]"
    if isinstance(item, str):
        return '"' + item.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
    if isinstance(item, dt.date):
        return item.isoformat()
    return str(item)


# The made-up example of the format's description (shared/content-format.md), verbatim.
FORMAT_EXAMPLE = """\
---
title: Harbour Cities Turn to Tidal Power for Night Trams
date: 2025-06-02T07:45:10.118Z
featuredimage: https://example.org/app/uploads/2025/06/tidal-tram-night.webp
categoria: Technology
deals: No
tags:
  - "#Energy #Transport #Cities"
short-description: Three port cities will run their night tram lines on
  tidal power from next spring, after a two-year trial cut energy costs
  by a fifth.
mk1: >-
  <!--StartFragment-->


  ### A Trial That Paid for Itself


  **Night trams were the first test**


  The trial fed two turbines into the tram grid between midnight and five,
  when demand is low and the tide is **predictable to the minute**.


  <!--EndFragment-->
mk2: >-
  <!--StartFragment-->


  ### What Comes Next


  Operators say the “hard part was the batteries, not the sea”.


  <!--EndFragment-->
---
<!--StartFragment-->

**At a Glance:**

* **Cities:** three, all on the north coast
* **Saving:** about 20% of night-time energy cost

- - -

**Why It Matters:**

Cheap, predictable power at night changes what a transit timetable can offer.

<!--EndFragment-->
"""

# Script injection, each in a form an editor could paste into any field.
XSS_VECTORS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script\n>alert(1)</script\n>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    "<IMG SRC=JaVaScRiPt:alert(1)>",
    '<img src="jav&#x09;ascript:alert(1)">',
    '<img src="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe src="https://evil.example/embed"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<form action="https://evil.example"><input type=submit></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<template><script>alert(1)</script></template>",
    "<!--><script>alert(1)</script>-->",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    '<link rel=stylesheet href="javascript:alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[ref][x]\n\n[x]: javascript:alert(1)",
    '<a href="&#x6A;avascript:alert(1)">encoded</a>',
    '<p dir="ltr" onclick="alert(1)"><span style="font-weight:400">pasted</span></p>',
]


def hostile_article(vector: str) -> str:
    """``vector`` in every field an editor controls, and a script URL for the image."""
    quoted = yaml_string(vector)
    return article_text(
        title=quoted,
        date="2025-06-02T07:45:10.118Z",
        front=(
            f"featuredimage: {yaml_string('javascript:alert(1)//' + vector[:20])}\n"
            f"categoria: {quoted}\ntags:\n  - {yaml_string('#Safe ' + vector)}\n"
            f"short-description: {quoted}\nmk1: {quoted}\nmk3: {quoted}"
        ),
        body=pasted(f"{vector}\n\nAfter."),
    )


def corpus_article(n: int, vector: str) -> str:
    """Article ``n`` of a corpus: ``vector`` in every field an editor controls, the image,
    its alt text, the slug and an old address included; a second after article ``n - 1``."""
    quoted = yaml_string(vector)
    return article_text(
        title=quoted,
        date=f"2025-06-02T07:{n // 60 % 60:02d}:{n % 60:02d}Z",
        front=(
            f"featuredimage: {quoted}\nfeaturedimage_alt: {quoted}\n"
            f"categoria: {quoted}\ntags:\n  - {yaml_string('#Safe ' + vector)}\n  - {quoted}\n"
            f"short-description: {quoted}\nauthor: {quoted}\nmk1: {quoted}\nmk3: {quoted}\n"
            f"slug: {yaml_string(f'v{n} ' + vector)}\naliases:\n  - {quoted}"
        ),
        body=pasted(f"{vector}\n\nAfter."),
    )


PUBLIC_VECTORS = json.loads((Path(__file__).parent / "data/xss-vectors.json").read_text())
FIELDS = ("mk1", "mk2", "mk3", "mk4", "mk5", "body")


def one_in(n: int) -> list[str]:
    """Every nth public vector of each kind (script, event handler, mXSS, ...): every kind
    is kept."""
    kinds: dict[str, list[str]] = {}
    for vector in PUBLIC_VECTORS:
        kinds.setdefault(vector["category"], []).append(vector["payload"])
    return [payload for payloads in kinds.values() for payload in payloads[::n]]


def field_marker(field: str) -> str:
    """The plain sentence each field of a ``field_article`` ends with."""
    return f"Plain marker sentence of {field} here."


def field_article(n: int, vector: str, field: str) -> str:
    """Article ``n``: every section and the body holds its marker sentence, and ``field``
    holds ``vector`` before it; a second after article ``n - 1``."""
    texts = {f: field_marker(f) for f in FIELDS}
    texts[field] = f"{vector}\n\n{texts[field]}"
    sections = "".join(f"{f}: {yaml_string(texts[f])}\n" for f in FIELDS if f != "body")
    return article_text(
        title=f"Vector {n} in {field}",
        date=f"2025-06-02T07:{n // 60 % 60:02d}:{n % 60:02d}Z",
        front=sections,
        body=pasted(texts["body"]),
    )


def profile_text(front: str = "", bio: str = "") -> str:
    """An author profile (``content/authors/<slug>.md``): raw YAML front matter, a bio."""
    return "---\n" + (front.strip("\n") + "\n" if front else "") + "---\n" + bio + "\n"


class Content:
    """A content folder, with helpers that write files the way editors do."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tick = 1_700_000_000

    def write(self, name: str, text: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode() if isinstance(text, str) else text
        path.write_bytes(data)
        # Distinct, explicit mtimes: a stamp scan must never depend on the clock's resolution.
        self._tick += 10
        os.utime(path, (self._tick, self._tick))
        return path

    def article(self, name: str, **kwargs: str) -> Path:
        return self.write(name, article_text(**kwargs))

    def profile(self, slug: str, front: str = "", bio: str = "") -> Path:
        """The profile of the author whose page is ``/author/<slug>/``."""
        return self.write(f"authors/{slug}.md", profile_text(front, bio))
