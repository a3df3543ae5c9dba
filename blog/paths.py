"""Where the site's templates, static files and default content folder are.

A checkout (and an editable install) keeps ``templates/`` and ``static/`` at the top level,
beside ``blog/``. ``pip install .`` ships them inside the package, as ``blog/templates`` and
``blog/static`` (``pyproject.toml`` maps them there), so an installed site needs no checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
#: True for an installed copy (templates inside the package), False for a checkout.
INSTALLED = (PACKAGE / "templates").is_dir()
_SHIPPED = PACKAGE if INSTALLED else PACKAGE.parent

TEMPLATES = _SHIPPED / "templates"
STATIC = _SHIPPED / "static"
#: The sample articles beside ``app.py`` in a checkout; an installed copy has none, so it
#: reads ``content/`` in the folder it is started from (or ``FLASK_CONTENT_DIR``).
DEFAULT_CONTENT = "content" if INSTALLED else str(PACKAGE.parent / "content")
#: npm's folder (``npm ci``: Decap CMS for /admin/): beside ``app.py`` in a checkout, in the
#: folder the site starts in when installed.
NODE_MODULES = Path("node_modules") if INSTALLED else PACKAGE.parent / "node_modules"
