"""The editors' check: every problem in the content files, found by the site's own parser.

One finding per problem, ``path:line: severity: field: message``. Errors are what the site
refuses or gets wrong (the file is not published, or not as written); warnings are what it
publishes differently from what the editor probably meant; notes are for information.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from blog.content.fields import slugify
from blog.content.flags import DEFAULT_WINDOWS, Windows
from blog.content.models import Article, field_lines
from blog.images.references import uses
from blog.markup.allowlist import MAX_NESTING, costly, deeper_than, nesting_depth
from blog.markup.isolated import IsolatedRenderer, OverBudget, RenderFailed
from blog.markup.removals import removals

if TYPE_CHECKING:
    from blog.content.index import Index
    from blog.content.index_parts import Conflict
    from blog.content.profile_shelf import ProfileEntry
    from blog.content.profiles import Profile
    from blog.content.reading import Entry
    from blog.content.store import Parts
    from blog.images.models import Verdict

SEVERITIES = ("error", "warning", "info")
# Fields the check renders to time them: the busy ones, and the long ones; below this size no
# known text takes a second (bench/pathological.py), and the check stays fast on thousands.
TIMED_BYTES = 15_000
# A label never holds "[": so that 50,000 "[^" are read once, not 50,000 times each.
_FOOTNOTE_REF = re.compile(r"\[\^([^\[\]\s]+)\](?!:)")
_FOOTNOTE_NOTE = re.compile(r"^ {0,3}\[\^([^\[\]\s]+)\]:", re.MULTILINE)


@dataclass(frozen=True)
class Finding:
    """One problem in one file, where an editor must look."""

    path: str
    line: int
    severity: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.field}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Images(Protocol):
    """What the check asks of the site's images (``blog.images.pictures.Images``)."""

    def verdict(self, reference: str) -> Verdict | None: ...


@dataclass(frozen=True)
class Rules:
    """What the check holds files to, from the site's settings."""

    categories: Collection[str]
    embed_hosts: Collection[str]
    now: dt.datetime
    render_budget: float = 0  # seconds a field may take to render (RENDER_BUDGET); 0: no limit
    windows: Windows = DEFAULT_WINDOWS  # how long the front page's flags last


class Conflicts(Protocol):
    """What ``check_entries`` reads of an index: its conflicts (``Index.conflicts``)."""

    @property
    def conflicts(self) -> Sequence[Conflict]: ...


def check_entries(
    entries: dict[str, Entry],
    index: Conflicts,
    rules: Rules,
    texts: dict[str, str],
    parts_of: Callable[[Article], Parts],
    images: Images | None = None,
) -> list[Finding]:
    """Findings for the given files (path → entry), in path and line order.

    ``texts`` holds each file's text, used only to point at the line of a field;
    ``parts_of`` gives an article's sections and body (``Library.parts``); ``images``, when
    given, judges the images they show (never fetching one).
    """
    findings: list[Finding] = []
    verdicts: dict[str, Verdict | None] = {}  # an image many articles show is judged once
    timer = IsolatedRenderer(rules.embed_hosts)  # times costly fields; started if one is met
    try:
        for path, entry in sorted(entries.items()):
            if entry.error is not None:  # every problem the reading found, not the first
                findings += [
                    Finding(path, p.line, p.severity, p.field, p.message)
                    for p in entry.error.problems
                ]
            elif entry.article is not None:
                text, parts = texts.get(path, ""), parts_of(entry.article)
                findings += _article_findings(entry.article, rules, text, parts, timer)
                if images is not None:
                    findings += _image_findings(entry.article, text, parts, images, verdicts)
    finally:
        timer.stop()
    for conflict in index.conflicts:
        if conflict.path in entries:
            line = field_line(texts.get(conflict.path, ""), conflict.field)
            findings.append(Finding(conflict.path, line, "error", conflict.field, conflict.message))
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (f.path, f.line, order[f.severity]))


