"""The images' own URLs: uploads as they are (``/media/<file>``) and the sizes and formats
the images layer makes of every picture (``/img/<name>``).

The editor in the browser uploads pictures to ``MEDIA_DIR`` and names them ``/media/…`` in
articles (``decap_config.public_folder``); with ``MEDIA_DIR`` left empty they are in the static
folder and ``/static/media/…`` serves them. Only files inside the folder, never a listing; each
answer carries the site's security headers (an SVG is a document: the policy applies).

A variant's name is a fingerprint of its bytes (``blog/images/variants.py``), so it is sent
with a one-year, immutable lifetime and the name as its ETag, the same on every host. One
not made yet is made now, bounded (``IMAGE_VARIANT_WORKERS`` at once); a reader waits for it
at most ``IMAGE_VARIANT_STANDIN_WAIT``, then gets the best image of the picture already on
disk (another width, or the original) marked ``no-store``, so the browser and nginx ask
again later and get the variant, made meanwhile. Only when nothing can stand in (a crop: no
other image has its shape) does a reader wait up to ``IMAGE_VARIANT_WAIT``, then get a 503
with ``Retry-After``, which no cache keeps either. A name the images layer does not know, or
an original that cannot be decoded, is a 404: never a 500, whatever the name. nginx can
serve ``/img/`` from the images folder before asking the app (``deploy/nginx-proxy.conf``).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_file, send_from_directory, url_for
from werkzeug.wrappers import Response

from blog.images.variants import Variant
from blog.web.state import get_images, get_settings
from blog.web.urls import absolute

bp = Blueprint("media", __name__)

MAX_AGE = 3600  # an uploaded file may be replaced under its name: an hour, then revalidate
YEAR = 365 * 24 * 3600
RETRY_AFTER = 2  # seconds: a variant being made is usually ready by then
MISSING_MAX_AGE = 60  # a 404 may become an image (an original stored later): not for long


@bp.get("/media/<path:filename>")
def media_file(filename: str) -> Response:
    folder = get_settings().MEDIA_DIR
    if not folder:
        abort(404)
    return send_from_directory(Path(folder).resolve(), filename, max_age=MAX_AGE)


def variant_url(variant: Variant) -> str:
    """The site path of a variant (with the mount path)."""
    return url_for("media.variant", name=variant.name)


def absolute_variant_url(variant: Variant) -> str:
    """A variant's absolute URL on the site's public origin (feeds, social cards)."""
    return absolute(variant_url(variant))


@bp.get("/img/<name>")
def variant(name: str) -> Response:
    """One size and format of a picture, made now if it is missing."""
    found = get_images().variant_file(name)
    if found.state == "busy":
        response = Response("This image is being made: try again.\n", 503, mimetype="text/plain")
        response.headers["Retry-After"] = str(RETRY_AFTER)
        response.cache_control.no_store = True
        return response
    if found.state == "standin" and found.path is not None:
        response = send_file(found.path, mimetype=found.mime, etag=False, conditional=False)
        response.cache_control.no_cache = None
        response.cache_control.no_store = True
        return response
    if found.state != "ready" or found.path is None:
        response = Response("No such image.\n", 404, mimetype="text/plain")
        response.cache_control.public = True
        response.cache_control.max_age = MISSING_MAX_AGE
        return response
    response = send_file(found.path, max_age=YEAR, etag=name.rpartition(".")[0], conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
