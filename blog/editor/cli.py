"""The editors' commands: ``flask --app app content check|new|list|preview|pull|purge``.

``courier-check`` is the check on its own, for pre-commit hooks and CI jobs in a content
repository: ``courier-check [--content-dir DIR] [--strict] [--format json] [PATHS…]``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml
from flask import Flask, current_app, url_for
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from blog.content import git
from blog.content.fields import slugify
from blog.content.library import Entry, Library
from blog.web import previews
from blog.web.state import get_images, get_library, get_settings

if TYPE_CHECKING:
    from blog.editor.check import Rules


def _check_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options ``flask content check`` and ``courier-check`` share."""
    for option in reversed(
        (
            click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text"),
            click.option("--strict", is_flag=True, help="Treat warnings as errors."),
            click.option(
                "--changed",
                is_flag=False,
                flag_value="HEAD",
                default=None,
                metavar="[COMMIT]",
                help="Only the files that differ from COMMIT (default HEAD) or are new, as git "
                "says.",
            ),
        )
    ):
        command = option(command)
    return command


content = AppGroup("content", help="Check, write, list, preview and publish articles.")


@content.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_check_options
def check_command(paths: tuple[Path, ...], fmt: str, strict: bool, changed: str | None) -> None:
    """Check PATHS (files or folders; default: the whole content folder)."""
    sys.exit(run_check(paths, fmt, strict, changed))


def run_check(
    paths: Sequence[Path], fmt: str = "text", strict: bool = False, changed: str | None = None
) -> int:
    """Print the findings for ``paths``; the exit status: 1 when there are errors. With
    ``changed`` (a commit), only the files among them that git says differ from it."""
    # Here, not at the top: the site imports this module, and needs none of the check.
    from blog.editor.check import Finding, check_profiles, summary
    from blog.editor.check_files import check_files

    findings: list[Finding] = []
    files = 0
    get_library().reports.release(log_them=False)  # printed below, each once
    if changed is not None:
        paths = _changed(paths, changed)
    for library, selected in _libraries_for(paths) if paths or changed is None else ():
        profiles = library.profile_entries
        # Every file's path (``entries``' keys, without making each entry whole: the check
        # reads the files again anyway).
        chosen = list(library.files.paths()) if selected is None else library.entries_of(selected)
        authors = {rel: profiles[rel] for rel in profiles if selected is None or rel in selected}
        missing = (selected or set()) - set(chosen) - set(profiles)
        texts = {rel: _read_text(library.root / rel) for rel in authors}
        index, rules = library.index(), _rules(library)
        findings += check_files(library, chosen, rules, get_images())
        findings += check_profiles(authors, index, rules, texts)
        findings += [
            Finding(rel, 1, "error", "file", "not readable as an article")
            for rel in sorted(missing)
        ]
        files += len(chosen) + len(authors) + len(missing)
    failing = {"error", "warning"} if strict else {"error"}
    if fmt == "json":
        click.echo(
            json.dumps(
                {"findings": [f.as_dict() for f in findings], "summary": summary(findings, files)},
                indent=1,
            )
        )
    else:
        for finding in findings:
            click.echo(str(finding))
        click.echo(summary(findings, files))
    return 1 if any(f.severity in failing for f in findings) else 0


def _changed(paths: Sequence[Path], commit: str) -> list[Path]:
    """The files of the content folder that differ from ``commit``, within ``paths`` if any
    are given."""
    from blog.editor.changed import NotAvailable, changed_files

    try:
        found = changed_files(get_library().root, commit)
    except NotAvailable as e:
        raise click.ClickException(f"--changed {commit}: {e}") from e
    within = [p.resolve() for p in paths]
    return [
        path
        for path in found
        if not within or any(path.resolve().is_relative_to(w) for w in within)
    ]


def _libraries_for(paths: Sequence[Path]) -> list[tuple[Library, set[str] | None]]:
    """The app's library for paths inside its folder; a library of their own for others."""
    app_library = get_library()
    if not paths:
        return [(app_library, None)]
    groups: dict[Path, tuple[Library, set[str]]] = {}
    for path in paths:
        resolved = path.resolve()
        root = app_library.root.resolve()
        if not resolved.is_relative_to(root):
            root = resolved if resolved.is_dir() else resolved.parent
        if root not in groups:
            library = app_library if root == app_library.root.resolve() else _library_at(root)
            groups[root] = (library, set())
        library, selected = groups[root]
        if resolved.is_dir():
            known = (*library.entries, *library.profile_entries)
            selected |= {rel for rel in known if (root / rel).is_relative_to(resolved)}
        else:
            selected.add(resolved.relative_to(root).as_posix())
    return list(groups.values())


