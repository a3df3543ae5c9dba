"""The content folder on disk: which article files it holds, and what a listing says of them.

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


def is_article_name(name: str) -> bool:
    """``*.md``, but not hidden files (editors' swap files, half-written git objects)."""
    return name.endswith(".md") and not name.startswith(".")


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
                        if not item.name.startswith("."):  # .git and friends
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
