"""The check as a pre-commit hook runs it, without starting the site: ``courier-hook``.

    courier-hook [--content-dir DIR] [--format text|json] [--strict] [COMMIT]

The same findings, exit status and output as ``flask --app app content check --changed
[COMMIT]`` (and ``courier-check --changed``), in a fraction of its time: it imports no Flask
and reads neither the library nor its snapshot. The files git lists as changed are parsed
and checked on their own, as the check does; what depends on other files (a slug two files
claim, an alias onto a live address, an author's articles) is settled from a table of the
slug each file claims, kept in the store's folder and valid for one commit of the content
folder (the tree git names for it): the files git says are unchanged are as they were in
that commit, and the few others are read again.

Whenever that cannot be settled for certain, the hook runs the whole check instead (the
slower path, which then writes the table for the commit): no table yet, or one for a commit
too far from ``HEAD``; a changed file that does not parse, has aliases, or claims a slug
another file claims too; a changed author profile; another ``COMMIT`` than ``HEAD``;
settings it cannot read alone; git unable to answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from blog.content.files import is_article_path, is_profile_path
from blog.editor.changed import NotAvailable, git_output, is_checked

if TYPE_CHECKING:
    from blog.content.library import Library
    from blog.content.reading import Entry
    from blog.content.store import Parts
    from blog.editor.check import Finding
    from blog.images.models import Verdict
    from blog.settings import Settings

MAX_DRIFT = 200  # files changed between the table's commit and HEAD that are read again
TABLE_FORMAT = 1
# The code that decides which slug a file claims: a change to it makes the table another one.
_CODE = ("content/models.py", "content/fields.py", "content/quirks.py", "editor/hook.py")


class Slower(Exception):
    """The hook cannot settle the findings for certain alone: the whole check runs."""


@dataclass(frozen=True)
class Changes:
    """What git says of the content folder against ``HEAD``."""

    tree: str  # the content folder's tree at HEAD
    checked: list[str]  # article and profile files changed or new (not ignored), existing
    unsure: set[str]  # every path whose file may differ from HEAD's (deleted, ignored…)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="courier-hook", description="The check of the files changed since COMMIT."
    )
    parser.add_argument("commit", nargs="?", default="HEAD", metavar="COMMIT")
    parser.add_argument("--content-dir", type=Path, default=None)
    parser.add_argument("--format", dest="fmt", choices=("text", "json"), default="text")
    parser.add_argument("--strict", action="store_true", help="Treat warnings as errors.")
    args = parser.parse_args(argv)
    try:
        return quick(args.content_dir, args.fmt, args.strict, args.commit)
    except Slower:
        return slower(args.content_dir, args.fmt, args.strict, args.commit)


def quick(content_dir: Path | None, fmt: str, strict: bool, commit: str) -> int:
    """The findings of the changed files, settled without the library; ``Slower`` when
    they cannot be."""
    from blog.settings import SettingsError, load

    if commit != "HEAD":
        raise Slower("another commit")
    try:
        settings, _ = load()
    except SettingsError as e:
        raise Slower(str(e)) from e
    root = Path(content_dir or settings.CONTENT_DIR or _default_content()).resolve()
    table = _table_path(settings, root)
    changes = _changes(root)
    if table is None or not table.is_file():
        raise Slower("no table")
    if any(is_profile_path(rel) for rel in changes.checked):
        raise Slower("an author profile, or a file among them")
    findings, files = _findings(root, settings, table, changes)
    return _print(findings, files, fmt, strict)


def _findings(
    root: Path, settings: Settings, table: Path, changes: Changes
) -> tuple[list[Finding], int]:
    from blog.content.models import site_timezone
    from blog.content.reading import FileReader

    reader = FileReader(root, site_timezone(settings.SITE_TIMEZONE), settings.MAX_ARTICLE_BYTES)
    with _open(table) as db:
        tree = _meta(db, settings)
        drift = _drift(root, tree, changes.tree)
        if len(drift) > MAX_DRIFT:
            raise Slower("too far from HEAD")
        holes = {row[0] for row in db.execute("SELECT path FROM holes")}
        # Files whose slug the table may not know as they are now: read again.
        again = (holes | drift | changes.unsure) - set(changes.checked)
        entries: dict[str, Entry] = {}
        parts: dict[str, Parts] = {}
        for rel in changes.checked:
            reading = reader.read(rel, None)
            if reading.entry is None or reading.entry.article is None:
                raise Slower(f"{rel} does not parse")
            if reading.entry.article.aliases:
                raise Slower(f"{rel} has aliases")
            entries[rel], parts[rel] = reading.entry, reading.text or []
        claims: dict[str, set[str]] = {}
        for rel in sorted(again):
            if is_checked(rel) and is_article_path(rel) and (root / rel).is_file():
                entry = reader.read(rel, None).entry
                if entry is not None and entry.article is not None:
                    claims.setdefault(entry.article.slug, set()).add(rel)
        for rel, entry in entries.items():
            assert entry.article is not None
            slug = entry.article.slug
            others = claims.get(slug, set()) | {
                o for o, e in entries.items() if e.article is not None and e.article.slug == slug
            }
            others |= (
                {row[0] for row in db.execute("SELECT path FROM claims WHERE slug = ?", (slug,))}
                - again
                - set(entries)
            )
            if others - {rel}:
                raise Slower(f"{rel}: its slug is claimed by another file")
    return _check(root, settings, entries, parts), len(entries)


def _check(
    root: Path, settings: Settings, entries: dict[str, Entry], parts: dict[str, Parts]
) -> list[Finding]:
    from blog.content.flags import Windows
    from blog.editor.check import Rules, check_entries

    windows = Windows(settings.FEATURED_HOURS, settings.BREAKING_HOURS)
    now = dt.datetime.now(dt.UTC)  # the library's clock (``utc_now``)
    rules = Rules(settings.CATEGORIES, settings.EMBED_HOSTS, now, settings.RENDER_BUDGET, windows)
    texts = {rel: _read_text(root / rel) for rel in entries}
    images = _LazyImages(settings)
    return check_entries(
        entries, _NoConflicts(), rules, texts, lambda article: parts[article.path], images
    )


class _NoConflicts:
    """An index without conflicts: those that involve the changed files were ruled out."""

    conflicts: tuple[()] = ()


class _LazyImages:
    """The site's images, made when an article shows one (Pillow is not imported before)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._images: object = None

    def verdict(self, reference: str) -> Verdict | None:
        from blog.images.pictures import Images

        if self._images is None:
            self._images = _images(self.settings)
        assert isinstance(self._images, Images)
        return self._images.verdict(reference)