def _library_at(root: Path) -> Library:
    """The folder of files checked outside the content folder: read whole (an address two
    files claim is a problem of each), its problems shown only for the files asked for."""
    library = get_library().elsewhere(root)
    library.reports.hold()
    library.load()
    library.reports.release(log_them=False)
    return library


def _rules(library: Library) -> Rules:
    from blog.editor.check import Rules

    settings = get_settings()
    return Rules(
        settings.CATEGORIES,
        settings.EMBED_HOSTS,
        library.clock(),
        settings.RENDER_BUDGET,
        library.windows,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return ""


@click.command("courier-check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--content-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="The content folder (default: the current one).",
)
@_check_options
def check_main(
    paths: tuple[Path, ...], content_dir: Path, fmt: str, strict: bool, changed: str | None
) -> None:
    """The check for pre-commit and CI: the same as ``flask content check``."""
    from blog import create_app

    app = create_app({"CONTENT_DIR": str(content_dir.resolve())})
    with app.app_context():
        sys.exit(run_check(paths, fmt, strict, changed))


def new_article_text(title: str, now: dt.datetime, category: str, tags: str, deals: bool) -> str:
    """A new article in the editors' exact format: a draft (nothing goes live unfinished),
    every field present, the ones to write empty."""
    stamp = (
        now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    )
    lines = [
        "---",
        f"title: {_scalar(title)}",
        f"date: {stamp}",
        "draft: true",
        'author: ""',
        'featuredimage: ""',
        'featuredimage_alt: ""',
        'featuredimage_caption: ""',
        'featuredimage_credit: ""',
        f"categoria: {_scalar(category)}",
        f"deals: {'Yes' if deals else 'No'}",
        "tags:",
        f"  - {json.dumps(tags, ensure_ascii=False)}",
        'short-description: ""',
        *(f'mk{n}: ""' for n in range(1, 6)),
        "---",
        "",
    ]
    return "\n".join(lines)


def _scalar(value: str) -> str:
    """A YAML scalar as an editor would write it: plain when plain reads back the same."""
    if value and yaml.safe_load(value) == value and not value.startswith(("'", '"')):
        return value
    return json.dumps(value, ensure_ascii=False)


@content.command("new")
@click.argument("title")
@click.option("--category", default="", help="The article's categoria.")
@click.option("--tags", default="", help='Hashtags, as editors write them: "#AI #Amazon".')
@click.option("--deals", is_flag=True, help="Mark the article as a deal.")
def new_command(title: str, category: str, tags: str, deals: bool) -> None:
    """Write content/YYYY-MM-DD-slug.md for TITLE; never overwrites a file."""
    library = get_library()
    slug = slugify(title)
    if not slug:
        raise click.ClickException("the title needs at least one letter or digit")
    now = library.clock()
    path = library.root / f"{now:%Y-%m-%d}-{slug}.md"
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(new_article_text(title, now, category, tags, deals))
    except FileExistsError as e:
        raise click.ClickException(f"{path} already exists; not overwriting it") from e
    click.echo(str(path))
    click.echo("a draft: remove the line draft: true when it is ready to publish", err=True)


@content.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_command(fmt: str) -> None:
    """Every article with its state (published, draft, scheduled or broken), newest first."""
    library = get_library()
    library.reports.release(log_them=False)  # broken files are listed as such
    index = library.index()
    now = library.clock()
    slugs = {a.path: a.slug for a in (*index.articles, *index.unpublished.values())}
    rows = [_row(rel, entry, slugs.get(rel, ""), now) for rel, entry in library.entries.items()]
    # Newest first; files that never read as an article (no date) after them, by name.
    rows.sort(key=lambda row: row["file"])
    rows.sort(key=lambda row: row["date"] or "", reverse=True)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    click.echo("\t".join(LIST_COLUMNS))
    for row in rows:
        shown = {**row, "date": row["date"][:16].replace("T", " ") if row["date"] else "-"}
        click.echo("\t".join(shown[column] or "-" for column in LIST_COLUMNS))


LIST_COLUMNS = ("state", "date", "slug", "file", "title")


def _row(rel: str, entry: Entry, slug: str, now: dt.datetime) -> dict[str, str]:
    article = entry.article
    if article is None:
        error = str(entry.error)
        return {"state": "broken", "date": "", "slug": "", "file": rel, "title": error}
    if entry.error is not None:
        state = "broken (last good version served)"
    elif article.draft:
        state = "draft"
    elif article.date > now:
        state = "scheduled"
    else:
        state = "published"
    date = article.date.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return {"state": state, "date": date, "slug": slug, "file": rel, "title": article.title}


@content.command("preview")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--hours", type=float, default=None, help="How long the link works.")
def preview_command(file: Path, hours: float | None) -> None:
    """Print a signed link to preview FILE (a draft or scheduled article)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = get_settings(app)
    secret = settings.SECRET_KEY
    if not secret:
        raise click.ClickException(
            "previews need SECRET_KEY, the site's secret that signs their links: set "
            "FLASK_SECRET_KEY to a long random text, the same for the site and this command"
        )
    if not settings.SITE_URL:
        raise click.ClickException(
            "the link must point at the site: set SITE_URL to its public address "
            "(FLASK_SITE_URL=https://news.example)"
        )
    library = get_library()
    index = library.index()
    rel = _relative(library, file)
    found = next((a for a in (*index.unpublished.values(), *index.articles) if a.path == rel), None)
    if found is None:
        raise click.ClickException(f"{file} is not an article the site can read; run the check")
    life = hours if hours is not None else settings.PREVIEW_HOURS
    expires = int(time.time() + life * 3600)
    # The site's origin and its mount path: the link is the one readers' requests reach.
    base = settings.SITE_URL.rstrip("/") + settings.SCRIPT_NAME
    with app.test_request_context(base_url=base):
        click.echo(
            url_for(
                "site.preview_article",
                slug=found.slug,
                expires=expires,
                signature=previews.signature(secret, found.slug, expires),
                _external=True,
            )
        )


def _relative(library: Library, file: Path) -> str:
    resolved = file.resolve()
    root = library.root.resolve()
    if resolved.is_relative_to(root):
        return resolved.relative_to(root).as_posix()
    return file.as_posix()


@click.command("freeze")
@with_appcontext
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--base-url",
    default=None,
    help="The public origin for absolute URLs (default: SITE_URL, else localhost).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="PATH",
    help="Write only this page (repeatable), with the assets: to refresh a few pages.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Write every page, even those an earlier freeze into TARGET left right.",
)
def freeze_command(target: Path, base_url: str | None, only: tuple[str, ...], full: bool) -> None:
    """Write the whole site (pages, feeds, sitemaps, assets) as static files into TARGET;
    into a folder frozen before, only the pages that show an article changed since."""
    from blog.editor.freeze import freeze

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    get_library(app).reports.release()  # what is not frozen as written is worth a log line
    origin = base_url or str(get_settings(app).SITE_URL or "http://localhost")
    start = time.perf_counter()
    done = freeze(app, target, origin, only or None, full)
    click.echo(
        f"wrote {done.written} files to {target} in {time.perf_counter() - start:.1f} s "
        f"({done.kept} pages kept; {done.why})"
    )


@content.command("pull")
def pull_command() -> None:
    """Run ``git pull --ff-only`` in the content folder (what the webhook does)."""
    result = git.pull(get_library().root)
    click.echo(result.output)
    if not result.ok:
        sys.exit(1)


@content.command("purge")
@click.argument("keys", nargs=-1, required=True)
def purge_command(keys: tuple[str, ...]) -> None:
    """Purge KEYS (as Surrogate-Key names them; everything: every page) from the caches in
    front, now: after a deploy, or when the site was down while articles changed."""
    purging = current_app.extensions.get("blog.purging")
    if purging is None:
        click.echo(
            "No cache to purge: set PURGE_VARNISH_URL, PURGE_NGINX_URL, FASTLY_* or "
            "CLOUDFLARE_* (docs/operators.md).",
            err=True,
        )
        sys.exit(1)
    results = purging.purge_now(keys)
    for name, result in results.items():
        click.echo(f"{name}: {result}")
    if any(result != "ok" for result in results.values()):
        sys.exit(1)


def environment_names() -> frozenset[str]:
    """The ``FLASK_*`` variables the ``flask`` command itself reads: click takes any option
    of Flask's and of these commands from one (``FLASK_RUN_PORT``,
    ``FLASK_CONTENT_CHECK_FORMAT``), and Flask marks its own runs (``FLASK_RUN_FROM_CLI``).
    The settings must not mistake them for misspelt settings."""
    names = {"FLASK_RUN_FROM_CLI", "FLASK_SKIP_DOTENV"}

    def walk(command: click.Command, prefix: str) -> None:
        names.update(f"{prefix}_{p.name}".upper() for p in command.params if p.name)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{prefix}_{name}".replace("-", "_"))

    group = FlaskGroup()
    for command in (content, freeze_command):
        group.add_command(command)
    walk(group, "FLASK")
    return frozenset(names)
