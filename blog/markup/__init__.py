"""The markup layer: editors' Markdown → sanitized HTML (``render``), memoized per article
version (``html``), and what sanitizing would remove, for the editors' check (``removals``).
Imports the content layer's types only; no Flask."""
