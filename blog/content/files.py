"""The content folder on disk: which article files it holds, and what a listing says of them.

The ``authors/`` folder at its top holds author profiles, not articles: the walk leaves it
out, and ``profile_names`` lists it for the profiles' reader (``profile_shelf.py``).

A scan lists the folder an entry at a time (a big archive's directory entries held at
once would make every scan's peak memory grow with the folder), never follows a link out of
the folder, and tells a folder that cannot be listed (moved away, unmounted) from one whose
articles were deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

AUTHORS_FOLDER = "authors"  # content/authors/<slug>.md: author profiles, not articles


def is_article_name(name: str) -> bool:
    """``*.md``, but not hidden files (editors' swap files, half-written git objects)."""
    return name.endswith(".md") and not name.startswith(".")


def is_profile_path(rel: str) -> bool:
    """True for a path under the top-level ``authors/`` folder (a profile, or a file beside
    the profiles): never an article."""
    return rel.split("/", 1)[0] == AUTHORS_FOLDER and rel != AUTHORS_FOLDER


def is_article_path(rel: str) -> bool:
    """True for a path the library reads as an article: an article name, outside
    ``authors/``."""
    return is_article_name(os.path.basename(rel)) and not is_profile_path(rel)


class Stamp(NamedTuple):
    """What a directory listing can tell about a file without reading it."""

    mtime_ns: int
    size: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> Stamp:
        return cls(st.st_mtime_ns, st.st_size, st.st_ino)


class FolderUnreadable(Exception):
    """The content folder itself cannot be listed."""


def _entries_of(listing: Iterator[os.DirEntry[str]]) -> Iterator[os.DirEntry[str]]:
    """A folder's entries; a folder removed while being listed simply ends early."""
    while True:
        try:
            yield next(listing)
        except (StopIteration, OSError):
            return


def walk(root: Path, report: Callable[[str], None]) -> Iterator[tuple[str, os.stat_result]]:
    """Every article file under the root, as (relative path, stat); ``report`` is told
    once, and ``FolderUnreadable`` raised, when the root itself cannot be listed."""
    stack = [""]
    while stack:
        folder = stack.pop()
        try:
            listing = os.scandir(root / folder)
        except OSError as e:
            if folder == "":
                report(f"content folder {root} unreadable: {e}")
                raise FolderUnreadable from e
            continue
        with listing:
            for item in _entries_of(listing):
                rel = os.path.join(folder, item.name) if folder else item.name
                try:
                    if item.is_dir(follow_symlinks=False):
                        # .git and friends; the authors' profiles, which are not articles
                        if not item.name.startswith(".") and rel != AUTHORS_FOLDER:
                            stack.append(rel)
                    elif not is_article_name(item.name):
                        continue
                    elif item.is_symlink() and not inside(root, item.path):
                        continue  # never read a file outside the content folder
                    elif item.is_file():
                        yield rel, item.stat()
                except OSError:
                    continue  # vanished mid-scan: the next scan settles it


def inside(root: Path, path: str) -> bool:
    """True when ``path``, links resolved, is in the content folder."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def profile_names(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """Every profile file, ``authors/<slug>.md``, as (relative path, stat): the folder's own
    ``*.md`` files (none when it is missing), links out of the content folder left out."""
    folder = root / AUTHORS_FOLDER
    try:
        listing = os.scandir(folder)
    except OSError:
        return
    with listing:
        for item in _entries_of(listing):
            if not is_article_name(item.name):
                continue
            try:
                if item.is_symlink() and not inside(root, item.path):
                    continue
                if item.is_file():
                    yield f"{AUTHORS_FOLDER}/{item.name}", item.stat()
            except OSError:
                continue