def _images(settings: Settings) -> object:
    """The images as the site makes them (``blog/web/site.py``), beside the store or in
    ``IMAGES_DIR``."""
    from blog.images.configured import image_rules, media_roots
    from blog.images.pictures import Images

    folder = (
        Path(settings.IMAGES_DIR) if settings.IMAGES_DIR else _store_folder(settings) / "images"
    )
    return Images(folder, media_roots(settings), image_rules(settings))


def slower(content_dir: Path | None, fmt: str, strict: bool, commit: str) -> int:
    """The whole check (``courier-check --changed COMMIT``), then the table for ``HEAD``."""
    from blog import create_app
    from blog.editor.cli import run_check
    from blog.web.state import get_library, get_settings

    overrides = {"CONTENT_DIR": str(content_dir.resolve())} if content_dir else None
    app = create_app(overrides)
    with app.app_context():
        status = run_check((), fmt, strict, commit)
        remember(get_library(), get_settings())
    return status


def remember(library: Library, settings: Settings) -> None:
    """Write the table of the slug each file claims, for the commit at ``HEAD``: the files
    git says differ from it are left out (holes, read again when used)."""
    root = library.root.resolve()
    table = _table_path(settings, root)
    if table is None:
        return
    try:
        changes = _changes(root)
    except Slower:
        return
    files = library.files
    records = files.records
    rows = [(records.path(rid), records.slug(rid)) for rid in files.table.ids]
    holes = changes.unsure | set(changes.checked) | set(files.broken)
    try:
        with _open(table) as db:
            db.execute("DELETE FROM meta")
            db.execute("DELETE FROM claims")
            db.execute("DELETE FROM holes")
            db.executemany(
                "INSERT OR REPLACE INTO claims (path, slug) VALUES (?, ?)",
                ((path, slug) for path, slug in rows if path not in holes),
            )
            db.executemany("INSERT OR IGNORE INTO holes (path) VALUES (?)", ((h,) for h in holes))
            db.execute("INSERT INTO meta (tree, key) VALUES (?, ?)", (changes.tree, _key(settings)))
    except sqlite3.Error:
        table.unlink(missing_ok=True)


