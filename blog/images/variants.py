"""The sizes and formats made from an original, their names, and the making (Pillow).

For an original of W×H pixels (as shown, EXIF orientation applied):

- **widths** 320, 480, 720, 960, 1280 and 1600 below W, and W itself when it is under
  1600: never upscaled (the steps fit phones: 720 for a full-width picture on a phone of
  360 to 412 CSS pixels at 1.75 to 2 device pixels, which 640 missed and 960 overshot by
  half: bench/picture_pages.py); each in AVIF (when this machine's Pillow can write it),
  WebP, and the fallback format (PNG for a PNG, GIF or transparent original, else JPEG);
- **crops**, in the fallback format: ``social`` (1200×630, the cards of social networks),
  ``1x1``, ``4x3`` and ``16x9`` (1200 wide, the images Google asks news publishers for),
  cut from the middle, smaller when the original is (never upscaled).

A variant's name is ``<first 16 of the original's sha256>-<spec>-<fingerprint>.<ext>``;
the fingerprint hashes the original's hash, the spec, the format and ``PIPELINE`` (raise it
when the output of the same input changes), so a name never names two contents and can be
cached for good. Sizes are computed from the original's size, before anything is made:
``plan`` answers "which variants, how large" without decoding a pixel, and ``stand_ins``
which of them (or the original) may be sent for a width still being made.

Making decodes the original once (a JPEG at the smallest scale its decoder offers that is
still large enough), applies the EXIF orientation, converts to sRGB (through the embedded
colour profile, when there is one) as RGB or RGBA, and saves without metadata: no EXIF (no
camera, no GPS position), no profile.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageCms, features

from blog.images.probe import DECODE_ERRORS, FORMATS, MIME, Identity, has_alpha, orientation

PIPELINE = 1
SHOWN_EVERYWHERE = ("JPEG", "PNG", "GIF")  # every browser shows these in an <img>
WIDTHS = (320, 480, 720, 960, 1280, 1600)
CROPS = {"social": (1200, 630), "1x1": (1200, 1200), "4x3": (1200, 900), "16x9": (1200, 675)}
AVIF = features.check("avif")
EXTENSIONS = {"AVIF": "avif", "WEBP": "webp", "JPEG": "jpg", "PNG": "png"}
SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "AVIF": {"quality": 60, "speed": 8},
    "WEBP": {"quality": 80, "method": 4},
    "JPEG": {"quality": 82, "optimize": True, "progressive": True},
    "PNG": {"compress_level": 6},
}
# How to show a picture stored with each EXIF orientation (as ImageOps.exif_transpose does).
TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.createProfile("sRGB") if features.check("littlecms2") else None


@dataclass(frozen=True, slots=True)
class Variant:
    """One file made from an original: its name (the URL's last part), format and size."""

    name: str
    spec: str  # "w640", or a crop: "social", "1x1", "4x3", "16x9"
    format: str  # AVIF, WEBP, JPEG or PNG
    width: int
    height: int

    @property
    def mime(self) -> str:
        return MIME[self.format]

    @property
    def is_crop(self) -> bool:
        return not self.spec.startswith("w")


def fallback_format(identity: Identity) -> str:
    """The format of ``<img src>``: what every browser shows, as close to the original's."""
    if identity.format in ("PNG", "GIF") or identity.alpha:
        return "PNG"
    return "JPEG"


def plan(sha: str, identity: Identity) -> tuple[Variant, ...]:
    """Every variant of the original ``sha``, with its size, none made (cheap)."""
    fallback = fallback_format(identity)
    formats = (*(("AVIF",) if AVIF else ()), "WEBP", fallback)
    found: list[Variant] = []
    for width in widths(identity.width):
        height = max(1, round(identity.height * width / identity.width))
        found += [_variant(sha, f"w{width}", f, width, height) for f in formats]
    for spec in CROPS:
        found.append(_variant(sha, spec, fallback, *crop_size(identity, spec)))
    return tuple(found)


def widths(width: int) -> list[int]:
    """The widths made of an original ``width`` pixels wide: never larger than it."""
    widest = min(width, WIDTHS[-1])
    return [w for w in WIDTHS if w < widest] + [widest]


def crop_size(identity: Identity, spec: str) -> tuple[int, int]:
    """The size of a crop: its target, or smaller with the same shape (never upscaled)."""
    target_w, target_h = CROPS[spec]
    box_w, box_h = _box(identity.width, identity.height, target_w, target_h)
    width = min(target_w, box_w)
    return width, max(1, round(width * target_h / target_w))


def fingerprint(sha: str, spec: str, fmt: str) -> str:
    text = f"{PIPELINE}\0{sha}\0{spec}\0{fmt}\0{SAVE_OPTIONS[fmt]}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _variant(sha: str, spec: str, fmt: str, width: int, height: int) -> Variant:
    name = f"{sha[:16]}-{spec}-{fingerprint(sha, spec, fmt)}.{EXTENSIONS[fmt]}"
    return Variant(name, spec, fmt, width, height)


def _box(width: int, height: int, ratio_w: int, ratio_h: int) -> tuple[int, int]:
    """The largest box of the ratio ``ratio_w``:``ratio_h`` inside ``width``×``height``."""
    if width * ratio_h > height * ratio_w:  # wider than the ratio: cut the sides
        return max(1, round(height * ratio_w / ratio_h)), height
    return width, max(1, round(width * ratio_h / ratio_w))


def stand_ins(
    asked: Variant, planned: Sequence[Variant], identity: Identity
) -> list[Variant | None]:
    """What may be sent for the width ``asked`` while it is being made, best first (None:
    the original), in ``asked``'s format or one every browser shows, so whoever asked can
    show it: another width, the narrowest at least as wide, else the widest narrower, and
    the original last (it may be many times the bytes: a phone waits for it). Nothing for a
    crop: no other image has its shape (its size is in the page's social and structured
    data)."""
    if asked.is_crop:
        return []
    formats = (asked.format, *SHOWN_EVERYWHERE)

    def rank(variant: Variant) -> tuple[bool, int, bool]:
        narrower = variant.width < asked.width
        width = -variant.width if narrower else variant.width
        return narrower, width, variant.format != asked.format

    sizes: list[Variant] = sorted(
        (v for v in planned if not v.is_crop and v.name != asked.name and v.format in formats),
        key=rank,
    )
    found: list[Variant | None] = list(sizes)
    if identity.format in formats:
        found.append(None)
    return found


# Making


def make(data: bytes, identity: Identity, variants: list[Variant]) -> dict[str, bytes]:
    """The bytes of each of ``variants`` (by name), from the original's ``data``, decoded
    once; ``OSError``-like errors of Pillow (``DECODE_ERRORS``) on a damaged original."""
    if not variants:
        return {}
    picture = _decoded(data, identity, _needed(identity, variants))
    made: dict[str, bytes] = {}
    for variant in variants:
        made[variant.name] = _encode(_shaped(picture, variant), variant.format)
    return made


def _decoded(data: bytes, identity: Identity, needed: tuple[int, int]) -> Image.Image:
    """The original, oriented, in sRGB, as RGB or RGBA, at least ``needed`` large (as
    shown)."""
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        turn = TURNS.get(orientation(image) or 1)  # read before decoding, as ``identify`` did
        if image.format == "JPEG":
            # Scale in the decoder (1/2, 1/4, 1/8): the box asked for is in stored pixels.
            turned = image.size != (identity.width, identity.height)
            image.draft("RGB", needed[::-1] if turned else needed)
        image.load()
        oriented = image.transpose(turn) if turn is not None else image.copy()
    return _srgb(oriented)


def _needed(identity: Identity, variants: list[Variant]) -> tuple[int, int]:
    """The smallest decoded size (as shown) from which every variant can be cut whole."""
    scale = 0.0
    for variant in variants:
        box_w = identity.width  # what the variant is scaled from: the picture, or its crop
        if variant.is_crop:
            box_w, _ = _box(identity.width, identity.height, *CROPS[variant.spec])
        scale = max(scale, variant.width / box_w)
    scale = min(1.0, scale)
    return max(1, round(identity.width * scale)), max(1, round(identity.height * scale))


def _srgb(image: Image.Image) -> Image.Image:
    """RGB or RGBA in sRGB; the embedded profile applied, then left out with all metadata."""
    profile = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float grey
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    mode = "RGBA" if has_alpha(image) else "RGB"
    if image.mode != "CMYK" and image.mode != mode:
        image = image.convert(mode)
    if profile and _SRGB is not None:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode)
            image = converted if converted is not None else image
        except (ImageCms.PyCMSError, *DECODE_ERRORS):
            pass  # a profile that does not fit the pixels: shown as they are
    if image.mode != mode:  # CMYK without a usable profile
        image = image.convert(mode)
    image.info.clear()
    return image


def _shaped(picture: Image.Image, variant: Variant) -> Image.Image:
    """``picture`` cut (for a crop) and scaled to the variant's exact size."""
    if variant.is_crop:
        box_w, box_h = _box(picture.width, picture.height, *CROPS[variant.spec])
        left, top = (picture.width - box_w) // 2, (picture.height - box_h) // 2
        picture = picture.crop((left, top, left + box_w, top + box_h))
    if picture.size == (variant.width, variant.height):
        return picture
    return picture.resize(
        (variant.width, variant.height), Image.Resampling.LANCZOS, reducing_gap=3.0
    )


def _encode(picture: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **SAVE_OPTIONS[fmt])
    return out.getvalue()
