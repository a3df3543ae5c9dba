"""The stack's own ceiling: Flask returning a constant string, under the same gunicorn.

Each path answers a constant as long as the app's page there (``BARE_PAGES``, JSON: path to
length, set by compare.py): a 320 kB feed costs the stack more to send than a 20 kB page, so
the ceiling for it is lower. Any other path answers 20 kB.
"""

import json
import os

from flask import Flask

app = Flask(__name__)
HEAD, TAIL = "<!doctype html><title>bare</title><p>", "</p>"


def _page(length: int) -> str:
    return HEAD + "x" * max(0, length - len(HEAD) - len(TAIL)) + TAIL


PAGES = {path: _page(n) for path, n in json.loads(os.environ.get("BARE_PAGES", "{}")).items()}
DEFAULT = _page(20_000)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def constant(path: str) -> str:
    return PAGES.get("/" + path, DEFAULT)
