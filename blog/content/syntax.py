"""Front matter YAML cannot read, explained in the editors' words, every mistake at once.

YAML stops at its first error, and its words are for programmers ("mapping values are not
allowed here"). An editor needs the fix (``title: Breaking: Storm`` needs quotes) and every
mistake of the file in one go: after the first error each top-level field is read on its own,
so a quote left open three fields further down is found too, wherever a field stands alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from blog.content.quirks import Problem

_YAML = YAMLHandler()
_FIELD_LINE = re.compile(r"^([^\s:#'\"-][^:\n]*):[ \t]*(.*)$")
_TOP_LEVEL_KEY = re.compile(r"^[^\s:#'\"-][^:\n]*:", re.MULTILINE)


def explain(error: yaml.MarkedYAMLError, text: str, first_line: int) -> Problem:
    """One YAML error in ``text`` (front matter whose first line is ``first_line`` of the
    file), at the line where the editor must look, with the fix when it is a known one."""
    # Where the broken construct starts (an open quote, a bracket) says more than where YAML
    # gave up on it.
    mark = error.context_mark or error.problem_mark
    if mark is None:
        return Problem(first_line, "file", f"YAML error: {error.problem}", "error")
    lines = text.split("\n")
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    found = _FIELD_LINE.match(line_text)
    key = found[1].strip() if found else ""
    line = first_line + mark.line
    problem = str(error.problem or "")
    if "mapping values are not allowed" in problem and found:
        value = found[2].strip()
        shown = value if len(value) <= 60 else value[:59] + "…"
        quoted = json.dumps(shown, ensure_ascii=False)
        return Problem(
            line,
            key,
            f'the text holds ": ", which YAML reads as the start of another field: put the '
            f"whole {key} in quotes: {key}: {quoted}",
            "error",
        )
    if "quoted scalar" in str(error.context or ""):
        quote = line_text[mark.column] if mark.column < len(line_text) else '"'
        return Problem(
            line,
            key or "file",
            f"a quote ({quote}) opened here is never closed: end the text with {quote}",
            "error",
        )
    where = f", column {mark.column + 1}" if mark.column else ""
    return Problem(line, key or "file", f"YAML syntax error{where}: {problem}", "error")


def every_error(text: str, first_line: int, first: Problem) -> list[Problem]:
    """``first`` (the error of the whole front matter), then the errors of the top-level
    fields read one by one that are not at its line."""
    found = [first]
    starts = [m.start() for m in _TOP_LEVEL_KEY.finditer(text)]
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        block = text[start:end]
        block_line = first_line + text.count("\n", 0, start)
        try:
            _YAML.load(block)
        except yaml.MarkedYAMLError as e:
            problem = explain(e, block, block_line)
            if all(problem.line != seen.line for seen in found):
                found.append(problem)
        except (yaml.YAMLError, RecursionError):
            continue
    return sorted(found, key=lambda p: p.line)


def readable_fields(text: str) -> Iterator[tuple[str, Any]]:
    """The top-level fields YAML can read one by one, in a front matter it cannot read whole
    (what the traps in ``quirks.py`` are looked for in)."""
    starts = [m.start() for m in _TOP_LEVEL_KEY.finditer(text)]
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        try:
            value = _YAML.load(text[start:end])
        except (yaml.YAMLError, RecursionError):
            continue
        if isinstance(value, dict):
            yield from ((str(k), v) for k, v in value.items())
