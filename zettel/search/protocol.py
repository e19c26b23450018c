"""What a search engine offers zettel, and what zettel needs from one.

Two protocols, no engine here (nothing in this module imports Whoosh):

- `SearchEngine` is what the command line, the TUI and the Python API hold:
  the index of one vault, kept in step with its files (`sync`), searched
  (`search`, `related`), released (`close`), with `notices` for the person.
  `zettel.search.keeper.SearchIndex` is the one there is.
- `Backend` and `OpenIndex` are what `SearchIndex` asks of an engine for the
  parts that depend on it: which files it writes in a build folder
  (`zettel.search.state.FileKinds`), building, opening, updating and reading an index, and which
  errors mean its files are damaged. What does not depend on the engine (the
  lock, the build folders and the switch between them, the manifest of
  indexed files, recovering from damage) lives in `zettel.search.keeper` and
  `zettel.search.state`. `zettel.search.whoosh.engine` is the Whoosh backend, the
  only module that knows Whoosh's schema, field names and analyzers.

An engine's own record of an index (``EngineState``: for Whoosh, the
generation of its table of contents and the totals of field lengths that
ranking needs) is plain data the manifest keeps for it and hands back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from zettel.core.model import Note
from zettel.search.model import Hit, Results, SyncReport
from zettel.search.state import EngineState, FileKinds

__all__ = ["Backend", "EngineState", "FileKinds", "IndexProgress", "OpenIndex", "SearchEngine"]

#: What a sync reports as it goes: (phase, done, total); total 0 when unknown.
IndexProgress = Callable[[str, int, int], None]


class SearchEngine(Protocol):
    """The full-text index of one vault, as the command line and the TUI use it.

    Call `sync` before searching. Notices for the person (a rebuild and why, a
    busy index) gather in ``notices``; the caller shows and clears them.
    """

    notices: list[str]

    def sync(self, *, rebuild: bool = False, progress: IndexProgress | None = None) -> SyncReport:
        """Bring the index up to date with the files, touching only what changed."""
        ...

    def search(self, text: str, *, limit: int | None = 10, snippets: bool = True,
               count: bool = True) -> Results:
        """The notes matching ``text`` (docs/search.md), best first, then by path;
        `zettel.search.model.QueryError` when the query is malformed."""
        ...

    def related(self, path: str, *, limit: int = 10) -> list[Hit]:
        """The notes closest in content to the note at ``path``."""
        ...

    def close(self) -> None:
        """Release what the index holds open."""
        ...


class OpenIndex(Protocol):
    """One build of the index, opened for reading (and updating)."""

    #: Its record for the manifest, as of its last build or update.
    state: EngineState

    def update(self, removed: Iterable[str], notes: Iterable[Note]) -> None:
        """Drop the notes at ``removed`` and (re)index ``notes``; commit."""
        ...

    def search(self, text: str, *, limit: int | None, snippets: bool, count: bool,
               read: Callable[[str], Note]) -> Results:
        """`SearchEngine.search`; ``read`` reads a note of the vault (for snippets)."""
        ...

    def related(self, path: str, body: str, *, limit: int) -> list[Hit]:
        """`SearchEngine.related`, ``body`` being the text of the note at ``path``."""
        ...

    def close(self) -> None:
        """Release its files."""
        ...


class Backend(Protocol):
    """A search engine, as `zettel.search.keeper.SearchIndex` builds on it."""

    files: FileKinds

    def check(self, folder: Path, state: EngineState, files: Iterable[str]) -> str | None:
        """Why the build in ``folder`` is not the one ``state`` records, with the
        files ``files`` (as the manifest lists them); None when it is."""
        ...

    def open(self, folder: Path, state: EngineState) -> OpenIndex:
        """Open the build in ``folder``; `damage` tells what its errors mean."""
        ...

    def build(self, folder: Path, notes: Iterable[Note], count: int,
              progress: IndexProgress, procs: int | None) -> OpenIndex:
        """Index ``count`` notes into the empty ``folder`` and open it."""
        ...

    def damage(self, err: BaseException) -> str | None:
        """Why ``err`` means the index's files are damaged (a rebuild mends
        it), or None when it is anything else: a bug, to be raised."""
        ...
