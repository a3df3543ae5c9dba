"""The author profiles of a content folder, read again as they change.

A handful of small files in ``authors/``, so no store and no incremental index: the library
hands this shelf the paths its watch names under ``authors/`` (or asks it to scan the folder
when the watch cannot say), the shelf reads those files again, and the profiles in use are
the last good version of each. A profile that no longer parses keeps its last good version,
as an article does; one that never parsed is simply absent, and bylines show the name as
written. Each problem is reported once, with file, line and field.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from blog.content.files import Stamp, inside, is_article_name, profile_names
from blog.content.profiles import Profile, ProfileError, parse_profile

Report = Callable[[str, str, int], None]  # (key, message, level): logged once per key


@dataclass(frozen=True, slots=True)
class ProfileEntry:
    """One profile file as last seen: its stamp, hash, last good profile and error."""

    stamp: Stamp
    source_hash: str
    profile: Profile | None
    error: ProfileError | None = None


class ProfileShelf:
    """Profiles from ``authors/`` of one content folder, by author slug."""

    def __init__(self, root: Path, max_bytes: int, report: Report) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.report = report
        self._entries: dict[str, ProfileEntry] = {}
        self.profiles: Mapping[str, Profile] = MappingProxyType({})

    @property
    def entries(self) -> dict[str, ProfileEntry]:
        """Every profile file seen, good or broken (a copy: for the check)."""
        return dict(self._entries)

    def scan(self) -> bool:
        """Read the files that changed since the last look; True when the profiles did."""
        seen: dict[str, os.stat_result] = dict(profile_names(self.root))
        changed = False
        for rel, st in seen.items():
            entry = self._entries.get(rel)
            if entry is None or entry.stamp != Stamp.of(st):
                changed |= self._read(rel)
        for gone in set(self._entries) - set(seen):
            del self._entries[gone]
            changed = True
        return self._settle(changed)

    def update(self, paths: Iterable[str]) -> bool:
        """Read again the files the watch named (paths under ``authors/``)."""
        changed = False
        for rel in paths:
            folder, _, name = rel.partition("/")
            if "/" not in name and is_article_name(name):
                changed |= self._read(f"{folder}/{name}")
        return self._settle(changed)

    def _settle(self, changed: bool) -> bool:
        if changed:
            profiles = (e.profile for e in self._entries.values() if e.profile is not None)
            by_slug = {p.slug: p for p in sorted(profiles, key=lambda p: p.path)}
            if by_slug == dict(self.profiles):
                return False  # a broken edit of a profile that keeps its last good version
            self.profiles = MappingProxyType(by_slug)
        return changed

    def _read(self, rel: str) -> bool:
        """(Re)read one profile file; True when its entry changed."""
        path = self.root / rel
        old = self._entries.get(rel)
        try:
            if path.is_symlink() and not inside(self.root, str(path)):
                raise FileNotFoundError(rel)
            st = path.stat()
            if st.st_size > self.max_bytes:
                limit = f"file is {st.st_size} bytes, over the {self.max_bytes} limit"
                return self._failed(rel, old, Stamp.of(st), f"size:{st.st_size}", limit)
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return self._entries.pop(rel, None) is not None
        except OSError as e:
            self.report(rel, f"{rel}:1: unreadable: {e}", logging.ERROR)
            return False
        source_hash = hashlib.sha256(data).hexdigest()
        if old is not None and old.source_hash == source_hash:
            self._entries[rel] = ProfileEntry(Stamp.of(st), source_hash, old.profile, old.error)
            return False
        try:
            profile = parse_profile(rel, data, source_hash)
        except ProfileError as e:
            return self._failed(rel, old, Stamp.of(st), source_hash, e)
        for p in profile.problems:
            self.report(
                f"{rel}:{source_hash}:{p.line}:{p.field}",
                f"{rel}:{p.line}: {p.field}: {p.message}",
                logging.WARNING,
            )
        self._entries[rel] = ProfileEntry(Stamp.of(st), source_hash, profile)
        return True

    def _failed(
        self,
        rel: str,
        old: ProfileEntry | None,
        stamp: Stamp,
        source_hash: str,
        error: ProfileError | str,
    ) -> bool:
        """A profile that does not parse keeps its last good version, if it had one."""
        if isinstance(error, str):
            error = ProfileError(rel, 1, None, error)
        last_good = old.profile if old else None
        kept = "keeping its last good version" if last_good else "bylines show the name only"
        self.report(f"{rel}:{source_hash}", f"{error} ({kept})", logging.ERROR)
        self._entries[rel] = ProfileEntry(stamp, source_hash, last_good, error)
        return True