def _article_findings(
    article: Article, rules: Rules, text: str, parts: Parts, timer: IsolatedRenderer
) -> Iterable[Finding]:
    path = article.path
    for problem in article.problems:
        yield Finding(path, problem.line, problem.severity, problem.field, problem.message)
    allowed = {slugify(c) for c in rules.categories}
    if allowed and slugify(article.category or "") not in allowed:
        listed = ", ".join(rules.categories)
        yield Finding(
            path,
            field_line(text, "categoria"),
            "error",
            "categoria",
            f"{article.category or 'missing'!r} is not one of the categories: {listed}",
        )
    if article.draft:
        yield Finding(
            path, field_line(text, "draft"), "info", "draft", "not published while draft is true"
        )
    elif article.date > rules.now:
        when = article.date.strftime("%Y-%m-%d %H:%M UTC")
        yield Finding(path, field_line(text, "date"), "info", "date", f"scheduled for {when}")
    yield from _front_page_findings(article, rules, text)
    for key, markdown_text in parts:
        findings = list(_part_findings(path, key, markdown_text, rules, timer))
        if findings:  # the field's line, looked for only when there is something to say
            line = field_line(text, key) if key != "body" else _body_line(text)
            yield from (replace(f, line=line) for f in findings)


def _part_findings(
    path: str, key: str, markdown_text: str, rules: Rules, timer: IsolatedRenderer
) -> Iterable[Finding]:
    """A field's findings, at line 0 (the caller puts them at the field's line)."""
    if deeper_than(markdown_text, MAX_NESTING):
        depth = nesting_depth(markdown_text)
        yield Finding(
            path,
            0,
            "error",
            key,
            f"lists or quotes nest {depth} levels deep (at most {MAX_NESTING}): "
            "readers get this field as plain text",
        )
    if rules.render_budget > 0 and costly(markdown_text, TIMED_BYTES):
        yield from _render_time(Finding(path, 0, "error", key, ""), markdown_text, rules, timer)
    gone = removals(markdown_text, rules.embed_hosts)
    if gone:
        yield Finding(path, 0, "warning", key, "the sanitizer removes " + "; ".join(gone))
    if "[^" not in markdown_text:
        return
    # Each field is rendered on its own: a footnote's note must be in the same field.
    notes = set(_FOOTNOTE_NOTE.findall(markdown_text))
    for label in dict.fromkeys(_FOOTNOTE_REF.findall(markdown_text)):
        if label not in notes:
            yield Finding(
                path,
                0,
                "warning",
                key,
                f"footnote [^{label}] has no note [^{label}]: in this field, so it shows as "
                "written; put its note in the same field",
            )


def _front_page_findings(article: Article, rules: Rules, text: str) -> Iterable[Finding]:
    """The front page's flags that will not do what the editor probably meant."""
    path = article.path
    if article.pinned_until is not None and not article.category:
        yield Finding(
            path,
            field_line(text, "pinned_until"),
            "warning",
            "pinned_until",
            "no categoria: the article is pinned in no category; give it one",
        )
    if article.breaking_until is not None and not article.breaking:
        yield Finding(
            path,
            field_line(text, "breaking_until"),
            "warning",
            "breaking_until",
            "without breaking: true no strip shows; add it, or remove breaking_until",
        )
    end = rules.windows.breaking_end(article)
    if end is None or article.draft:
        return
    if article.breaking_until is not None and end <= article.date:
        yield Finding(
            path,
            field_line(text, "breaking_until"),
            "warning",
            "breaking_until",
            f"{_utc(end)} is not after the article's date: no strip shows",
        )
    elif end <= rules.now:
        hours = f"{rules.windows.breaking_hours:g}"
        why = (
            f"the strip ended at {_utc(end)}"
            if article.breaking_until
            else f"older than {hours} hours (BREAKING_HOURS) and no breaking_until"
        )
        yield Finding(
            path, field_line(text, "breaking"), "info", "breaking", f"{why}: no strip shows"
        )


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _image_findings(
    article: Article,
    text: str,
    parts: Parts,
    images: Images,
    verdicts: dict[str, Verdict | None],
) -> Iterable[Finding]:
    """A finding for each image the article shows that readers will not see as a picture,
    at the line of the field that names it."""
    shown = image_uses(article, parts)
    return image_findings(article.path, shown, images, verdicts, partial(field_start, text))


def image_uses(article: Article, parts: Parts) -> list[tuple[str, str]]:
    """The images an article shows, each once: (reference, field)."""
    return [(use.reference, use.field) for use in dict.fromkeys(uses(article, parts))]


