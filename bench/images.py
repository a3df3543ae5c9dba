"""How long making an image's variants takes, by source size and format (ms per image).

    python bench/images.py [--runs 3] [--sizes 800x600,2000x1500,4000x3000]

For each source (a photo-like picture: fine detail and grain, so encoders work as hard as on
a photograph) in JPEG and PNG at each size, makes its variants the way the site does
(``blog/images/variants.py``: decoded once, oriented, sRGB, every width up to 1600 never
upscaled) and times, per output format, the whole set of widths; then the four crops; then
everything together, as the background does for a new image. Also the header read a page
costs (``identify`` without decoding) and the full decode check. Prints a Markdown table and
writes it to bench/results/images-<time>.md, naming the commit measured; medians of
``--runs``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from blog.images import variants  # noqa: E402
from blog.images.probe import identify  # noqa: E402

MAX_PIXELS = 50_000_000


def photo(width: int, height: int) -> Image.Image:
    """Deterministic and photo-like: a fractal's detail under grain."""
    detail = Image.effect_mandelbrot((width, height), (-2.2, -1.3, 0.8, 1.3), 64)
    grain = Image.effect_noise((width, height), 24)
    red = ImageChops.add(detail, grain, scale=1.2)
    green = detail.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    blue = ImageChops.multiply(detail, grain)
    return Image.merge("RGB", (red, green, blue))


def source(width: int, height: int, fmt: str) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if fmt == "JPEG" else {"compress_level": 6}
    photo(width, height).save(out, fmt, **options)
    return out.getvalue()


def timed(runs: int, action: Callable[..., object], *arguments: object) -> float:
    """The median of ``runs`` timings of ``action(*arguments)``, in ms."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action(*arguments)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def row(width: int, height: int, fmt: str, outputs: list[str], runs: int) -> str:
    """One source's table row."""
    data = source(width, height, fmt)
    identity = identify(data, MAX_PIXELS, decode=False)
    planned = list(variants.plan("0" * 64, identity))
    fallback = variants.fallback_format(identity)
    cells = [
        f"{width}×{height} {fmt}",
        f"{len(data) / 1e6:.1f} MB",
        f"{timed(runs, identify, data, MAX_PIXELS, False):.1f}",
        f"{timed(runs, identify, data, MAX_PIXELS, True):.0f}",
    ]
    for output in outputs:
        wanted = fallback if output == "JPEG/PNG" else output
        widths = [v for v in planned if not v.is_crop and v.format == wanted]
        cells.append(f"{timed(runs, variants.make, data, identity, widths):.0f}")
    crops = [v for v in planned if v.is_crop]
    cells.append(f"{timed(runs, variants.make, data, identity, crops):.0f}")
    everything = timed(runs, variants.make, data, identity, planned)
    cells += [f"{everything:.0f}", f"{everything / len(planned):.0f}"]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="800x600,2000x1500,4000x3000")
    args = parser.parse_args()
    sizes = [[int(n) for n in size.split("x")] for size in args.sizes.split(",")]
    outputs = [*(["AVIF"] if variants.AVIF else []), "WEBP", "JPEG/PNG"]
    header = (
        "| source | bytes | header read | decode check | "
        + " | ".join(f"{o} widths" for o in outputs)
        + " | 4 crops | all variants | per variant |"
    )
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    for width, height in sizes:
        for fmt in ("JPEG", "PNG"):
            rows.append(row(width, height, fmt, outputs, args.runs))
            print(rows[-1], flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = dt.datetime.now(dt.UTC)
    lines = [
        f"# bench/images.py (--runs {args.runs})",
        "",
        f"{now:%Y-%m-%d %H:%M} UTC, commit {commit}, {os.cpu_count()} cores, Pillow "
        f"{Image.__version__}; milliseconds per source image (median of {args.runs}), one "
        "thread. Widths: 320, 640, 960, 1280, 1600 up to the source's width; crops: "
        "1200×630, 1:1, 4:3, 16:9 in the fallback format.",
        "",
        *rows,
        "",
    ]
    out = ROOT / "bench" / "results" / f"images-{now:%Y%m%d-%H%M}.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
