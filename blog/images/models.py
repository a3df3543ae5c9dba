"""What the images layer answers with: the rules it follows, a page's picture (or what to
show instead), a variant's file, and the check's verdict on one image."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from blog.images.fetch import FetchRules
from blog.images.variants import Variant


@dataclass(frozen=True, slots=True)
class ImageRules:
    """What the images layer may do (the ``IMAGE_*`` settings)."""

    fetch: bool = True  # False: remote images are linked where they are (IMAGE_FETCH=off)
    fetch_rules: FetchRules = field(default_factory=FetchRules)
    max_pixels: int = 50_000_000
    svg: Literal["link", "refuse"] = "link"
    workers: int = 2  # variants made at once per process while readers wait
    wait: float = 5.0  # seconds a reader waits for one when nothing can stand in for it
    standin_wait: float = 0.5  # ...and when another image can (sent meanwhile, not cached)
    group_read: bool = False  # made variants readable by the folder's group (a web server)

    @property
    def max_bytes(self) -> int:
        return self.fetch_rules.max_bytes


@dataclass(frozen=True, slots=True)
class Picture:
    """An image the site serves itself: its size as shown, and every variant of it."""

    reference: str  # as the article wrote it
    sha: str  # sha256 of the original's bytes
    format: str  # the original's: JPEG, PNG, WEBP, GIF, AVIF
    width: int
    height: int
    size: int  # the original's bytes
    variants: tuple[Variant, ...]

    @property
    def formats(self) -> tuple[str, ...]:
        """The formats offered, the preferred first; the last is the fallback."""
        return tuple(dict.fromkeys(v.format for v in self.variants if not v.is_crop))

    def srcset(self, fmt: str) -> tuple[Variant, ...]:
        """The widths in ``fmt``, narrowest first (a ``srcset`` with ``w`` descriptors)."""
        return tuple(v for v in self.variants if v.format == fmt and not v.is_crop)

    @property
    def fallback(self) -> Variant:
        """``<img src>``: the fallback format, the widest up to 960 pixels."""
        choices = self.srcset(self.formats[-1])
        return max(
            (v for v in choices if v.width <= 960), key=lambda v: v.width, default=choices[0]
        )

    def crop(self, spec: str) -> Variant:
        """A crop: ``social`` (og:image), ``1x1``, ``4x3``, ``16x9`` (JSON-LD)."""
        return next(v for v in self.variants if v.spec == spec)


@dataclass(frozen=True, slots=True)
class NoPicture:
    """An image the site does not serve itself, and what to show instead.

    ``kind``: ``hotlink`` (IMAGE_FETCH is off: link the URL as it is), ``pending`` (a
    remote image not fetched yet), ``svg`` (show a plain link to it), ``failed`` (show the
    placeholder; ``reason`` says why, for the log and the check)."""

    reference: str
    kind: Literal["hotlink", "pending", "svg", "failed"]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class VariantFile:
    """A variant asked for by name: ``ready`` (``path`` is the file), ``standin`` (not made
    yet: ``path`` is the best image of the picture already on disk, of type ``mime``, to send
    meanwhile), ``unknown`` (no such variant: 404), ``busy`` (too much making now: try
    again) or ``failed`` (the original cannot be decoded)."""

    state: Literal["ready", "standin", "unknown", "busy", "failed"]
    path: Path | None = None
    reason: str = ""
    mime: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the check says of one image: a severity (error, warning, info) and why."""

    severity: str
    message: str