def image_findings(
    path: str,
    shown: Iterable[tuple[str, str]],
    images: Images,
    verdicts: dict[str, Verdict | None],
    line_of: Callable[[str], int],
) -> Iterable[Finding]:
    """The findings of the images a file shows (``image_uses``), judged now: what the site's
    images are now decides, never a verdict kept from another run. ``line_of`` gives a
    field's line (asked only for a finding)."""
    for reference, field in shown:
        if reference not in verdicts:
            verdicts[reference] = images.verdict(reference)
        verdict = verdicts[reference]
        if verdict is None:
            continue
        named = reference if len(reference) <= 100 else reference[:99] + "…"
        yield Finding(path, line_of(field), verdict.severity, field, f"{named}: {verdict.message}")


def field_start(text: str, field: str) -> int:
    """The line a field starts at: the body's first line for the body."""
    return _body_line(text) if field == "body" else field_line(text, field)


def check_profiles(
    entries: dict[str, ProfileEntry], index: Index, rules: Rules, texts: dict[str, str]
) -> list[Finding]:
    """Findings for the given author profiles (path → entry), in path and line order."""
    findings: list[Finding] = []
    for path, entry in sorted(entries.items()):
        error = entry.error
        if error is not None:
            kept = (
                "its last good version is shown until it is fixed"
                if entry.profile
                else "the profile is not used: bylines show the name only"
            )
            message = f"{error.message} ({kept})"
            findings.append(Finding(path, error.line, "error", error.field or "file", message))
            continue
        profile = entry.profile
        if profile is None:
            continue
        shown = index.profiles.get(profile.slug)
        if shown is not None and shown.path != path:
            used = shown.path
            findings.append(
                Finding(
                    path,
                    1,
                    "error",
                    "file",
                    f"{used} is also for /author/{profile.slug}/ "
                    "and is the one shown; rename or remove one of them",
                )
            )
        findings += _profile_findings(profile, index, rules, texts.get(path, ""))
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (f.path, f.line, order[f.severity]))


def _profile_findings(profile: Profile, index: Index, rules: Rules, text: str) -> Iterable[Finding]:
    path = profile.path
    for problem in profile.problems:
        yield Finding(path, problem.line, problem.severity, problem.field, problem.message)
    if profile.bio:
        line = field_line(text, "bio") if "bio" in field_lines(text) else _body_line(text)
        if costly(profile.bio):
            yield Finding(
                path,
                line,
                "warning",
                "bio",
                "too long or too full of markup to render in "
                "time: the author page shows it as plain text",
            )
        gone = removals(profile.bio, rules.embed_hosts)
        if gone:
            yield Finding(path, line, "warning", "bio", "the sanitizer removes " + "; ".join(gone))
    if profile.slug not in index.authors:
        yield Finding(
            path,
            1,
            "info",
            "file",
            f"no published article is by this author (a byline whose name reads "
            f"'{profile.slug}' as a slug): /author/{profile.slug}/ is a 404 until one is",
        )


def _render_time(
    where: Finding, markdown_text: str, rules: Rules, timer: IsolatedRenderer
) -> Iterable[Finding]:
    """An error at ``where`` when the field takes longer to render than the budget allows."""
    try:
        timer.html_of_parts([(where.field, markdown_text)], rules.render_budget)
    except RenderFailed:
        return  # no render process could run here: the time is unknown, not over
    except OverBudget:
        yield replace(
            where,
            message=f"takes longer than {rules.render_budget:g} s to render (RENDER_BUDGET): "
            "readers get the article's last good version or its plain text; long runs of "
            "[, <, | or & usually cause it",
        )


def field_line(text: str, field: str) -> int:
    """The line where a top-level field starts in a file's text; 1 when it is not there.
    Only asked for a finding, so files without one are not searched."""
    return _lines_of(text).get(field, 1)


@functools.lru_cache(maxsize=8)
def _lines_of(text: str) -> Mapping[str, int]:
    """``field_lines`` of a file's text, searched once for all its findings (a file has
    several: its notes, its warnings)."""
    return MappingProxyType(field_lines(text))


def _body_line(text: str) -> int:
    """The first line after the closing '---' of the front matter."""
    closing = re.search(r"^-{3,}\s*$", text[3:], flags=re.MULTILINE) if text else None
    return text.count("\n", 0, closing.end() + 3) + 2 if closing else 1


def summary(findings: list[Finding], files: int) -> str:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    return (
        f"{files} file{'s' if files != 1 else ''} checked: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} notes"
    )
