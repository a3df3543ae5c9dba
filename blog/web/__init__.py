"""The web layer: Flask blueprints (pages, author and archive pages, feeds and sitemaps,
search, the webhook, previews), page metadata, URLs (the only place URL shapes live),
assets, the response cache and HTTP validators, the fast lane in front of Flask, and
security headers. ``site`` assembles the layers below for one app; ``state`` is where views
find them."""
