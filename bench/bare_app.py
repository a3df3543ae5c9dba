"""The stack's own ceiling: Flask returning a constant string, under the same gunicorn."""

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><title>bare</title><p>" + "x" * 20_000 + "</p>"


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def constant(path: str) -> str:
    return PAGE
