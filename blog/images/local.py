"""Which file a site path names: ``/static/…`` and ``/media/…`` lead into their folders and
never out of them (no ``..``, encoded or not, no link pointing outside)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote


class LocalFiles:
    """The folders site paths name, by prefix (``{"/static/": …, "/media/": …}``)."""

    def __init__(self, roots: Mapping[str, Path]) -> None:
        # Longest prefix first: "/static/media/" before "/static/".
        self.roots = sorted(roots.items(), key=lambda item: -len(item[0]))

    def file(self, reference: str) -> Path | str:
        """The file ``reference`` names, inside one of the folders; else why not."""
        path = unquote(reference.split("?", 1)[0].split("#", 1)[0])
        for prefix, root in self.roots:
            if path.startswith(prefix):
                relative = path[len(prefix) :]
                parts = relative.split("/")
                if "\0" in relative or any(p in ("..", ".") for p in parts) or not relative:
                    return "not a file name"
                resolved = (root / relative).resolve()
                if not resolved.is_relative_to(root.resolve()):
                    return "outside the site's folders"
                return resolved
        where = " or ".join(prefix for prefix, _ in self.roots)
        return f"not a file of the site's (they are under {where})"

    def shown(self, path: Path) -> str:
        """A file's place for a message, from its folder's name on."""
        for _, root in self.roots:
            if path.is_relative_to(root.resolve()):
                return f"looked for {root.name}/{path.relative_to(root.resolve())}"
        return path.name
