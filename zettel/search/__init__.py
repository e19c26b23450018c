"""Full-text search, behind one interface.

`protocol` is what the CLI, the TUI and the API type against
(`SearchEngine`); `keeper` keeps an index in step with the vault whatever the
engine (lock, build folders, manifest, recovery); `state` and `files` are its
manifest and its safe file handling; `model` holds queries, hits and errors
without any engine. `whoosh/` is the engine: the only package that imports
Whoosh.

May import: `zettel.core`, `zettel.vault`; Whoosh only inside `whoosh/`.
"""
