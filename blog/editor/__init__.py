"""The editors' layer: the ``flask content …`` commands and the pre-commit check (``cli``),
the findings (``check``), and the static copy of the site (``freeze``). The top layer: it
may import every layer below."""
