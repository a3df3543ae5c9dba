"""The editors' check: each finding with a file that triggers it and one that does not."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.articles import Content, article_text
from tests.html import elements, parse, text_of

GOOD = article_text(front='categoria: Business\ntags:\n  - "#AI #Amazon"\ndeals: No')


def run_check(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["content", "check", *args])


def findings(app: Flask) -> list[str]:
    result = run_check(app)
    return [line for line in result.output.splitlines() if ": " in line and ".md:" in line]


# (what, a file that triggers it, a file that does not, expected line prefix after path)
CASES = [
    (
        "yaml syntax",
        article_text(front="tags: [unclosed"),
        GOOD,
        ":4: error: tags: YAML syntax error, column",
    ),
    (
        "not a mapping",
        "---\n- a\n- b\n---\nBody\n",
        GOOD,
        ":2: error: file: front matter is a list, not a mapping",
    ),
    (
        "missing title",
        "---\ndate: 2025-01-01T00:00:00Z\n---\nBody\n",
        GOOD,
        ":1: error: title: missing or empty",
    ),
    ("empty title", article_text(title='""'), GOOD, ":2: error: title: missing or empty"),
    ("missing date", "---\ntitle: T\n---\nBody\n", GOOD, ":1: error: date: missing"),
    ("unreadable date", article_text(date="next week"), GOOD, ":3: error: date: not a date"),
    (
        "zone-less date",
        article_text(date="2025-06-02 09:00:00"),
        GOOD,
        ":3: warning: date: no time zone",
    ),
    (
        "scheduled",
        article_text(date="2031-01-01T00:00:00Z"),
        GOOD,
        ":3: info: date: scheduled for 2031-01-01 00:00 UTC",
    ),
    ("draft", article_text(front="draft: true"), GOOD, ":4: info: draft: not published"),
    (
        "hashtag comment",
        article_text(front="tags:\n  - #AI #Amazon"),
        GOOD,
        ":5: error: tags: unquoted hashtags are a YAML comment, so these tags are lost; "
        'put them in quotes: - "#AI #Amazon"',
    ),
    (
        "tags type",
        article_text(front="tags:\n  one: two"),
        GOOD,
        ":4: error: tags: expected a list or a string of hashtags",
    ),
    (
        "deals type",
        article_text(front="deals: sometimes"),
        GOOD,
        ":4: error: deals: expected Yes or No",
    ),
    (
        "image scheme",
        article_text(front="featuredimage: ftp://example.org/a.jpg"),
        GOOD,
        ":4: warning: featuredimage: not an http(s) URL or a site path",
    ),
    (
        "folded list",
        article_text(front="mk1: >-\n  Intro line.\n\n  * first\n\n  * second"),
        article_text(front="mk1: >-\n  Intro line.\n\n\n  * first\n\n  * second"),
        ":7: warning: mk1: a list straight after a paragraph is read as text",
    ),
    (
        "folded heading",
        article_text(front="mk1: >-\n  Intro line.\n  ### Heading"),
        article_text(front="mk1: >-\n  Intro line.\n\n\n  ### Heading"),
        ":6: warning: mk1: this line is folded into the one before it",
    ),
    (
        "folded paragraphs",
        article_text(front="mk1: >-\n  First paragraph.\n\n  Second paragraph."),
        article_text(front="mk1: >-\n  First paragraph.\n\n\n  Second paragraph."),
        ":7: warning: mk1: this paragraph runs into the one above it: in a folded section one "
        "blank line is only a line break; leave two blank lines between paragraphs",
    ),
    (
        "sanitizer",
        article_text(body="Text.\n\n<script>track()</script>\n\n[x](javascript:go())"),
        article_text(body='<p dir="ltr"><span style="font-weight:400">Pasted.</span></p>'),
        ":5: warning: body: the sanitizer removes <script> and everything in it; the link "
        "javascript:go(",
    ),
    (
        "sanitizer in a section",
        article_text(front='mk2: "<p onclick=\\"x()\\">Hi</p>"'),
        GOOD,
        ":4: warning: mk2: the sanitizer removes onclick= on <p>",
    ),
    (
        "unclosed element in a section",
        article_text(front='mk1: "<textarea>\\n\\nLost."\nmk2: Kept.', body="Kept too."),
        article_text(front="mk1: Plain.\nmk2: Kept.", body="Kept too."),
        ":4: warning: mk1: the sanitizer removes <textarea>, never closed, and everything after "
        "it in this field",
    ),
    (
        "unclosed comment",
        article_text(body="Shown.\n\n<!-- a note\n\nHidden."),
        article_text(body="<!--StartFragment-->\n\nShown.\n\n<!--EndFragment-->"),
        ":5: warning: body: the sanitizer removes an unclosed comment <!-- and everything after "
        "it in this field",
    ),
    (
        "footnote note in another field",
        article_text(front='mk1: "Claim.[^1]"', body="More.\n\n[^1]: Source."),
        article_text(front='mk1: "Claim.[^1]\\n\\n[^1]: Source."', body="More."),
        ":4: warning: mk1: footnote [^1] has no note [^1]: in this field, so it shows as "
        "written; put its note in the same field",
    ),
    (
        "malformed declaration",
        article_text(body='<![><img src="]><img src=x onerror=alert(1)//">'),
        GOOD,
        ":5: warning: body: the sanitizer removes a malformed <! declaration and what it runs over",
    ),
    ("empty article", article_text(body=""), GOOD, ":2: warning: title: empty article"),
    (
        "pinned without a category",
        article_text(front="pinned_until: 2030-01-01T00:00:00Z"),
        article_text(front="categoria: Business\npinned_until: 2030-01-01T00:00:00Z"),
        ":4: warning: pinned_until: no categoria: the article is pinned in no category",
    ),
    (
        "breaking_until without breaking",
        article_text(front="breaking_until: 2030-01-01T00:00:00Z"),
        article_text(front="breaking: true\nbreaking_until: 2030-01-01T00:00:00Z"),
        ":4: warning: breaking_until: without breaking: true no strip shows",
    ),
    (
        "breaking strip before its date",
        article_text(front="breaking: true\nbreaking_until: 2025-06-01T00:00:00Z"),
        article_text(front="breaking: true\nbreaking_until: 2030-06-01T00:00:00Z"),
        ":5: warning: breaking_until: 2025-06-01 00:00 UTC is not after the article's date",
    ),
    (
        "breaking strip over by the hours",
        article_text(front="breaking: true"),
        article_text(date="2026-11-26T08:00:00Z", front="breaking: true"),
        ":4: info: breaking: older than 6 hours (BREAKING_HOURS) and no breaking_until: "
        "no strip shows",
    ),
    (
        "breaking strip ended",
        article_text(front="breaking: true\nbreaking_until: 2025-06-03T00:00:00Z"),
        GOOD,
        ":4: info: breaking: the strip ended at 2025-06-03 00:00 UTC: no strip shows",
    ),
]


@pytest.mark.parametrize(("what", "bad", "good", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_finding_has_a_trigger_and_a_clean_file(
    content: Content, make_app: Callable[..., Flask], what: str, bad: str, good: str, expected: str
) -> None:
    content.write("bad.md", bad)
    content.write("good.md", good)
    lines = findings(make_app())
    assert any(line.startswith("bad.md" + expected) for line in lines), lines
    assert not [line for line in lines if line.startswith("good.md")], lines


# A folded section's lines after its key, with one blank line ("") or two between paragraphs;
# and the lines (in the file) the check points at.
RUN_ON = [
    ("two paragraphs", ">-", ["First.", "", "Second."], [7]),
    ("keep: >", ">", ["First.", "", "Second."], [7]),
    ("three paragraphs", ">-", ["One.", "", "Two.", "", "Three."], [7, 9]),
    ("wrapped paragraph", ">-", ["One that", "wraps.", "", "Two."], [8]),
    ("after a bold lede", ">-", ["**Lede**", "", "Text."], [7]),
    ("after a list item", ">-", ["* item", "", "Text."], [7]),
    ("blank line of spaces", ">-", ["First.", "   ", "Second."], []),
    ("two blank lines", ">-", ["First.", "", "", "Second."], []),
    ("wrapped lines, no blank", ">-", ["One line", "and its wrap."], []),
    ("after a heading", ">-", ["### Heading", "", "Text."], []),
    (
        "around paste comments",
        ">-",
        ["<!--StartFragment-->", "", "Text.", "", "<!--EndFragment-->"],
        [],
    ),
    ("pasted <p> blocks", ">-", ['<p dir="ltr">One.</p>', "", '<p dir="ltr">Two.</p>'], []),
    ("more-indented line", ">-", ["First.", "", "    indented", "", "Second."], []),
    ("literal block", "|", ["First.", "", "Second."], []),
]


@pytest.mark.parametrize(("what", "style", "lines", "expected"), RUN_ON, ids=[c[0] for c in RUN_ON])
def test_folded_paragraphs_that_run_together(
    content: Content,
    make_app: Callable[..., Flask],
    what: str,
    style: str,
    lines: list[str],
    expected: list[int],
) -> None:
    section = "\n".join(f"  {line}" if line.strip() else line for line in lines)
    content.write("a.md", article_text(front=f"mk1: {style}\n{section}"))
    found = [line for line in findings(make_app()) if "runs into the one above" in line]
    assert [int(line.split(":")[1]) for line in found] == expected, found


@pytest.mark.parametrize(
    "section",
    ["Text.\n\n  - - -\n\n\n  More text.", "### Heading\n\n  * one\n\n  * two"],
    ids=["a rule after a paragraph", "a list after a heading"],
)
def test_blocks_that_one_blank_line_keeps_apart_are_not_reported(
    content: Content, make_app: Callable[..., Flask], section: str
) -> None:
    content.write("a.md", article_text(front=f"mk1: >-\n  {section}"))
    assert findings(make_app()) == []


def test_one_blank_line_in_a_folded_section_gives_one_paragraph(
    content: Content, client: FlaskClient
) -> None:
    """The trap the check reports is real: two blank lines make two paragraphs, one does not."""
    one = "mk1: >-\n  First words.\n\n  Second words.\n"
    two = "mk1: >-\n  First words.\n\n\n  Second words.\n"
    content.write("2025-06-01-one.md", article_text(front=one))
    content.write("2025-06-01-two.md", article_text(front=two))
    paragraphs = {}
    for slug in ("one", "two"):
        page = parse(client.get(f"/news/{slug}/").data)
        paragraphs[slug] = [text_of(p) for p in elements(page, "p") if "words" in text_of(p)]
    assert paragraphs == {
        "one": ["First words. Second words."],
        "two": ["First words.", "Second words."],
    }


def test_not_utf8(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("bad.md", article_text().encode("utf-8").replace(b"Harbour", b"Harb\xf6ur"))
    content.write("good.md", article_text(title="Harbør"))
    lines = findings(make_app())
    assert [line for line in lines if line.startswith("bad.md")] == [
        "bad.md:2: error: file: not UTF-8 (byte 15)"
    ]
    assert not [line for line in lines if line.startswith("good.md")]


def test_file_over_the_size_limit(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("bad.md", article_text(body="x" * 3000))
    content.write("good.md", GOOD)
    lines = findings(make_app(MAX_ARTICLE_BYTES=2000))
    assert any(
        line.startswith("bad.md:1: error: file: file is") and "over the 2000 limit" in line
        for line in lines
    )
    assert not [line for line in lines if line.startswith("good.md")]


def test_category_must_be_listed_when_categories_are_set(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("bad.md", article_text(front="categoria: Gossip"))
    content.write("good.md", article_text(front="categoria: food & drink"))
    lines = findings(make_app(CATEGORIES=["Business", "Food & Drink"]))
    assert lines == [
        "bad.md:4: error: categoria: 'Gossip' is not one of the categories: Business, Food & Drink"
    ]
    assert findings(make_app()) == []  # no list: any category


def test_two_files_claiming_one_slug(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("2025-01-01-harbour.md", article_text(date="2025-01-01T00:00:00Z"))
    content.write(
        "2025-02-01-other.md", article_text(date="2025-02-01T00:00:00Z", front="slug: harbour")
    )
    content.write("2025-03-01-fine.md", article_text(date="2025-03-01T00:00:00Z"))
    lines = findings(make_app())
    assert lines == [
        "2025-02-01-other.md:4: error: slug: 'harbour' is also claimed by "
        "2025-01-01-harbour.md, which is older and keeps it; this article is "
        "served at /news/harbour-2/"
    ]


def test_alias_that_shadows_a_live_article(
    content: Content, make_app: Callable[..., Flask]
) -> None:
    content.write("live.md", article_text(title="Live"))
    content.write("mover.md", article_text(front="aliases:\n  - live\n  - /old/mover/"))
    lines = findings(make_app())
    assert lines == [
        "mover.md:4: error: aliases: 'live' is a live article's address; it stays "
        "that article's and is not redirected"
    ]


def test_exit_status_and_summary(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("good.md", GOOD)
    app = make_app()
    clean = run_check(app)
    assert clean.exit_code == 0
    assert clean.output.splitlines()[-1] == "1 file checked: 0 errors, 0 warnings, 0 notes"
    content.write("warn.md", article_text(date="2025-06-02 09:00:00"))
    assert run_check(make_app()).exit_code == 0
    assert run_check(make_app(), "--strict").exit_code == 1
    content.write("bad.md", "---\ntitle: [\n---\n")
    failing = run_check(make_app())
    assert failing.exit_code == 1
    assert failing.output.splitlines()[-1] == "3 files checked: 1 errors, 1 warnings, 0 notes"


def test_json_format(content: Content, make_app: Callable[..., Flask]) -> None:
    content.write("bad.md", article_text(front="tags:\n  - #AI"))
    result = run_check(make_app(), "--format", "json")
    report = json.loads(result.output)
    assert report["findings"] == [
        {
            "path": "bad.md",
            "line": 5,
            "severity": "error",
            "field": "tags",
            "message": report["findings"][0]["message"],
        }
    ]
    assert report["summary"] == "1 file checked: 1 errors, 0 warnings, 0 notes"
    assert result.exit_code == 1


def test_check_given_paths_only(content: Content, make_app: Callable[..., Flask], tmp_path) -> None:
    content.write("bad.md", "---\ntitle: [\n---\n")
    good = content.write("sub/good.md", GOOD)
    app = make_app()
    assert run_check(app, str(good)).exit_code == 0
    assert run_check(app, str(content.root / "sub")).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.md").write_text("no front matter")
    result = run_check(app, str(elsewhere / "x.md"))
    assert result.exit_code == 1
    assert "x.md:1: error: file: no front matter" in result.output


def test_check_and_site_agree_on_the_sample_content(make_app: Callable[..., Flask]) -> None:
    from pathlib import Path

    sample = Path(__file__).resolve().parent.parent / "content"
    result = run_check(make_app(CONTENT_DIR=str(sample)))
    assert result.exit_code == 0, result.output
    assert " 0 errors" in result.output.splitlines()[-1]


def test_courier_check_runs_in_a_content_repository(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    repo = tmp_path / "newsroom"
    (repo / "content").mkdir(parents=True)
    (repo / "content" / "good.md").write_text(GOOD)
    (repo / "content" / "bad.md").write_text(article_text(front="tags:\n  - #AI"))
    script = Path(sys.executable).parent / "courier-check"
    good = subprocess.run(
        [str(script), "--content-dir", "content", "content/good.md"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run(
        [str(script), "--content-dir", "content", "content/good.md", "content/bad.md"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "bad.md:5: error: tags: unquoted hashtags" in bad.stdout


def test_pre_commit_hook_definition_names_the_script() -> None:
    from pathlib import Path

    import yaml

    hooks = yaml.safe_load(
        (Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text()
    )
    assert hooks[0]["id"] == "courier-check" and hooks[0]["entry"] == "courier-check"
    assert hooks[0]["language"] == "python"
