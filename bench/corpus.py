"""Write N articles in the editors' exact format, deterministic from a seed.

    python bench/corpus.py N DIR [--seed 1] [--image-base http://127.0.0.1:8123]
        [--dialect courier|hugo|pelican]

Realistic sizes (five folded sections and a body, 600-900 words), about eight categories,
a few hundred tags with skewed (Zipf-like) popularity, dates over several years, every quirk
of the format now and then, and a few drafts and scheduled articles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

CATEGORIES = [
    "Technology",
    "Business",
    "Science",
    "Culture",
    "Sport",
    "Travel",
    "Food & Drink",
    "Politics",
]
WORDS = (
    "harbour council tide ferry market turbine festival station budget season record "
    "coast data trial report plan vote quay island school bridge weather crew port "
    "night grid energy museum route league fans shop price deal town river survey "
    "science team research light water boat rail bus library theatre film music"
).split()
SCHEDULE_DAYS = 400
IMAGE_BASE = "https://images.example.org"  # the remote host of nine in ten featured images


def sentence(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(3, 5)))


def section(rng: random.Random) -> str:
    """A folded ``>-`` section as editors write it: blank lines doubled inside the block."""
    parts = [
        "<!--StartFragment-->",
        f"### {sentence(rng, 4)[:-1].title()}",
        f"**{sentence(rng, 6)}**",
        paragraph(rng),
    ]
    if rng.random() < 0.4:
        parts.append(
            "\n\n  ".join(
                f"* **{rng.choice(WORDS).title()}:** {sentence(rng, 6)}" for _ in range(3)
            )
        )
    parts += [paragraph(rng), "<!--EndFragment-->"]
    return ">-\n  " + "\n\n\n  ".join(parts)


def tag_names(rng: random.Random, count: int) -> list[str]:
    names = {f"{rng.choice(WORDS).title()}{rng.choice(WORDS).title()}" for _ in range(count * 3)}
    return sorted(names)[:count]


def article(
    n: int,
    rng: random.Random,
    tags: list[str],
    start: dt.datetime,
    now: dt.datetime,
    image_base: str = IMAGE_BASE,
) -> dict[str, Any]:
    """One article's fields, drawn from ``rng`` (in the same order whatever the dialect)."""
    date = start + dt.timedelta(seconds=rng.randrange(int((now - start).total_seconds())))
    draft = False
    roll = rng.random()
    if roll < 0.005:
        date = now + dt.timedelta(days=rng.randint(1, SCHEDULE_DAYS))  # scheduled
    elif roll < 0.01:
        draft = True
    chosen = {tags[min(int(rng.paretovariate(1.2)) - 1, len(tags) - 1)] for _ in range(3)}
    title = f"{sentence(rng, rng.randint(5, 9))[:-1].title()} ({n})"
    image = (
        f"{image_base}/uploads/{date:%Y/%m}/img-{n}.webp"
        if rng.random() < 0.9
        else "/static/images/placeholder.webp"
    )
    deals = rng.random() < 0.05
    body = (
        "<!--StartFragment-->\n\n**At a Glance:**\n\n"
        + "\n".join(f"* **{rng.choice(WORDS).title()}:** {sentence(rng, 5)}" for _ in range(3))
        + f"\n\n- - -\n\n{paragraph(rng)}\n\n<!--EndFragment-->\n"
    )
    category = rng.choice(CATEGORIES)
    standfirst = (sentence(rng, 14)[:-1], sentence(rng, 10))
    sections = [section(rng) for _ in range(1, 6)]
    return {
        "n": n,
        "date": date,
        "draft": draft,
        "tags": sorted(chosen),
        "title": title,
        "image": image,
        "deals": deals,
        "body": body,
        "category": category,
        "standfirst": standfirst,
        "sections": sections,
        "slug": f"story-{n}",
    }


def courier(a: dict[str, Any]) -> tuple[str, str]:
    """The editors' format (docs/editors.md), every quirk as they write it."""
    date = a["date"]
    tag_line = " ".join(f"#{t}" for t in a["tags"])
    stamp = date.strftime("%Y-%m-%dT%H:%M:%S.") + f"{date.microsecond // 1000:03d}Z"
    first, second = a["standfirst"]
    front = (
        f"---\ntitle: {json.dumps(a['title'])}\ndate: {stamp}\nfeaturedimage: {a['image']}\n"
        f"categoria: {a['category']}\ndeals: {'Yes' if a['deals'] else 'No'}\n"
        f'tags:\n  - "{tag_line}"\n'
        f"short-description: {first}\n  {second}\n{'draft: true' + chr(10) if a['draft'] else ''}"
        + "".join(f"mk{k}: {text}\n" for k, text in enumerate(a["sections"], start=1))
        + "---\n"
    )
    return f"{date:%Y-%m-%d}-{a['slug']}.md", front + a["body"]


def _markdown(a: dict[str, Any]) -> str:
    """The article's text as one Markdown document: its sections (unfolded), then its body."""
    parts = []
    for folded in a["sections"]:
        text = folded.removeprefix(">-\n  ").replace("\n  ", "\n")
        parts.append(text)
    return "\n\n".join([*parts, a["body"]])


def hugo(a: dict[str, Any]) -> tuple[str, str]:
    """Hugo's YAML front matter (title, date, slug, categories, tags, draft, summary)."""
    front = {
        "title": a["title"],
        "date": a["date"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "slug": a["slug"],
        "categories": [a["category"]],
        "tags": a["tags"],
        "draft": a["draft"],
        "summary": " ".join(a["standfirst"]),
        "images": [a["image"]],
    }
    lines = ["---", *(f"{k}: {json.dumps(v)}" for k, v in front.items()), "---", ""]
    return f"posts/{a['date']:%Y-%m-%d}-{a['slug']}.md", "\n".join(lines) + _markdown(a)


def pelican(a: dict[str, Any]) -> tuple[str, str]:
    """Pelican's Markdown metadata lines (Title, Date, Slug, Category, Tags, Summary,
    Status)."""
    lines = [
        f"Title: {a['title']}",
        f"Date: {a['date']:%Y-%m-%d %H:%M}",
        f"Slug: {a['slug']}",
        f"Category: {a['category']}",
        f"Tags: {', '.join(a['tags'])}",
        f"Summary: {' '.join(a['standfirst'])}",
        *(["Status: draft"] if a["draft"] else []),
        "",
    ]
    return f"{a['date']:%Y-%m-%d}-{a['slug']}.md", "\n".join(lines) + "\n" + _markdown(a)


DIALECTS: dict[str, Callable[[dict[str, Any]], tuple[str, str]]] = {
    "courier": courier,
    "hugo": hugo,
    "pelican": pelican,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--image-base", default=IMAGE_BASE, help="the remote images' origin (a local server)"
    )
    parser.add_argument(
        "--dialect",
        choices=sorted(DIALECTS),
        default="courier",
        help="the same articles in Hugo's or Pelican's front matter, for their builds",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    start = now - dt.timedelta(days=365 * 6)
    tags = tag_names(rng, 300)
    args.folder.mkdir(parents=True, exist_ok=True)
    write = DIALECTS[args.dialect]
    for n in range(args.count):
        name, text = write(article(n, rng, tags, start, now, args.image_base))
        (args.folder / name).parent.mkdir(parents=True, exist_ok=True)
        (args.folder / name).write_text(text, encoding="utf-8")
    print(f"wrote {args.count} articles to {args.folder}")


if __name__ == "__main__":
    main()
