"""The search layer: SQLite's FTS5 engine over the on-disk store (``engine``) and the plain
text it indexes and highlights (``text``). No Flask."""
