"""The vault on disk: the one place that reads it and the one that writes into it.

`scan` lists and reads note files (never blocking, never following a link out
of the vault), `cache` keeps parsed notes and memos in ``.zettel/cache``,
`statedir` checks zettel's own folders, `config` reads settings (the vault's,
untrusted, and the user's), `write` is every write (atomic, exclusive, span
edits), `create` makes new notes, `facts` remembers the check report and what
the listing commands need of the graph, `editing` plans ``mv`` and ``retitle``
from what it reads, `repair` plans ``fix`` and ``mentions --link`` (`stubs`
names the notes it creates, `sketches` keeps each note's words), `journal`
writes every plan as one batch that can be rolled back and undone
(`journal_entry`, `journal_key`, `reversal`; `write_paths` moves, creates and
removes files for it).

May import: `zettel.core` and the standard library, PyYAML (to write new
notes), platformdirs. Never search, the CLI or the TUI.
"""
