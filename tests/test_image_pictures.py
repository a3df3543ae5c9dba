"""``Images``, as the web layer and the background use it: pictures of local and remote
images, hostile files each with a reason and no exception, variants made on demand within
bounds, remote images fetched once and failures retried with backoff."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from blog.images import pictures
from blog.images.background import ImagePreparer
from blog.images.fetch import FetchRules
from blog.images.maker import BoundedMaker, Busy
from blog.images.pictures import ImageRules, Images, NoPicture, Picture
from tests.articles import parsed_article
from tests.image_files import HTML, SVG, RemoteSite, jpeg, png, png_claiming, reply, webp

LOCAL_FETCH = FetchRules(allow_private=True, timeout=2.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


def images_over(tmp_path: Path, media: Path, clock: Clock | None = None, **rules: object) -> Images:
    settings: dict[str, object] = {"fetch_rules": LOCAL_FETCH, **rules}
    return Images(
        tmp_path / "store" / "images",
        {"/media/": media, "/static/": tmp_path / "static"},
        ImageRules(**settings),  # type: ignore[arg-type]
        clock=clock or Clock(),
    )


@pytest.fixture
def images(tmp_path: Path, media: Path) -> Images:
    return images_over(tmp_path, media)


# Local images


def test_a_local_image_has_its_real_size_and_its_variants(images: Images, media: Path) -> None:
    (media / "tram.jpg").write_bytes(jpeg((1000, 750)))
    result = images.picture("/media/tram.jpg")
    assert isinstance(result, Picture)
    assert (result.format, result.width, result.height) == ("JPEG", 1000, 750)
    assert [v.width for v in result.srcset("JPEG")] == [320, 480, 720, 960, 1000]
    assert result.fallback.width == 960 and result.fallback.format == "JPEG"
    assert result.crop("social").width == 1000
    assert result.size == (media / "tram.jpg").stat().st_size


def test_asking_for_a_picture_makes_no_variant(images: Images, media: Path) -> None:
    (media / "tram.jpg").write_bytes(jpeg())
    images.picture("/media/tram.jpg")
    assert not any((images.folder.root / "variants").rglob("*.*"))


def test_a_replaced_file_is_a_new_picture(images: Images, media: Path) -> None:
    path = media / "tram.jpg"
    path.write_bytes(jpeg((800, 600)))
    first = images.picture("/media/tram.jpg")
    path.write_bytes(jpeg((400, 300)))
    os.utime(path, ns=(1, 1))
    second = images.picture("/media/tram.jpg")
    assert isinstance(first, Picture) and isinstance(second, Picture)
    assert first.sha != second.sha and second.width == 400


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("missing.jpg", None, "no such file (looked for media/missing.jpg)"),
        ("empty.jpg", b"", "an empty file, not an image"),
        ("page.png", HTML, "an HTML page, not an image"),
        ("noise.jpg", bytes(range(256)) * 20, "not an image in a format the site takes"),
        ("bomb.png", png_claiming(100_000, 100_000), "too many pixels"),
        ("large.png", png_claiming(10_000, 8_000), "10000×8000 pixels (80 megapixels), over"),
        ("truncated.jpg", jpeg((1200, 900))[:4000], "a damaged or truncated image"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith(("jpg", "png")) else "",
)
def test_a_local_file_that_is_not_a_usable_image_gives_its_reason(
    images: Images, media: Path, name: str, data: bytes | None, reason: str
) -> None:
    if data is not None:
        (media / name).write_bytes(data)
    verdict = images.verdict(f"/media/{name}")  # decodes whole, as the check does
    assert verdict is not None and verdict.severity == "error"
    assert reason in verdict.message
    result = images.picture(f"/media/{name}")
    assert isinstance(result, NoPicture) and result.kind == "failed"
    assert reason in result.reason


def test_a_file_over_the_byte_limit_is_refused_unread(tmp_path: Path, media: Path) -> None:
    images = images_over(tmp_path, media, fetch_rules=FetchRules(max_bytes=10_000))
    (media / "big.jpg").write_bytes(jpeg((1500, 1000), quality=95))
    result = images.picture("/media/big.jpg")
    assert isinstance(result, NoPicture)
    assert "MB, over the limit of 0.01 MB" in result.reason


@pytest.mark.parametrize(
    "reference",
    [
        "/media/../secret.jpg",
        "/media/%2e%2e/secret.jpg",
        "/media/a/../../secret.jpg",
        "/elsewhere/x.jpg",
    ],
)
def test_a_site_path_never_leaves_the_media_folders(
    images: Images, tmp_path: Path, reference: str
) -> None:
    (tmp_path / "secret.jpg").write_bytes(jpeg())
    result = images.picture(reference)
    assert isinstance(result, NoPicture) and result.kind == "failed"


def test_a_link_out_of_the_media_folder_is_refused(
    images: Images, media: Path, tmp_path: Path
) -> None:
    (tmp_path / "secret.jpg").write_bytes(jpeg())
    (media / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    result = images.picture("/media/link.jpg")
    assert isinstance(result, NoPicture) and "outside the site's folders" in result.reason


def test_an_svg_is_linked_by_default(images: Images, media: Path) -> None:
    (media / "map.svg").write_bytes(SVG)
    (media / "map-in-disguise.png").write_bytes(SVG)
    for reference in ("/media/map.svg", "/media/map-in-disguise.png"):
        result = images.picture(reference)
        assert isinstance(result, NoPicture) and result.kind == "svg"
        verdict = images.verdict(reference)
        assert verdict is not None and verdict.severity == "warning"
    assert not any((images.folder.root / "originals").rglob("*"))  # never kept, never made


def test_an_svg_is_refused_when_the_setting_says_so(tmp_path: Path, media: Path) -> None:
    images = images_over(tmp_path, media, svg="refuse")
    (media / "map.svg").write_bytes(SVG)
    result = images.picture("/media/map.svg")
    assert isinstance(result, NoPicture) and result.kind == "failed"
    verdict = images.verdict("/media/map.svg")
    assert verdict is not None and verdict.severity == "error" and "SVG" in verdict.message


def test_a_store_that_cannot_be_written_never_breaks_a_page(
    images: Images, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (media / "tram.jpg").write_bytes(jpeg())

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(images.folder, "write_bytes", full)
    result = images.picture("/media/tram.jpg")
    assert isinstance(result, NoPicture) and result.reason == "the site could not store it"


# Variants on demand


def test_a_missing_variant_is_made_on_first_request_then_served_from_disk(
    images: Images, media: Path
) -> None:
    (media / "tram.jpg").write_bytes(jpeg())
    result = images.picture("/media/tram.jpg")
    assert isinstance(result, Picture)
    variant = result.srcset("WEBP")[0]
    assert images.made_size(variant) is None
    first = images.variant_file(variant.name)
    assert first.state == "ready" and first.path is not None
    assert images.made_size(variant) == first.path.stat().st_size
    stamp = first.path.stat().st_mtime_ns
    assert images.variant_file(variant.name).path == first.path
    assert first.path.stat().st_mtime_ns == stamp  # not made again


def test_a_variant_is_found_by_another_process_from_the_disk_alone(
    tmp_path: Path, media: Path
) -> None:
    (media / "tram.jpg").write_bytes(jpeg())
    result = images_over(tmp_path, media).picture("/media/tram.jpg")
    assert isinstance(result, Picture)
    other = images_over(tmp_path, media)  # another worker: nothing in memory
    assert other.variant_file(result.crop("social").name).state == "ready"


@pytest.mark.parametrize(
    "name",
    [
        "../../originals/x",
        "0123456789abcdef-w640-0123456789.webp",  # no such original
        "not-a-variant.webp",
        "",
    ],
)
def test_a_name_that_is_no_variant_is_unknown(images: Images, name: str) -> None:
    assert images.variant_file(name).state == "unknown"


def test_a_variant_name_with_a_wrong_fingerprint_or_size_is_unknown(
    images: Images, media: Path
) -> None:
    (media / "tram.jpg").write_bytes(jpeg((800, 600)))
    result = images.picture("/media/tram.jpg")
    assert isinstance(result, Picture)
    name = result.srcset("WEBP")[0].name
    prefix, spec, _ = name.split("-")
    assert images.variant_file(f"{prefix}-{spec}-0000000000.webp").state == "unknown"
    fingerprint = name.split("-")[2]
    assert images.variant_file(f"{prefix}-w1600-{fingerprint}").state == "unknown"  # upscaled
    assert not any((images.folder.root / "variants").rglob("*.*"))


def test_the_maker_runs_no_more_jobs_at_once_than_its_limit() -> None:
    maker: BoundedMaker[int] = BoundedMaker(workers=2, queue=8, wait=5.0)
    running, most = 0, 0
    lock = threading.Lock()

    def job() -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return 1

    callers = [threading.Thread(target=maker.run, args=(f"job{n}", job)) for n in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert most == 2


def test_the_maker_says_busy_when_its_queue_is_full() -> None:
    maker: BoundedMaker[int] = BoundedMaker(workers=1, queue=1, wait=0.01)
    release = threading.Event()
    for n in range(2):  # one running, one waiting
        with pytest.raises(Busy):
            maker.run(f"slow{n}", lambda: int(release.wait(5)))
    start = time.monotonic()
    with pytest.raises(Busy, match="images are being made"):
        maker.run("one-more", lambda: 1)
    assert time.monotonic() - start < 0.5  # told at once, not after a wait
    release.set()


def test_a_caller_waits_no_longer_than_the_wait_and_the_job_still_finishes() -> None:
    maker: BoundedMaker[int] = BoundedMaker(workers=1, wait=0.1)
    finished = threading.Event()

    def slow() -> int:
        time.sleep(0.3)
        finished.set()
        return 1

    start = time.monotonic()
    with pytest.raises(Busy, match="not made within 0.1 s"):
        maker.run("slow", slow)
    assert time.monotonic() - start < 0.25
    assert finished.wait(2)


def test_a_caller_out_of_line_is_told_busy_at_once_when_its_job_is_queued() -> None:
    maker: BoundedMaker[int] = BoundedMaker(workers=1, wait=5.0)
    release = threading.Event()
    running = threading.Thread(target=maker.run, args=("first", lambda: int(release.wait(5))))
    running.start()
    while not maker.pending():
        time.sleep(0.001)
    made = threading.Event()
    start = time.monotonic()
    with pytest.raises(Busy, match="waiting for other images"):
        maker.run("second", lambda: int(made.set() or 2), in_line=False)
    assert time.monotonic() - start < 0.5  # not the five seconds of the wait
    release.set()
    running.join()
    assert made.wait(2)  # queued all the same, and made in its turn
    assert maker.run("third", lambda: 3, wait=1.0, in_line=False) == 3  # nothing ahead of it


def test_callers_asking_for_the_same_variant_share_one_job() -> None:
    maker: BoundedMaker[int] = BoundedMaker(workers=2, wait=5.0)
    runs = []

    def job() -> int:
        runs.append(1)
        time.sleep(0.1)
        return 7

    results: list[int] = []
    callers = [
        threading.Thread(target=lambda: results.append(maker.run("same", job))) for _ in range(4)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert results == [7, 7, 7, 7] and len(runs) == 1


def test_a_variant_request_beyond_the_limits_gets_a_stand_in(tmp_path: Path, media: Path) -> None:
    images = images_over(tmp_path, media, workers=1, wait=0.0, standin_wait=0.0)
    (media / "tram.jpg").write_bytes(jpeg((1600, 1200)))
    result = images.picture("/media/tram.jpg")
    assert isinstance(result, Picture)
    found = [images.variant_file(v.name) for v in result.variants[:6]]
    assert {f.state for f in found} <= {"standin", "ready"}
    standins = [f for f in found if f.state == "standin"]
    assert standins and all(f.path is not None and f.path.is_file() for f in standins)


def test_a_crop_request_beyond_the_limits_is_busy(tmp_path: Path, media: Path) -> None:
    images = images_over(tmp_path, media, workers=1, wait=0.0, standin_wait=0.0)
    (media / "tram.jpg").write_bytes(jpeg((1600, 1200)))
    result = images.picture("/media/tram.jpg")
    assert isinstance(result, Picture)
    states = {images.variant_file(result.crop(spec).name).state for spec in ("1x1", "4x3")}
    assert "busy" in states and states <= {"busy", "ready"}


# Remote images


@pytest.fixture(scope="module")
def site() -> Iterator[RemoteSite]:
    remote = RemoteSite()
    remote.routes["/photo.jpg"] = reply(jpeg((900, 600)))
    remote.routes["/chart.png"] = reply(png((500, 500)), "image/png")
    remote.routes["/photo.webp"] = reply(webp((640, 480)), "image/webp")
    remote.routes["/html-as-png.png"] = reply(HTML, "image/png")
    remote.routes["/bomb.png"] = reply(png_claiming(100_000, 100_000), "image/png")
    remote.routes["/truncated.jpg"] = reply(jpeg((1200, 900))[:4000])
    remote.routes["/drawing.svg"] = reply(SVG, "image/svg+xml")
    remote.routes["/failing.jpg"] = reply(b"oops", "text/plain", 503)
    with remote.running():
        yield remote


@pytest.mark.parametrize(
    ("path", "size"),
    [("/photo.jpg", (900, 600)), ("/chart.png", (500, 500)), ("/photo.webp", (640, 480))],
)
def test_a_remote_image_is_pending_until_prepared_then_served_from_here(
    images: Images, site: RemoteSite, path: str, size: tuple[int, int]
) -> None:
    url = site.url(path)
    pending = images.picture(url)
    assert isinstance(pending, NoPicture) and pending.kind == "pending"
    prepared = images.prepare(url)
    assert isinstance(prepared, Picture) and (prepared.width, prepared.height) == size
    assert all(images.folder.variant(v.name).exists() for v in prepared.variants)
    assert images.picture(url) == prepared


def test_a_remote_image_is_fetched_once_for_every_process_sharing_the_folder(
    tmp_path: Path, media: Path, site: RemoteSite
) -> None:
    url = site.url("/photo.jpg")
    hits = site.hits.get("/photo.jpg", 0)
    assert isinstance(images_over(tmp_path, media).prepare(url), Picture)
    other = images_over(tmp_path, media)
    assert isinstance(other.picture(url), Picture)
    assert isinstance(other.prepare(url), Picture)
    assert site.hits["/photo.jpg"] == hits + 1


def test_a_process_is_told_when_another_fetched_a_picture_it_showed_as_pending(
    tmp_path: Path, media: Path, site: RemoteSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = site.url("/photo.webp")
    monkeypatch.setattr(pictures, "RECHECK", 0.0)  # look again at once, not 5 s later
    showing = images_over(tmp_path, media)
    told: list[str] = []
    showing.listeners.append(told.append)
    assert isinstance(showing.picture(url), NoPicture)
    assert isinstance(images_over(tmp_path, media).prepare(url), Picture)  # another process
    assert told == []
    assert isinstance(showing.picture(url), Picture)
    assert told == [url]  # its pages showed the placeholder: they must go


def test_a_damaged_original_found_while_a_reader_waits_is_told(images: Images, media: Path) -> None:
    (media / "cut.jpg").write_bytes(jpeg((1200, 900))[:5000])
    picture = images.picture("/media/cut.jpg")
    assert isinstance(picture, Picture)  # its header is whole: pages show it
    told: list[str] = []
    images.listeners.append(told.append)
    assert images.variant_file(picture.fallback.name).state == "failed"
    assert told == ["/media/cut.jpg"]
    assert isinstance(images.picture("/media/cut.jpg"), NoPicture)


def test_remote_images_are_hotlinked_when_fetching_is_off(
    tmp_path: Path, media: Path, site: RemoteSite
) -> None:
    images = images_over(tmp_path, media, fetch=False)
    hits = dict(site.hits)
    result = images.prepare(site.url("/photo.jpg"))
    assert isinstance(result, NoPicture) and result.kind == "hotlink"
    assert images.verdict(site.url("/photo.jpg")) is None
    assert site.hits == hits


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/html-as-png.png", "an HTML page, not an image (sent as image/png)"),
        ("/bomb.png", "too many pixels"),
        ("/truncated.jpg", "a damaged or truncated image"),
        ("/missing.jpg", "HTTP 404 from 127.0.0.1"),
    ],
)
def test_a_hostile_remote_image_fails_with_its_reason_and_nothing_escapes(
    images: Images, site: RemoteSite, path: str, reason: str
) -> None:
    result = images.prepare(site.url(path))
    assert isinstance(result, NoPicture) and result.kind == "failed"
    assert reason in result.reason
    verdict = images.verdict(site.url(path))
    assert verdict is not None and verdict.severity == "error" and reason in verdict.message


def test_an_unexpected_error_while_fetching_is_recorded_and_waits_like_a_failure(
    images: Images, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(pictures, "fetch", broken)
    url = "https://cdn.example.org/tram.jpg"
    result = images.prepare(url)
    assert isinstance(result, NoPicture) and result.reason == "could not be fetched (RuntimeError)"
    record = images.folder.remote(url)
    assert record is not None and record.retry_at > images.clock()


def test_a_remote_svg_is_linked(images: Images, site: RemoteSite) -> None:
    result = images.prepare(site.url("/drawing.svg"))
    assert isinstance(result, NoPicture) and result.kind == "svg"


def test_a_failed_fetch_is_retried_only_when_its_wait_is_over(
    tmp_path: Path, media: Path, site: RemoteSite
) -> None:
    clock = Clock()
    images = images_over(tmp_path, media, clock=clock)
    url = site.url("/failing.jpg")
    images.prepare(url)
    assert site.hits["/failing.jpg"] == 1
    verdict = images.verdict(url)
    assert verdict is not None and verdict.severity == "warning"  # a 503 may pass
    assert "HTTP 503" in verdict.message and "1 tries" in verdict.message
    images.prepare(url)
    clock.now += 299
    images.prepare(url)
    assert site.hits["/failing.jpg"] == 1  # not on every request
    clock.now += 2  # five minutes after the first try
    images.prepare(url)
    assert site.hits["/failing.jpg"] == 2
    clock.now += 301  # the second wait is twice the first
    images.prepare(url)
    assert site.hits["/failing.jpg"] == 2
    record = images.folder.remote(url)
    assert record is not None and record.attempts == 2 and record.retry_at == clock.now - 301 + 600


def test_a_remote_image_not_fetched_yet_is_a_note_for_the_check(
    images: Images, site: RemoteSite
) -> None:
    hits = dict(site.hits)
    verdict = images.verdict(site.url("/chart.png?never-fetched"))
    assert verdict is not None and verdict.severity == "info"
    assert "never fetches" in verdict.message
    assert site.hits == hits


# Off the request path


def test_the_background_prepares_every_image_of_an_article(
    images: Images, media: Path, site: RemoteSite
) -> None:
    (media / "lead.png").write_bytes(png((400, 300)))
    body = (
        f'![A chart]({site.url("/chart.png")} "The chart")\n\n'
        '<p><img src="/media/lead.png" alt=""></p>\n\n![by label][pic]\n\n'
        f"[pic]: {site.url('/photo.webp')}\n"
    )
    article = parsed_article("a.md", front="featuredimage: /media/lead.png", body=body)
    preparer = ImagePreparer(images, lambda a: article.parts)
    thread = preparer.start()
    try:
        preparer.submit(article.without_text())
        deadline = time.monotonic() + 20
        wanted = ["/media/lead.png", site.url("/chart.png"), site.url("/photo.webp")]
        while time.monotonic() < deadline:
            results = [images.picture(r) for r in wanted]
            if all(isinstance(r, Picture) for r in results):
                break
            time.sleep(0.05)
        assert all(isinstance(r, Picture) for r in results), results
    finally:
        preparer.stop()
        thread.join(5)
    assert not thread.is_alive()


# The folder's permissions


def modes(images: Images, picture: Picture) -> dict[str, int]:
    """The permission bits of what a web server may and may not read."""
    variant = images.folder.variant(picture.fallback.name)
    return {
        "root": images.folder.root.stat().st_mode & 0o777,
        "variants": (images.folder.root / "variants").stat().st_mode & 0o777,
        "shard": variant.parent.stat().st_mode & 0o777,
        "variant": variant.stat().st_mode & 0o777,
        "original": images.folder.original(picture.sha).stat().st_mode & 0o777,
    }


@pytest.mark.parametrize(
    ("group_read", "expected"),
    [
        (False, {"variants": 0o700, "shard": 0o700, "variant": 0o600, "original": 0o600}),
        (
            True,
            {"root": 0o750, "variants": 0o750, "shard": 0o750, "variant": 0o640, "original": 0o600},
        ),
    ],
)
def test_only_the_sizes_made_are_readable_by_the_folders_group_and_only_when_asked(
    tmp_path: Path, media: Path, group_read: bool, expected: dict[str, int]
) -> None:
    (media / "tram.jpg").write_bytes(jpeg())
    images = images_over(tmp_path, media, group_read=group_read)
    picture = images.prepare("/media/tram.jpg")
    assert isinstance(picture, Picture)
    found = modes(images, picture)
    assert {name: found[name] for name in expected} == expected
