"""Parsed articles kept on disk between starts, so a restart reads only what changed.

A start-up otherwise parses every file's YAML again (about 0.6 ms a file: six seconds at
10,000 articles). The cache maps each file to the stamp it had (mtime, size, inode), its
content hash and its parsed ``Article``; a file whose stamp still matches is not read at all.
It is a pickle, so it lives in a private folder (mode 0700, ours, not writable by others)
and is ignored unless it was written by the same parser for the same time zone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
_PARSER_FILES = ("models.py", "quirks.py")


def default_folder() -> Path:
    return Path(tempfile.gettempdir()) / f"harbour-courier-{os.getuid()}"


def _parser_version(timezone: str) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{timezone}".encode())
    for name in _PARSER_FILES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


class ParseCache:
    """One content folder's parsed articles, in one file under a private folder."""

    def __init__(self, folder: Path, content_root: Path, timezone: str) -> None:
        name = hashlib.sha256(str(content_root.resolve()).encode()).hexdigest()[:16]
        self.folder = folder
        self.path = folder / f"{name}.pickle"
        self.version = _parser_version(timezone)

    def _private(self) -> bool:
        """True when the folder is ours and nobody else can write into it."""
        try:
            info = self.folder.stat()
        except OSError:
            return False
        return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)

    def read(self) -> dict[str, Any]:
        """Path → (stamp, source hash, article) as last written; empty when unusable."""
        if not self._private() or not self.path.is_file():
            return {}
        try:
            with self.path.open("rb") as file:
                stored = pickle.load(file)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as e:
            log.warning("parse cache %s unreadable (%s); reading every file", self.path, e)
            return {}
        if not isinstance(stored, dict) or stored.get("version") != self.version:
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def write(self, entries: dict[str, Any]) -> None:
        """Replace the cache atomically; a failure only costs the next start some time."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._private():
                log.warning("parse cache folder %s is not private; not writing", self.folder)
                return
            partial = self.path.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("wb") as file:
                pickle.dump(
                    {"version": self.version, "entries": entries},
                    file,
                    protocol=pickle.HIGHEST_PROTOCOL,
                )
            os.replace(partial, self.path)
        except OSError as e:
            log.warning("parse cache %s not written: %s", self.path, e)