def _table_path(settings: Settings, root: Path) -> Path | None:
    if settings.STORE_DIR == "off":
        return None
    folder = _store_folder(settings)
    try:
        st = folder.stat()
    except OSError:
        return None  # no table yet: the whole check makes the folder, as the site does
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None  # a folder others may write to: the site does not use it either
    name = hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return folder / f"{name}-hook.sqlite3"


def _store_folder(settings: Settings) -> Path:
    from blog.content.store import default_folder

    return Path(settings.STORE_DIR) if settings.STORE_DIR else default_folder()


def _default_content() -> str:
    from blog import paths

    return paths.DEFAULT_CONTENT


class _Db:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        self.db = sqlite3.connect(self.path, timeout=5)
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS meta (tree TEXT NOT NULL, key TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS claims (path TEXT PRIMARY KEY, slug TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS claims_slug ON claims (slug);"
            "CREATE TABLE IF NOT EXISTS holes (path TEXT PRIMARY KEY);"
        )
        return self.db

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.db.commit()
        self.db.close()


def _open(path: Path) -> _Db:
    return _Db(path)


def _meta(db: sqlite3.Connection, settings: Settings) -> str:
    """The table's commit (its tree), if it was written by this code under these settings."""
    try:
        row = db.execute("SELECT tree, key FROM meta").fetchone()
    except sqlite3.Error as e:
        raise Slower(str(e)) from e
    if row is None or row[1] != _key(settings):
        raise Slower("another table")
    return str(row[0])


def _key(settings: Settings) -> str:
    """What the slugs the table holds depend on besides the files."""
    digest = hashlib.sha256(f"{TABLE_FORMAT}:{settings.MAX_ARTICLE_BYTES}".encode())
    digest.update(settings.SITE_TIMEZONE.encode())
    package = Path(__file__).resolve().parent.parent
    for name in _CODE:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:16]


def _changes(root: Path) -> Changes:
    """What git says of the content folder: its tree at HEAD, the files to check (those
    ``changed.py`` lists: differing from HEAD, or new and not ignored), and every path that
    may differ from HEAD's (ignored files too). One ``git status`` where ``changed.py``
    runs two listings; a path changed both in the index and after it may be back as it
    was at HEAD, and only those are asked of ``git diff``."""
    prefix, tree = _git(root, "rev-parse", "--show-prefix", "HEAD:./").split("\n")[:2]
    status = _git(
        root,
        "status",
        "--porcelain=v1",
        "-z",
        "--no-renames",
        "--ignored=traditional",
        "--untracked-files=all",
        "--",
        ".",
    )
    unsure: set[str] = set()
    changed: set[str] = set()
    twice: list[str] = []
    for item in status.split("\0"):
        if len(item) < 4:
            continue
        code, rel = item[:2], item[3:].removeprefix(prefix)
        unsure.add(rel)
        if code == "!!":
            continue
        if code == "??" or " " in code:
            changed.add(rel)
        else:
            twice.append(rel)
    if twice:
        diff = _git(root, "diff", "--name-only", "--relative", "-z", "HEAD", "--", *twice)
        changed.update(rel for rel in diff.split("\0") if rel)
    checked = sorted(rel for rel in changed if is_checked(rel) and (root / rel).is_file())
    return Changes(tree, checked, unsure)


def _drift(root: Path, old: str, new: str) -> set[str]:
    """The paths that differ between two trees of the content folder."""
    if old == new:
        return set()
    out = _git(root, "diff-tree", "-r", "--name-only", "--no-renames", "-z", old, new, "--")
    return {rel for rel in out.split("\0") if rel}


def _git(root: Path, *args: str) -> str:
    """Git's answer, or ``Slower`` when it has none (not a checkout, git missing)."""
    try:
        return git_output(root, *args)
    except NotAvailable as e:
        raise Slower(str(e)) from e


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return ""


def _print(findings: Iterable[Finding], files: int, fmt: str, strict: bool) -> int:
    from blog.editor.check import summary

    found = list(findings)
    failing = {"error", "warning"} if strict else {"error"}
    if fmt == "json":
        report = {"findings": [f.as_dict() for f in found], "summary": summary(found, files)}
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    else:
        lines = [str(f) for f in found] + [summary(found, files)]
        sys.stdout.write("\n".join(lines) + "\n")
    return 1 if any(f.severity in failing for f in found) else 0


def run() -> None:
    """The console script's entry."""
    sys.exit(main())


if __name__ == "__main__":
    run()
