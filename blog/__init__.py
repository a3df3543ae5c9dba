"""The Harbour Courier: a news site that reads its articles from Markdown files.

``from blog import create_app`` (``factory.py``) builds the site. The package itself
imports nothing until then, so that a process needing one layer only (the render process
of ``markup/isolated.py``) does not load Flask and the rest of the site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blog.factory import create_app, get_library, prepare_worker

__all__ = ["create_app", "get_library", "prepare_worker"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from blog import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'blog' has no attribute {name!r}")
