"""The images folder, in the on-disk store's folder (``STORE_DIR``/images; with ``off``, in
the store's temporary folder, gone with it):

``originals/ab/<sha256>``
    every image the site serves, local or fetched, by the hash of its bytes (a copy, so an
    edited file is a new image and the old one's sizes stay valid);
``info/ab/<sha256>.json``
    what the bytes are: format, size as shown, transparency, or why they cannot be used;
``remote/ab/<sha256 of the URL>.json``
    one record per remote URL: the hash of what it gave, or why it failed, how often, and
    when to try again (backoff: five minutes, doubled each time, at most a day);
``variants/ab/<name>``
    the sizes and formats made from the originals, named by fingerprint (``variants.py``):
    they never change, so they can be cached for good and served by nginx directly;
``locks/`` and ``tmp/``
    a lock per piece of work, so two processes (gunicorn's workers, hosts sharing the
    folder) never fetch or make the same thing at once; partial files, renamed into place
    when whole, so a reader never sees half a file.

``ab`` is the name's first two characters: no folder holds more than a fraction of them.
Everything here is plain files, so hosts may share the folder (NFS, say) or each keep
their own; a damaged record is read as missing and written again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from blog.images.probe import Identity, Info

log = logging.getLogger(__name__)

FIRST_RETRY = 300.0  # seconds before a failed fetch is tried again
LAST_RETRY = 86_400.0  # the longest wait between tries


@dataclass(frozen=True, slots=True)
class RemoteRecord:
    """What fetching one URL gave: the hash of its bytes, or why not and when to retry."""

    url: str
    sha: str = ""
    reason: str = ""
    lasting: bool = False
    svg: bool = False
    attempts: int = 0  # failed attempts in a row
    tried: float = 0.0  # time.time() of the last attempt
    retry_at: float = 0.0  # time.time() after which it may be tried again

    def due(self, now: float) -> bool:
        """True when a fetch may be tried (never fetched, or failed and its wait is over)."""
        return not self.sha and now >= self.retry_at

    def failed(self, reason: str, lasting: bool, svg: bool, now: float) -> RemoteRecord:
        """The record after one more failed attempt, with the wait before the next."""
        attempts = self.attempts + 1
        wait = min(LAST_RETRY, FIRST_RETRY * 2 ** (attempts - 1))
        return RemoteRecord(self.url, "", reason, lasting, svg, attempts, now, now + wait)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ImageFolder:
    """The folder's layout and its atomic reads and writes."""

    def __init__(self, root: Path, group_read: bool = False) -> None:
        self.root = root
        # With ``group_read``, the variants (only) are readable by the folder's group, so a
        # web server in it can serve them (``deploy/nginx-proxy.conf``); the rest stays private.
        self.group_read = group_read
        for name in ("originals", "info", "remote", "variants", "locks", "tmp"):
            (root / name).mkdir(mode=0o700, parents=True, exist_ok=True)
        if group_read:
            for folder in (root, root / "variants"):
                os.chmod(folder, 0o750)

    # Where things are

    def original(self, sha: str) -> Path:
        return self.root / "originals" / sha[:2] / sha

    def variant(self, name: str) -> Path:
        return self.root / "variants" / name[:2] / name

    def find_original(self, prefix: str) -> str | None:
        """The full hash of the original whose hash starts with ``prefix``, if any."""
        shard = self.root / "originals" / prefix[:2]
        try:
            names = [p.name for p in shard.iterdir() if p.name.startswith(prefix)]
        except OSError:
            return None
        return min(names) if names else None

    # Originals and their info

    def keep_original(self, data: bytes) -> str:
        """Store ``data`` by its hash (once); the hash."""
        sha = sha256(data)
        if not self.original(sha).exists():
            self.write_bytes(self.original(sha), data)
        return sha

    def info(self, sha: str) -> Info | None:
        raw = self.read_json(self._info_path(sha))
        if raw is None:
            return None
        try:
            identity = Identity(**raw["identity"]) if raw.get("identity") else None
            return Info(
                sha, int(raw["size"]), identity, str(raw.get("reason", "")),
                bool(raw.get("svg")), bool(raw.get("decoded")),
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return None  # damaged: probed again

    def put_info(self, info: Info) -> None:
        """Record what an original is; a disk that fails only costs reading it again."""
        try:
            self.write_json(self._info_path(info.sha), asdict(info))
        except OSError as e:
            log.warning("images: %s not recorded: %s", info.sha[:16], e)

    def _info_path(self, sha: str) -> Path:
        return self.root / "info" / sha[:2] / f"{sha}.json"

    # Remote URLs

    def remote(self, url: str) -> RemoteRecord | None:
        raw = self.read_json(self._remote_path(url))
        try:
            return RemoteRecord(**raw) if raw and raw.get("url") == url else None
        except TypeError:
            return None

    def put_remote(self, record: RemoteRecord) -> None:
        self.write_json(self._remote_path(record.url), asdict(record))

    def _remote_path(self, url: str) -> Path:
        key = sha256(url.encode())
        return self.root / "remote" / key[:2] / f"{key}.json"

    # Files, whole or not at all

    def write_bytes(self, path: Path, data: bytes) -> None:
        """Write ``path`` through a temporary file renamed into place."""
        shared = self.group_read and path.parent.parent == self.root / "variants"
        if not path.parent.is_dir():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if shared:
                os.chmod(path.parent, 0o750)  # not left to the umask
        handle, temporary = tempfile.mkstemp(dir=self.root / "tmp", prefix=path.name[:20])
        try:
            if shared:
                os.fchmod(handle, 0o640)
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def write_json(self, path: Path, value: dict[str, Any]) -> None:
        self.write_bytes(path, json.dumps(value, ensure_ascii=False).encode())

    def read_json(self, path: Path) -> dict[str, Any] | None:
        """The record at ``path``, or None when it is missing or damaged."""
        try:
            value = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    @contextlib.contextmanager
    def claim(self, key: str) -> Iterator[bool]:
        """``with folder.claim(key) as mine:`` True while no other process or thread holds
        ``key``; the holder does the work, the others leave it to them."""
        path = self.root / "locks" / f"{sha256(key.encode())[:32]}.lock"
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield False
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            yield True
        finally:
            os.close(handle)  # releases the lock

    def tidy(self, older_than: float = 3600.0) -> None:
        """Remove partial files left by a process that died mid-write."""
        limit = time.time() - older_than
        for path in (self.root / "tmp").iterdir():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < limit:
                    path.unlink()
