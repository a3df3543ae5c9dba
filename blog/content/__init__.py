"""The content layer: article files → validated ``Article`` objects → the immutable ``Index``.

No Flask and no other layer of the site: ``models``/``fields``/``quirks`` read one file
into an article, ``files``/``watch`` find what changed in the folder, ``store`` keeps parsed
articles and their text on disk, ``git`` dates them by their commits, ``index`` and
``index_update`` build what pages look things up in, ``archive`` finds a year's or a month's
articles in it, ``profiles`` reads an author profile (``authors/<slug>.md``, not an article),
and ``library`` keeps all of it fresh with its parts (``reading``, ``store_writes``,
``catalog``, ``texts``, ``reports``, ``profile_shelf``).
"""
