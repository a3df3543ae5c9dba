"""``Images``: what the web layer and the check ask of the images layer (see ``__init__``).

It answers from what is on disk: a local file's header (read once per version of the file,
then remembered), a remote URL's record, the variants' sizes computed from the original's.
Only ``prepare`` (background) fetches and makes everything, and only ``variant_file`` makes
one variant while a reader waits, bounded by ``BoundedMaker``; a reader it cannot serve
within a moment gets the nearest image of the picture already on disk instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from PIL import Image

from blog.images import variants
from blog.images.fetch import Fetched, fetch
from blog.images.folder import ImageFolder, RemoteRecord, sha256
from blog.images.local import LocalFiles
from blog.images.maker import BoundedMaker, Busy
from blog.images.models import ImageRules, NoPicture, Picture, VariantFile, Verdict
from blog.images.probe import DECODE_ERRORS, MIME, Identity, Info, Unusable, describe, identify
from blog.images.references import kind
from blog.images.variants import Variant

__all__ = ["ImageRules", "Images", "NoPicture", "Picture", "VariantFile", "Verdict"]

log = logging.getLogger(__name__)

NAME = re.compile(
    r"^([0-9a-f]{16})-(w\d{1,4}|social|1x1|4x3|16x9)-[0-9a-f]{10}\.(avif|webp|jpg|png)$"
)
RECHECK = 5.0  # seconds before a remote URL's record is read again while it has no image
MEMO = 8192  # images remembered per process
SVG_SUFFIXES = (".svg", ".svgz")


class Images:
    """The images of one site: pictures for pages, variants on demand, background work."""

    def __init__(
        self,
        folder: Path,
        roots: Mapping[str, Path],
        rules: ImageRules,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = ImageFolder(folder, group_read=rules.group_read)
        self.files = LocalFiles(roots)
        self.rules = rules
        self.clock = clock
        self.maker: BoundedMaker[Path] = BoundedMaker(rules.workers, wait=rules.wait)
        #: Called with a reference whose picture changed (fetched, failed, found damaged),
        #: here or, as this process finds on looking again, in another process.
        self.listeners: list[Callable[[str], None]] = []
        self._memo: dict[object, tuple[Picture | NoPicture, float]] = {}
        self._lock = threading.Lock()
        # Pillow's own limit too, for whatever opens an image: errors past twice this.
        Image.MAX_IMAGE_PIXELS = rules.max_pixels

    # What pages show

    def picture(self, reference: str) -> Picture | NoPicture:
        """The picture for ``reference`` as things stand; never fetches, never decodes."""
        if kind(reference) == "remote":
            return self._remote(reference)
        return self._local(reference)

    def variant_file(self, name: str) -> VariantFile:
        """The file of the variant ``name``, made now if it is missing (bounded)."""
        match = NAME.match(name)
        if match is None:
            return VariantFile("unknown")
        path = self.folder.variant(name)
        if path.is_file():
            return VariantFile("ready", path)
        sha = self.folder.find_original(match.group(1))
        info = self._info(sha) if sha else None
        if sha is None or info is None or info.identity is None:
            return VariantFile("unknown")
        identity = info.identity
        planned = variants.plan(sha, identity)
        variant = next((v for v in planned if v.name == name), None)
        if variant is None:
            return VariantFile("unknown")
        # With another image to send meanwhile, a reader waits a moment for a size being
        # made, not seconds, and not at all for one queued behind others.
        standin = self._standin(sha, identity, variant, planned)
        wait = self.rules.standin_wait if standin else self.rules.wait
        try:
            made = self.maker.run(
                name, lambda: self._make_one(sha, variant), wait, in_line=standin is None
            )
            return VariantFile("ready", made)
        except Busy as e:  # still being made (or queued): it will be on disk for the next
            reason = str(e)
        except Unusable as e:  # a damaged original, or a disk failing for now
            if e.lasting:
                return VariantFile("failed", reason=e.reason)
            reason = e.reason
        # A better one may have been made while this reader waited.
        standin = self._standin(sha, identity, variant, planned) or standin
        return standin or VariantFile("busy", reason=reason)

    def made_size(self, variant: Variant) -> int | None:
        """The bytes of a variant already made (a feed's enclosure length), else None."""
        try:
            return self.folder.variant(variant.name).stat().st_size
        except OSError:
            return None

    # Work off the request path

    def prepare(self, reference: str, make: bool = True) -> Picture | NoPicture:
        """Fetch (when due), check and make every variant of ``reference`` (with ``make``):
        the background's work, which may take seconds (a fetch alone, a fraction of one)."""
        before = self.picture(reference)
        if kind(reference) == "remote" and self.rules.fetch:
            self._fetch(reference)
        picture = self._checked(self.picture(reference))
        if isinstance(picture, Picture) and make:
            self._make_all(picture)
            picture = self._checked(self.picture(reference))
        if picture != before:
            self._changed(reference)
        return picture

    # The check

    def verdict(self, reference: str) -> Verdict | None:
        """What the check reports of ``reference`` (None: nothing); local files are
        decoded to find damage, remote ones judged by what this host's store knows."""
        picture = self._checked(self.picture(reference))
        if isinstance(picture, Picture) or picture.kind == "hotlink":
            return None
        if picture.kind == "svg":
            return Verdict(
                "warning", "an SVG is never shown as a picture: readers get a plain link to it"
            )
        if picture.kind == "pending":
            return Verdict(
                "info",
                "not fetched by this site yet, so not checked: the check never fetches from "
                "the internet; the site fetches it in the background and the check reports "
                "it here if that fails",
            )
        record = self.folder.remote(reference) if kind(reference) == "remote" else None
        if record is not None and record.reason and not record.lasting:
            when = dt.datetime.fromtimestamp(record.retry_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
            return Verdict(
                "warning",
                f"could not be fetched: {picture.reason} ({record.attempts} tries; the "
                f"next after {when} UTC); readers see a placeholder meanwhile",
            )
        return Verdict("error", f"cannot be shown: {picture.reason}; readers see a placeholder")

    # Inside

    def _remote(self, url: str) -> Picture | NoPicture:
        if not self.rules.fetch:
            return NoPicture(url, "hotlink")
        remembered = self._memo.get(url)
        now = time.monotonic()
        if remembered and (isinstance(remembered[0], Picture) or now - remembered[1] < RECHECK):
            return remembered[0]
        record = self.folder.remote(url)
        if record is None or (not record.sha and not record.reason):
            result: Picture | NoPicture = NoPicture(url, "pending", "not fetched yet")
        elif record.svg:
            result = self._svg(url)
        elif not record.sha:
            result = NoPicture(url, "failed", record.reason)
        else:
            result = self._from_original(url, record.sha)
        self._remember(url, result, now)
        if remembered and remembered[0] != result:
            # Another process fetched it (or failed to): what this one showed has changed.
            self._changed(url)
        return result

    def _local(self, reference: str) -> Picture | NoPicture:
        path = self.files.file(reference)
        if isinstance(path, str):
            return NoPicture(reference, "failed", path)
        try:
            stat = path.stat()
        except OSError:
            return NoPicture(reference, "failed", f"no such file ({self.files.shown(path)})")
        if path.name.lower().endswith(SVG_SUFFIXES):
            return self._svg(reference)
        key = (reference, stat.st_mtime_ns, stat.st_size, stat.st_ino)
        remembered = self._memo.get(key)
        if remembered:
            return remembered[0]
        result = self._read_local(reference, path, stat)
        self._remember(key, result, time.monotonic())
        return result

    def _read_local(self, reference: str, path: Path, stat: os.stat_result) -> Picture | NoPicture:
        """A local file's picture: its header read, its bytes kept by hash for the variants."""
        if not path.is_file():
            return NoPicture(reference, "failed", f"not a file ({self.files.shown(path)})")
        if stat.st_size > self.rules.max_bytes:
            limit = self.rules.max_bytes / 1e6
            return NoPicture(
                reference,
                "failed",
                f"{stat.st_size / 1e6:.1f} MB, over the limit of {limit:g} MB",
            )
        try:
            data = path.read_bytes()
        except OSError as e:
            return NoPicture(reference, "failed", f"cannot be read ({e.strerror})")
        sha = sha256(data)
        info = self._info(sha, data)
        if info is not None and info.identity is not None:
            try:
                self.folder.keep_original(data)  # for the variants, whatever becomes of the file
            except OSError as e:
                log.warning("image %s not stored: %s", reference, e)
                return NoPicture(reference, "failed", "the site could not store it")
        return self._from_original(reference, sha, data)

    def _from_original(
        self, reference: str, sha: str, data: bytes | None = None
    ) -> Picture | NoPicture:
        info = self._info(sha, data)
        if info is None:
            return NoPicture(reference, "failed", "the stored copy is gone")
        if info.identity is None:
            return self._svg(reference) if info.svg else NoPicture(reference, "failed", info.reason)
        identity = info.identity
        return Picture(
            reference, sha, identity.format, identity.width, identity.height, info.size,
            variants.plan(sha, identity),
        )  # fmt: skip

    def _info(self, sha: str, data: bytes | None = None) -> Info | None:
        """What the original ``sha`` is: from its record, else from its header (recorded)."""
        info = self.folder.info(sha)
        if info is not None:
            return info
        try:
            data = data if data is not None else self.folder.original(sha).read_bytes()
        except OSError:
            return None
        info = describe(data, self.rules.max_pixels, sha, decode=False)
        self.folder.put_info(info)
        return info

    def _checked(self, picture: Picture | NoPicture) -> Picture | NoPicture:
        """``picture`` once its original has been decoded whole (damage found and recorded)."""
        if not isinstance(picture, Picture):
            return picture
        info = self.folder.info(picture.sha)
        if info is None or not info.decoded:
            try:
                data = self.folder.original(picture.sha).read_bytes()
            except OSError:
                return NoPicture(picture.reference, "failed", "the stored copy is gone")
            info = describe(data, self.rules.max_pixels, picture.sha)
            self.folder.put_info(info)
            self._forget(picture.sha)
        if info.identity is None:
            return NoPicture(picture.reference, "failed", info.reason)
        return picture

    def _fetch(self, url: str) -> None:
        """Fetch ``url`` if its record says it is due, and record what came of it."""
        record = self.folder.remote(url) or RemoteRecord(url)
        now = self.clock()
        if not record.due(now):
            return
        with self.folder.claim(f"fetch {url}") as mine:
            if not mine:
                return  # another process is fetching it
            try:
                fetched = fetch(url, self.rules.fetch_rules)
                info = _probe_fetched(fetched, self.rules.max_pixels)
            except Unusable as e:
                log.warning("image %s: %s", url, e.reason)
                self.folder.put_remote(record.failed(e.reason, e.lasting, e.svg, now))
            except Exception as e:  # a bug, not a reason: it waits like any failure all the same
                log.exception("image %s: fetching failed", url)
                reason = f"could not be fetched ({type(e).__name__})"
                self.folder.put_remote(record.failed(reason, False, False, now))
            else:
                sha = self.folder.keep_original(fetched.data)
                self.folder.put_info(Info(sha, info.size, info.identity, decoded=True))
                self.folder.put_remote(RemoteRecord(url, sha, tried=now))
        with self._lock:
            self._memo.pop(url, None)

    def _make_all(self, picture: Picture) -> None:
        """Make the variants of ``picture`` not made yet (one process at a time)."""
        missing = [v for v in picture.variants if not self.folder.variant(v.name).exists()]
        if not missing:
            return
        with self.folder.claim(f"make {picture.sha}") as mine:
            if not mine:
                return  # another process is making them
            try:
                self._write_variants(picture.sha, missing)
            except Unusable as e:
                log.warning("image %s: %s", picture.reference, e.reason)

    def _standin(
        self, sha: str, identity: Identity, asked: Variant, planned: tuple[Variant, ...]
    ) -> VariantFile | None:
        """The best image of the original ``sha`` on disk to send for ``asked`` meanwhile."""
        for variant in variants.stand_ins(asked, planned, identity):
            if variant is None:
                path, mime = self.folder.original(sha), MIME[identity.format]
            else:
                path, mime = self.folder.variant(variant.name), variant.mime
            if path.is_file():
                return VariantFile("standin", path, f"instead of {asked.name}", mime)
        return None

    def _make_one(self, sha: str, variant: Variant) -> Path:
        path = self.folder.variant(variant.name)
        if not path.exists():
            self._write_variants(sha, [variant])
        return path

    def _write_variants(self, sha: str, wanted: list[Variant]) -> None:
        """Make ``wanted`` from the original ``sha``; ``Unusable`` when it cannot be decoded
        (recorded: it never will be) or the disk fails (not recorded: it may pass)."""
        info = self._info(sha)
        if info is None or info.identity is None:
            raise Unusable(info.reason if info else "the stored copy is gone")
        try:
            data = self.folder.original(sha).read_bytes()
        except OSError as e:
            raise Unusable(f"the stored copy cannot be read ({e})", lasting=False) from e
        try:
            made = variants.make(data, info.identity, wanted)
        except DECODE_ERRORS as e:
            reason = f"a damaged or truncated image ({e})"
            self.folder.put_info(Info(sha, info.size, None, reason, decoded=True))
            self._forget(sha)
            raise Unusable(reason) from e
        try:
            for name, content in made.items():
                self.folder.write_bytes(self.folder.variant(name), content)
        except OSError as e:
            raise Unusable(f"a variant could not be written ({e})", lasting=False) from e

    def _changed(self, reference: str) -> None:
        for listener in self.listeners:
            listener(reference)

    def _svg(self, reference: str) -> NoPicture:
        if self.rules.svg == "refuse":
            return NoPicture(reference, "failed", "an SVG, and SVG images are refused")
        return NoPicture(reference, "svg")

    def _remember(self, key: object, result: Picture | NoPicture, now: float) -> None:
        with self._lock:
            if len(self._memo) >= MEMO:
                self._memo.clear()  # rare: a site with more images than this
            self._memo[key] = (result, now)

    def _forget(self, sha: str) -> None:
        """Drop remembered pictures of the original ``sha`` (found damaged), and say so:
        pages that show them point at variants that will never be made."""
        with self._lock:
            gone = [
                (key, result.reference)
                for key, (result, _) in self._memo.items()
                if isinstance(result, Picture) and result.sha == sha
            ]
            for key, _ in gone:
                del self._memo[key]
        for reference in dict.fromkeys(reference for _, reference in gone):
            self._changed(reference)


def _probe_fetched(fetched: Fetched, max_pixels: int) -> Info:
    """What a fetched body is, decoded whole; ``Unusable`` naming the type it was sent as."""
    try:
        return Info("", len(fetched.data), identify(fetched.data, max_pixels), decoded=True)
    except Unusable as e:
        sent = fetched.content_type.split(";", 1)[0].strip() or "no type"
        raise Unusable(f"{e.reason} (sent as {sent})", lasting=e.lasting, svg=e.svg) from e
