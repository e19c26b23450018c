"""The ``zettel`` command (click): `main` (the commands), `common` (exit codes,
errors, output), `search` (search, related, index).

May import: `zettel.core`, `zettel.vault`, `zettel.search` (lazily: a command
that does not search loads no Whoosh), and the TUI only to open it.
"""
