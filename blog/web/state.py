"""Where a view finds the app's parts: one accessor each, over ``app.extensions``."""

from __future__ import annotations

from flask import Flask, current_app

from blog.content.library import Library
from blog.images.pictures import Images
from blog.markup.html import ArticleHtml
from blog.search.live import LiveSearch
from blog.settings import Settings


def get_library(app: Flask | None = None) -> Library:
    """The app's content library (one per app, kept in ``app.extensions``)."""
    library: Library = (app or current_app).extensions["blog.library"]
    return library


def get_html(app: Flask | None = None) -> ArticleHtml:
    """The app's memo of articles' sanitized HTML."""
    html: ArticleHtml = (app or current_app).extensions["blog.html"]
    return html


def get_images(app: Flask | None = None) -> Images:
    """The app's images: pictures for pages, variants, the check's verdicts."""
    images: Images = (app or current_app).extensions["blog.images"]
    return images


def get_settings(app: Flask | None = None) -> Settings:
    """The app's typed settings, read and checked once at start (``blog/settings.py``)."""
    settings: Settings = (app or current_app).extensions["blog.settings"]
    return settings


def get_search(app: Flask | None = None) -> LiveSearch:
    """The app's search engine, kept at the library's current content version."""
    search: LiveSearch = (app or current_app).extensions["blog.search"]
    return search
