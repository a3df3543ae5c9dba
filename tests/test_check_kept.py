"""The check keeps each file's own findings beside the store and reads an unchanged file
again only when something its findings depend on changed: its bytes, the settings, the
code, the clock passing a moment that matters. Whatever changed, the output is what a fresh
run over the same files says, word for word; the images are judged at every run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from blog.editor import check_files
from tests.articles import Content, article_text
from tests.conftest import FIXED_NOW, build_app, set_clock
from tests.image_files import jpeg

Check = Callable[..., tuple[str, set[str]]]


@pytest.fixture
def check(content: Content, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Check:
    """Run the check with the findings kept in one store folder: (its output, the files it
    parsed); and the same check without anything kept, which must say the same."""
    parsed: set[str] = set()
    own = check_files._own

    def counting(job: check_files.Job, paths: list[str]) -> dict[str, check_files.Own]:
        parsed.update(paths)
        return own(job, paths)

    monkeypatch.setattr(check_files, "_own", counting)
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)

    def run(now: dt.datetime = FIXED_NOW, **config: object) -> tuple[str, set[str]]:
        settings = {"MEDIA_DIR": str(media), "IMAGE_FETCH": False, **config}
        outputs = []
        for store in (str(tmp_path / "store"), "off"):
            parsed.clear()
            app: Flask = build_app(content.root, STORE_DIR=store, **settings)
            set_clock(app, now)
            outputs.append(app.test_cli_runner().invoke(args=["content", "check"]).output)
            if store != "off":
                seen = set(parsed)
        kept, fresh = outputs
        assert kept == fresh
        return kept, seen

    return run


def test_an_unchanged_file_is_not_parsed_again_and_an_edited_one_is(
    content: Content, check: Check
) -> None:
    content.write("2025-01-01-one.md", article_text(body="Text <script>x</script>"))
    content.write("2025-01-02-two.md", article_text())
    first, parsed = check()
    assert parsed == {"2025-01-01-one.md", "2025-01-02-two.md"} and "<script>" in first

    assert check() == (first, set())
    content.write("2025-01-02-two.md", article_text(title='""'))
    out, parsed = check()
    assert parsed == {"2025-01-02-two.md"} and "2025-01-02-two.md:2: error: title" in out


def test_a_change_of_settings_reads_every_file_again(content: Content, check: Check) -> None:
    content.write("2025-01-01-one.md", article_text(front="categoria: Business"))
    check()
    out, parsed = check(CATEGORIES=["Sport"])
    assert parsed == {"2025-01-01-one.md"} and "is not one of the categories" in out


def test_a_picture_appearing_or_going_changes_the_findings_at_once(
    content: Content, check: Check, tmp_path: Path
) -> None:
    content.write("2025-01-01-one.md", article_text(front="featuredimage: /media/p.jpg"))
    missing, _ = check()
    assert "/media/p.jpg: cannot be shown" in missing
    (tmp_path / "media" / "p.jpg").write_bytes(jpeg())
    there, parsed = check()
    assert parsed == set() and "p.jpg" not in there
    (tmp_path / "media" / "p.jpg").unlink()
    assert check() == (missing, set())


def test_the_clock_passing_a_date_or_a_strip_s_end_reads_the_file_again(
    content: Content, check: Check
) -> None:
    later = FIXED_NOW + dt.timedelta(days=2)
    content.write("2026-11-27-soon.md", article_text(date="2026-11-27T08:00:00Z"))
    content.write(
        "2026-11-26-news.md", article_text(date="2026-11-26T11:00:00Z", front="breaking: true")
    )
    before, _ = check()
    assert "scheduled for 2026-11-27 08:00 UTC" in before and "no strip shows" not in before
    assert check()[1] == set()

    after, parsed = check(now=later)
    assert parsed == {"2026-11-27-soon.md", "2026-11-26-news.md"}
    assert "scheduled" not in after and "no strip shows" in after
    out, parsed = check()  # the clock back: nothing kept from a later time is used
    assert out == before and parsed == {"2026-11-27-soon.md", "2026-11-26-news.md"}
