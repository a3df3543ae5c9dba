"""Compressed responses: stored compressed once, chosen by Accept-Encoding, validated per coding."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask.testing import FlaskClient

from tests.articles import Content, article_text


@pytest.fixture
def story(content: Content) -> Content:
    content.write("story.md", article_text(title="Long Story", body="Words. " * 400))
    return content


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("identity", None),
        ("", None),
    ],
)
def test_coding_follows_accept_encoding(
    story: Content, client: FlaskClient, accept: str, coding: str | None
) -> None:
    plain = client.get("/news/story/").data
    response = client.get("/news/story/", headers={"Accept-Encoding": accept})
    assert response.headers.get("Content-Encoding") == coding
    assert "Accept-Encoding" in response.headers["Vary"]
    decode = {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda b: b}[coding]
    assert decode(response.data) == plain


def test_each_coding_has_its_own_etag_and_304(story: Content, client: FlaskClient) -> None:
    etags = {
        c: client.get("/news/story/", headers={"Accept-Encoding": c}).headers["ETag"]
        for c in ("br", "gzip", "identity")
    }
    assert len(set(etags.values())) == 3
    again = client.get(
        "/news/story/", headers={"Accept-Encoding": "br", "If-None-Match": etags["br"]}
    )
    assert again.status_code == 304


def test_feeds_are_compressed_too(story: Content, client: FlaskClient) -> None:
    response = client.get("/feed.xml", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).startswith(b"<?xml")


def test_tiny_responses_are_not_compressed(story: Content, client: FlaskClient) -> None:
    response = client.get("/robots.txt", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers
