"""Variants: the sizes and formats made of an original, never upscaled, oriented, in sRGB,
without metadata, each named by a fingerprint that is stable and changes with its input."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from blog.images import variants
from blog.images.pictures import ImageRules, Images, Picture
from blog.images.probe import Identity, Unusable, identify
from blog.images.variants import AVIF, Variant, plan
from tests.image_files import encoded, jpeg, picture, png

FORMATS = ["AVIF", "WEBP", "JPEG"] if AVIF else ["WEBP", "JPEG"]


def images_over(tmp_path: Path, **rules: object) -> Images:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    return Images(tmp_path / "images", {"/media/": media}, ImageRules(**rules))  # type: ignore[arg-type]


def made(tmp_path: Path, name: str, data: bytes) -> tuple[Images, Picture]:
    """``data`` as media/``name``, every variant made."""
    images = images_over(tmp_path)
    (tmp_path / "media" / name).write_bytes(data)
    result = images.prepare(f"/media/{name}")
    assert isinstance(result, Picture), result
    return images, result


def opened(images: Images, variant: Variant) -> Image.Image:
    return Image.open(io.BytesIO(images.folder.variant(variant.name).read_bytes()))


def test_a_large_photo_gets_every_width_in_every_format_and_the_crops() -> None:
    planned = plan("ab" * 32, Identity("JPEG", 2000, 1500, alpha=False))
    widths = {(v.spec, v.format): (v.width, v.height) for v in planned}
    for width in (320, 480, 720, 960, 1280, 1600):
        for fmt in FORMATS:
            assert widths[(f"w{width}", fmt)] == (width, round(width * 0.75))
    assert widths[("social", "JPEG")] == (1200, 630)
    assert widths[("1x1", "JPEG")] == (1200, 1200)
    assert widths[("4x3", "JPEG")] == (1200, 900)
    assert widths[("16x9", "JPEG")] == (1200, 675)
    assert len(planned) == 6 * len(FORMATS) + 4


@pytest.mark.parametrize(
    ("size", "widths"),
    [
        ((500, 400), [320, 480, 500]),
        ((320, 200), [320]),
        ((100, 100), [100]),
        ((1600, 900), [320, 480, 720, 960, 1280, 1600]),
        ((5000, 100), [320, 480, 720, 960, 1280, 1600]),
    ],
)
def test_widths_are_never_upscaled(size: tuple[int, int], widths: list[int]) -> None:
    planned = plan("cd" * 32, Identity("PNG", *size, alpha=False))
    assert sorted({v.width for v in planned if not v.is_crop}) == widths
    assert all(v.width <= size[0] and v.height <= size[1] for v in planned)


def test_crops_of_a_small_original_keep_their_shape_and_are_not_upscaled() -> None:
    planned = {v.spec: v for v in plan("ef" * 32, Identity("JPEG", 600, 500, alpha=False))}
    assert (planned["social"].width, planned["social"].height) == (600, 315)
    assert (planned["1x1"].width, planned["1x1"].height) == (500, 500)
    assert (planned["16x9"].width, planned["16x9"].height) == (600, 338)


def ranked(original: Identity, asked: tuple[str, str]) -> list[str]:
    """``stand_ins`` for the variant ``asked`` (spec, format) as "spec format" ("original")."""
    planned = plan("ab" * 32, original)
    wanted = next(v for v in planned if (v.spec, v.format) == asked)
    found = variants.stand_ins(wanted, planned, original)
    return ["original" if v is None else f"{v.spec} {v.format}" for v in found]


def test_a_stand_in_is_the_narrowest_size_at_least_as_wide_then_the_widest_narrower() -> None:
    found = ranked(Identity("JPEG", 2000, 1500, alpha=False), ("w720", "WEBP"))
    assert found[:4] == ["w720 JPEG", "w960 WEBP", "w960 JPEG", "w1280 WEBP"]
    # ...the narrower ones after the widest, widest first; the original, in bytes the
    # largest by far, only when no size is made.
    assert found[found.index("w1600 JPEG") + 1 :] == [
        "w480 WEBP", "w480 JPEG", "w320 WEBP", "w320 JPEG", "original"
    ]  # fmt: skip
    assert not any("AVIF" in entry for entry in found)  # a browser asking for WebP may not


@pytest.mark.parametrize(
    ("original", "asked", "allowed"),
    [
        ("JPEG", ("w480", "JPEG"), {"JPEG"}),
        ("WEBP", ("w480", "JPEG"), {"JPEG"}),  # a browser without WebP asked: not the original
        ("WEBP", ("w480", "WEBP"), {"WEBP", "JPEG"}),
        ("GIF", ("w480", "PNG"), {"PNG", "GIF"}),
    ],
)
def test_a_stand_in_is_in_a_format_whoever_asked_can_show(
    original: str, asked: tuple[str, str], allowed: set[str]
) -> None:
    identity = Identity(original, 1000, 800, alpha=False)
    planned = plan("ab" * 32, identity)
    wanted = next(v for v in planned if (v.spec, v.format) == asked)
    found = variants.stand_ins(wanted, planned, identity)
    assert {original if v is None else v.format for v in found} == allowed
    assert all(v is None or not v.is_crop for v in found)


def test_nothing_stands_in_for_a_crop() -> None:
    assert ranked(Identity("JPEG", 2000, 1500, alpha=False), ("social", "JPEG")) == []


def test_made_variants_have_the_planned_size_and_format(tmp_path: Path) -> None:
    images, result = made(tmp_path, "photo.jpg", jpeg((1000, 700)))
    for variant in result.variants:
        with opened(images, variant) as image:
            assert image.format == variant.format
            assert image.size == (variant.width, variant.height)


def test_a_transparent_png_keeps_its_transparency_and_falls_back_to_png(tmp_path: Path) -> None:
    images, result = made(tmp_path, "logo.png", png((400, 300), mode="RGBA"))
    assert result.formats[-1] == "PNG"
    for variant in result.srcset("WEBP") + result.srcset("PNG"):
        with opened(images, variant) as image:
            assert image.mode == "RGBA"


def test_the_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown turned a quarter clockwise
    images, result = made(tmp_path, "sideways.jpg", jpeg((800, 600), exif=exif))
    assert (result.width, result.height) == (600, 800)
    widest = result.srcset("JPEG")[-1]
    with opened(images, widest) as image:
        assert image.size == (600, 800)
        # The top-left quadrant (red) of the stored picture is now at the top right.
        red, green, blue = image.convert("RGB").getpixel((580, 20))
        assert red > 150 and blue < 100


def test_variants_carry_no_metadata(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (59.0, 54.0, 0.0)}  # a GPS position
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg((700, 500), exif=exif, icc_profile=profile)
    images, result = made(tmp_path, "camera.jpg", data)
    for variant in result.variants:
        raw = images.folder.variant(variant.name).read_bytes()
        assert b"CameraMaker" not in raw
        with opened(images, variant) as image:
            assert not image.getexif()
            assert "icc_profile" not in image.info


def test_a_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    data = encoded(picture((500, 400)).convert("CMYK"), "JPEG")
    images, result = made(tmp_path, "print.jpg", data)
    with opened(images, result.fallback) as image:
        assert image.mode == "RGB"
        red, green, blue = image.getpixel((200, 20))
        assert red > 150 and green < 120  # the red quarter is still red


def test_sixteen_bit_grey_keeps_its_tone(tmp_path: Path) -> None:
    data = encoded(Image.new("I;16", (400, 300), 40000), "PNG")
    images, result = made(tmp_path, "scan.png", data)
    with opened(images, result.fallback) as image:
        grey = image.convert("L").getpixel((10, 10))
        assert 150 <= grey <= 160  # 40000 of 65535, not clipped to white


def test_a_gif_is_made_from_its_first_frame_with_a_png_fallback(tmp_path: Path) -> None:
    frames = [picture((300, 200)).convert("P"), Image.new("P", (300, 200))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    images, result = made(tmp_path, "moving.gif", out.getvalue())
    assert result.formats[-1] == "PNG"
    assert images.folder.variant(result.fallback.name).exists()


def test_fingerprints_are_stable_across_runs_and_hosts() -> None:
    identity = Identity("JPEG", 2000, 1500, alpha=False)
    names = [v.name for v in plan("ab" * 32, identity)]
    assert names == [v.name for v in plan("ab" * 32, identity)]
    # The same input is named the same on every host and in every release with this
    # pipeline: a change here must raise variants.PIPELINE.
    webp_720 = next(v for v in plan("ab" * 32, identity) if v.spec == "w720" and v.format == "WEBP")
    assert (
        webp_720.name
        == "abababababababab-w720-" + variants.fingerprint("ab" * 32, "w720", "WEBP") + ".webp"
    )
    assert variants.fingerprint("ab" * 32, "w640", "WEBP") == WEBP_640_FINGERPRINT


WEBP_640_FINGERPRINT = variants.fingerprint("ab" * 32, "w640", "WEBP")


def test_fingerprints_change_with_the_source_the_spec_and_the_pipeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = variants.fingerprint("ab" * 32, "w640", "WEBP")
    assert variants.fingerprint("ac" * 32, "w640", "WEBP") != base
    assert variants.fingerprint("ab" * 32, "w960", "WEBP") != base
    assert variants.fingerprint("ab" * 32, "w640", "JPEG") != base
    monkeypatch.setattr(variants, "PIPELINE", variants.PIPELINE + 1)
    assert variants.fingerprint("ab" * 32, "w640", "WEBP") != base


def test_identify_reads_the_size_as_shown_without_decoding() -> None:
    exif = Image.Exif()
    exif[0x0112] = 8
    identity = identify(jpeg((640, 480), exif=exif), 50_000_000, decode=False)
    assert (identity.format, identity.width, identity.height) == ("JPEG", 480, 640)


def test_a_png_turned_by_its_exif_is_sized_and_made_turned(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(picture((500, 300)), "PNG", exif=exif)
    images, result = made(tmp_path, "turned.png", data)
    assert (result.width, result.height) == (300, 500)
    for variant in result.variants:
        with opened(images, variant) as image:
            assert image.size == (variant.width, variant.height)


def test_reading_a_pngs_header_decodes_no_pixel() -> None:
    truncated = png((1200, 900))[:3000]  # the header whole, the pixels cut short
    identity = identify(truncated, 50_000_000, decode=False)
    assert (identity.width, identity.height) == (1200, 900)
    with pytest.raises(Unusable, match="damaged or truncated"):
        identify(truncated, 50_000_000, decode=True)
