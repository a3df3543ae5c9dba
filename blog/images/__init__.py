"""Images: fetching, checking, sizes and formats; no Flask (it may use ``blog.content``).

Articles name images as site paths (``/static/…``, ``/media/…``: files of ours) or remote
URLs (``https://…``), in ``featuredimage`` and in their text (``references.py``). This layer
turns each into a ``Picture`` the site serves from its own origin, in the sizes and formats
a reader's screen needs, or says why it cannot (``NoPicture``), without ever fetching or
decoding while a reader waits, except one bounded variant at a time.

The modules: ``references`` (where articles name images), ``probe`` (bytes → an image the
site takes, or the reason not), ``fetch`` (one remote image, the careful way), ``folder``
(what is kept on disk, content-addressed), ``variants`` (sizes, formats, crops, names;
Pillow), ``maker`` (bounded work while a reader waits), ``pictures`` (``Images``, the
facade), ``models`` (what it answers with) and ``background`` (the thread that prepares
images of changed articles).

The web layer's calls (``web/site.py`` builds one ``Images`` per app, kept in
``app.extensions["blog.images"]``, reached by ``state.get_images()``):

``images.picture(reference) -> Picture | NoPicture``
    Cheap (memoized per file version or URL record; reads no pixels): for a page's
    ``<picture>``. A ``Picture`` has the real ``width``/``height`` (orientation applied)
    for ``<img width height>``, ``formats`` (best first, e.g. AVIF, WebP, JPEG; the last is
    the fallback for ``<img>``), ``srcset(fmt)`` (``Variant``s narrowest first, for
    ``srcset="… 320w, … 640w"``), ``fallback`` (``<img src>``), ``crop("social")`` (og:image,
    1200×630 or smaller) and ``crop("1x1" | "4x3" | "16x9")`` (JSON-LD). Every ``Variant``
    has ``name`` (the last part of its URL: the web layer owns the URL,
    ``/img/<name>``), ``mime``, ``width`` and ``height``, whether made yet or not. A
    ``NoPicture`` says what to show instead: ``hotlink`` (``IMAGE_FETCH=off``: the URL as
    it is), ``pending`` (a remote image not fetched yet: hotlink it or show the
    placeholder), ``svg`` (a plain link, never an ``<img>``) or ``failed`` (the placeholder;
    ``reason`` for the log).

``images.variant_file(name) -> VariantFile``
    For the variant route: ``ready`` and its ``path`` (serve with ``Cache-Control: public,
    max-age=31536000, immutable``: a name never names other bytes), made now if missing
    (at most ``IMAGE_VARIANT_WORKERS`` at once, a caller waiting at most
    ``IMAGE_VARIANT_WAIT`` seconds); ``busy`` (503 with ``Retry-After``); ``unknown`` or
    ``failed`` (404). The files live in ``images.folder.root / "variants" / name[:2] /
    name``, a layout nginx can serve directly (``try_files``) before asking the app.

``images.made_size(variant) -> int | None``
    A made variant's bytes (a feed enclosure's ``length``).

``ImagePreparer(images, library.parts)`` (``background.py``)
    The thread that fetches remote images and makes every variant off the request path
    (every queued article's fetches first, then the variants); ``submit(article)`` queues
    one. ``images.listeners`` are called with a reference whose picture changed (fetched,
    failed, found damaged; or, as a process finds on looking again, changed by another
    process), for anything keyed on it (cached pages: ``web/cache.py``).

``images.verdict(reference) -> Verdict | None``
    For ``flask content check``: a severity and a message; never fetches (a remote image
    this host has not fetched is an ``info`` saying so).
"""
