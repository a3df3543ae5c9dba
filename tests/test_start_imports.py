"""A default site's start imports only what a default site uses: the OAuth client of
``/admin/`` and the Redis client load where they are used (a tenth of a second and more of
every restart at 100,000 articles, where the target is a second)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

START = """
import sys
from blog import create_app
app = create_app({"CONTENT_DIR": sys.argv[1], "STORE_DIR": sys.argv[2], "TESTING": True})
assert app.test_client().get("/").status_code == 200
print(" ".join(sorted(name for name in ("authlib", "redis", "requests") if name in sys.modules)))
"""


def test_a_default_site_starts_without_the_oauth_and_redis_clients(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "2025-06-02-one.md").write_text("---\ntitle: One\ndate: 2025-06-02\n---\nBody\n")
    done = subprocess.run(
        [sys.executable, "-c", START, str(content), str(tmp_path / "store")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == ""
