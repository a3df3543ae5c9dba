"""What a file's bytes are, before anything decodes them: an image the site takes (its format
and its size as shown), or the reason it is not one, in words for the log and the check.

Only the formats browsers show are opened (``Image.open(formats=...)``: Pillow's other
plugins, some of which hand the file to external programs, never see editors' files).
The header's size is checked against the pixel limit before a pixel is decoded, so a
decompression bomb (a small file that claims 100,000 × 100,000 pixels) costs nothing; a full
decode then finds truncated and damaged files. SVG is recognised, never rasterized.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError, features

FORMATS = ("JPEG", "PNG", "WEBP", "GIF", *(("AVIF",) if features.check("avif") else ()))
MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "AVIF": "image/avif",
}
ORIENTATION = 0x0112  # the EXIF tag
_SWAPS_SIDES = frozenset({5, 6, 7, 8})  # orientations that turn the picture a quarter
# Pillow warns of an image between its limit and twice that as it opens it: ``identify``
# refuses such an image on the next line, with a reason, so the warning says nothing more.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# What Pillow raises on a file it cannot read: truncated, damaged, lying about itself.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


class Unusable(Exception):
    """An image that cannot be had, and why, in words an editor reads.

    ``lasting``: trying again later will not help (a 404, not an image) rather than a
    timeout; ``svg``: it is an SVG, which the site links or refuses (``IMAGE_SVG``)."""

    def __init__(self, reason: str, *, lasting: bool = True, svg: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.lasting, self.svg = reason, lasting, svg


@dataclass(frozen=True, slots=True)
class Identity:
    """An image the site takes: its format and its size as readers see it (EXIF
    orientation applied), and whether it has transparency."""

    format: str
    width: int
    height: int
    alpha: bool

    @property
    def mime(self) -> str:
        return MIME[self.format]


@dataclass(frozen=True, slots=True)
class Info:
    """What an original's bytes are: an image (``identity``) or not (``reason``)."""

    sha: str
    size: int  # bytes
    identity: Identity | None
    reason: str = ""
    svg: bool = False
    decoded: bool = False  # decoded whole once (not only its header read)


def describe(data: bytes, max_pixels: int, sha: str = "", decode: bool = True) -> Info:
    """``identify`` as an ``Info``: an identity, or the reason there is none."""
    try:
        identity = identify(data, max_pixels, decode=decode)
    except Unusable as e:
        return Info(sha, len(data), None, e.reason, e.svg, decoded=True)
    return Info(sha, len(data), identity, decoded=decode)


def identify(data: bytes, max_pixels: int, decode: bool = True) -> Identity:
    """What ``data`` is, or ``Unusable``; ``decode`` decodes it whole to find damage (the
    header alone is cheap, and enough to size a page's ``<img>``)."""
    if not data:
        raise Unusable("an empty file, not an image")
    kind = sniff(data[:1024])
    if kind == "svg":
        raise Unusable("an SVG (drawing), never turned into pixels", svg=True)
    if kind == "html":
        raise Unusable("an HTML page, not an image")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise Unusable(too_many_pixels(width, height, max_pixels))
            identity = Identity(
                image.format or "",
                *_shown_size(image),
                alpha=has_alpha(image),
            )
            if decode:
                _decode(image)
    except Image.DecompressionBombError as e:  # Pillow's own limit, met in its header read
        raise Unusable(f"too many pixels to decode safely ({e})") from e
    except UnidentifiedImageError as e:
        raise Unusable(f"not an image in a format the site takes ({formats()})") from e
    except DECODE_ERRORS as e:
        raise Unusable(f"a damaged or truncated image ({_short(e)})") from e
    return identity


def sniff(head: bytes) -> str | None:
    """``svg`` or ``html`` for text that poses as an image, else None."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith((b"<?xml", b"<!--")) and b"<svg" in text):
        return "svg"
    if text.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml", b"<")):
        return "html"
    return None


def too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return (
        f"{width}×{height} pixels ({width * height / 1e6:.0f} megapixels), over the limit of "
        f"{max_pixels / 1e6:g} megapixels"
    )


def has_alpha(image: Image.Image) -> bool:
    """True when the image may have transparent pixels."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def formats() -> str:
    """The formats the site takes, for messages."""
    return ", ".join("WebP" if f == "WEBP" else f for f in FORMATS)


def _shown_size(image: Image.Image) -> tuple[int, int]:
    """Width and height once the EXIF orientation is applied."""
    width, height = image.size
    return (height, width) if orientation(image) in _SWAPS_SIDES else (width, height)


def orientation(image: Image.Image) -> int | None:
    """The EXIF orientation (1-8) of an opened image, read from its header only."""
    try:
        if image.format == "PNG":
            # Pillow's getexif() decodes a whole PNG to look for EXIF after the pixels;
            # browsers only honour an eXIf chunk before them, which the header read found.
            raw = image.info.get("exif")
            exif = Image.Exif()
            if isinstance(raw, bytes):
                exif.load(raw)
        else:
            exif = image.getexif()
        value = exif.get(ORIENTATION)
    except DECODE_ERRORS:  # damaged EXIF: the picture is shown as stored
        return None
    return value if isinstance(value, int) else None


def _decode(image: Image.Image) -> None:
    """Decode the first frame (a JPEG at an eighth of its size: its whole stream is still
    read, which is what finds truncation, at a fraction of the cost)."""
    if image.format == "JPEG":
        image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
    image.load()


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 80 else text[:77] + "…"
