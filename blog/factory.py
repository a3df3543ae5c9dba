"""The app factory: ``create_app`` reads the settings once (``settings.py``: defaults, then
``FLASK_*`` environment variables, then a test's overrides), has the web layer assemble the
site's parts (``web/site.py``), and registers the blueprints and the editors' commands.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from flask import Flask

from blog import paths
from blog.editor import cli
from blog.settings import Settings, as_config, load
from blog.web import assets, site, templating
from blog.web.archives import bp as archive_pages
from blog.web.authors import bp as author_pages
from blog.web.discovery import bp as feeds_and_sitemaps
from blog.web.media import bp as media
from blog.web.pages import bp as pages
from blog.web.pictures import init_app as serve_pictures
from blog.web.search import bp as search_page
from blog.web.site import code_fingerprint, prepare_worker
from blog.web.state import get_library
from blog.web.status import bp as status
from blog.web.webhook import bp as webhook


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the site: settings, content library, response cache, routes."""
    settings, flask_own = load(overrides=test_config, commands=cli.environment_names())
    settings = _derived(settings)
    app = Flask(
        __name__,
        template_folder=str(paths.TEMPLATES),
        static_folder=str(paths.STATIC),
    )
    # Block tags leave no blank lines behind: smaller pages, readable source.
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.config.update(as_config(settings), **flask_own)
    app.extensions["blog.settings"] = settings
    logging.getLogger("blog").setLevel(settings.LOG_LEVEL.upper())

    site.assemble(app, settings)
    assets.init_app(app)
    serve_pictures(app)  # <picture> for templates (media.py: /img/… and /media/…)
    templating.init_app(app)
    blueprints = (
        pages,
        author_pages,
        archive_pages,
        feeds_and_sitemaps,
        search_page,
        webhook,
        status,
    )
    for blueprint in (*blueprints, media):
        app.register_blueprint(blueprint)
    if settings.DECAP_BACKEND:  # else /admin/ is an unknown URL, a 404
        # Imported only here: its OAuth client (authlib, requests) is a tenth of a second
        # of every start of a site that has no /admin/.
        from blog.web import admin

        app.register_blueprint(admin.bp)
    app.cli.add_command(cli.content)
    app.cli.add_command(cli.freeze_command)
    return app


def _derived(settings: Settings) -> Settings:
    """Fill what is left empty: the content folder and a deploy id from the code."""
    if not settings.CONTENT_DIR:
        settings = replace(settings, CONTENT_DIR=paths.DEFAULT_CONTENT)
    if not settings.DEPLOY_ID:
        folders = {"blog": paths.PACKAGE, "templates": paths.TEMPLATES, "static": paths.STATIC}
        settings = replace(settings, DEPLOY_ID=code_fingerprint(folders))
    return settings


__all__ = ["create_app", "get_library", "prepare_worker"]
