"""The public Python API: a vault as one object, for scripts and notebooks.

``zettel.open(path)`` reads the vault and returns a `Vault`; everything else is
a method or property of it, built on first use (the graph and networkx when a
graph answer is asked for, the Whoosh index when a search is). See
docs/api.md. The strings it returns are as written in the files: escape them
(`zettel.core.display.clean`) before printing them to a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from zettel.core.model import Link, Note
from zettel.vault.facts import Backlink
from zettel.vault.scan import open_vault

if TYPE_CHECKING:
    import networkx as nx

    from zettel.core.check import Report
    from zettel.core.graph import KnowledgeGraph
    from zettel.core.plan import Plan
    from zettel.core.resolve import Resolver
    from zettel.search.keeper import Hit, SearchIndex
    from zettel.vault.scan import Vault as Scan

#: What names a note: a `Note`, its vault-relative path, id, file name, title
#: or alias (a string), or a file path (an `os.PathLike`, inside the vault).
NoteName = Note | str | os.PathLike[str]


class NoteNotFound(LookupError):
    """No note of the vault goes by this name."""


class AmbiguousName(LookupError):
    """Several notes go by this name (``paths``), at the first step that matched."""

    def __init__(self, message: str, paths: tuple[str, ...]) -> None:
        super().__init__(message)
        self.paths = paths


class BrokenLink(NamedTuple):
    """A link that reaches no note: the note it is written in, the link, its
    paragraph, and the name of the note it probably meant (or None)."""

    source: str
    link: Link
    context: str
    suggestion: str | None


class AmbiguousLink(NamedTuple):
    """A link that matches several notes (``candidates``, their paths) at the
    first matching step (``step``: id, path, stem, title, alias or file)."""

    source: str
    link: Link
    context: str
    candidates: tuple[str, ...]
    step: str


def open(path: str | os.PathLike[str], *, cache: bool = True) -> Vault:
    """Read the vault at ``path`` (see `Vault`)."""
    return Vault(path, cache=cache)


class Vault:
    """One vault, read once: its notes, and answers about them built on first use.

    With ``cache`` (the default) unchanged notes come from the parse cache in
    ``.zettel/cache/``, which is brought up to date; without it every note is
    parsed and no cache is read or written. The full-text index lives in
    ``.zettel/index/`` either way. The notes are those of the moment the vault
    was read: `reload` reads it again (`new_note` does). Raises
    `zettel.vault.scan.VaultError` when ``path`` is not a readable folder,
    `zettel.vault.config.ConfigError` when its settings cannot be used, and
    `zettel.vault.statedir.UnsafeStateDir` for a ``.zettel`` that is a link or
    another user's. Close it (or use ``with``) when searching: the index
    keeps files open.
    """

    def __init__(self, path: str | os.PathLike[str], *, cache: bool = True) -> None:
        self.root = Path(path)
        self.cache = cache
        self._index: SearchIndex | None = None
        self._read()

    def _read(self) -> None:
        self._scan: Scan = open_vault(self.root, use_cache=self.cache)
        self._by_path = {note.path: note for note in self._scan.notes}
        self._knowledge: KnowledgeGraph | None = None
        self._resolver: Resolver | None = None

    def reload(self) -> None:
        """Read the vault again (only what changed is parsed, with the cache)."""
        self._read()

    def __repr__(self) -> str:
        return f"<zettel.Vault {str(self.root)!r}: {len(self._by_path)} notes>"

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the search index, if a search opened it."""
        if self._index is not None:
            self._index.close()
            self._index = None

    # -- notes

    @property
    def notes(self) -> tuple[Note, ...]:
        """Every note, in path order."""
        return self._scan.notes

    @property
    def notices(self) -> tuple[str, ...]:
        """What zettel would tell a person about this reading (a cache
        rebuilt, a setting ignored), one line each."""
        return self._scan.notices

    def note(self, name: NoteName) -> Note:
        """The note named by ``name``: a vault-relative path, an id, a file name,
        a title or an alias (case and Unicode form ignored, as links are), or a
        file path inside the vault. Raises `NoteNotFound` or `AmbiguousName`."""
        return self._by_path[self._path_of(name)]

    def _path_of(self, name: NoteName) -> str:
        if isinstance(name, Note):
            name = name.path
        if isinstance(name, os.PathLike):
            return self._file_path(Path(name))
        if name in self._by_path:
            return name
        found = self._names().resolve(name)
        if found.status == "ambiguous" and not found.is_file:
            raise AmbiguousName(f"'{name}' matches {len(found.paths)} notes by {found.step}: "
                                + ", ".join(found.paths), found.paths)
        if found.status == "resolved" and found.paths[0] in self._by_path:
            return found.paths[0]
        raise NoteNotFound(f"no note matches '{name}' (by path, id, file name, title or alias)")

    def _file_path(self, path: Path) -> str:
        """The vault-relative path of a file path (relative to the vault when not absolute)."""
        if path.is_absolute():
            try:
                path = Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root))
            except ValueError:
                raise NoteNotFound(f"'{path}' is not inside the vault {self.root}") from None
        rel = path.as_posix()
        if rel not in self._by_path:
            raise NoteNotFound(f"'{rel}' is not a note of the vault {self.root}")
        return rel

    def _names(self) -> Resolver:
        """The resolver of names: the graph's once built, else one of its own
        (finding a note needs no graph)."""
        if self._knowledge is not None:
            return self._knowledge.resolver
        if self._resolver is None:
            from zettel.core.resolve import Resolver  # noqa: PLC0415

            self._resolver = Resolver(self._scan.notes, self._scan.files,
                                      self._scan.config.extensions)
        return self._resolver

    # -- the graph

    def _graph(self) -> KnowledgeGraph:
        if self._knowledge is None:
            from zettel.vault.facts import graph_of  # noqa: PLC0415 - networkx, on first use

            self._knowledge = graph_of(self._scan)
        return self._knowledge

    @property
    def graph(self) -> nx.DiGraph:
        """The networkx ``DiGraph`` of the links: nodes are note paths (with
        ``id``, ``title``, ``types``, ``tags``); one edge per linked pair of
        notes, with ``count``, ``links`` (each `Link`) and ``types``."""
        return self._graph().graph

    def backlinks(self, note: NoteName) -> list[Backlink]:
        """Every link to ``note`` written in another note, with its paragraph,
        by source path and line."""
        path = self._path_of(note)
        return [Backlink(item.source, item.link, self._by_path[item.source].context(item.link))
                for item in self._graph().backlinks(path)]

    def orphans(self) -> list[Note]:
        """Notes no other note links to (isolated ones included), in path order."""
        return [self._by_path[path] for path in self._graph().orphans()]

    def isolated(self) -> list[Note]:
        """Notes with no links in or out, in path order."""
        return [self._by_path[path] for path in self._graph().isolated()]

    def dead_ends(self) -> list[Note]:
        """Notes that link to no other note, in path order."""
        return [self._by_path[path] for path in self._graph().dead_ends()]

    def broken(self) -> list[BrokenLink]:
        """Links that reach no note or file, by source path and position, each
        with its "did you mean" (the rule of `zettel check`)."""
        from zettel.core.check import broken_links  # noqa: PLC0415

        graph = self._graph()
        found = [BrokenLink(item.source, item.link,
                            self._by_path[item.source].context(item.link), problem.suggestion)
                 for item, problem in zip(graph.broken, broken_links(graph), strict=True)]
        return sorted(found, key=lambda b: (b.source, b.link.line, b.link.column))

    def ambiguous(self) -> list[AmbiguousLink]:
        """Links that match several notes, by source path and position."""
        found = [AmbiguousLink(item.source, item.link,
                               self._by_path[item.source].context(item.link),
                               item.resolution.paths, item.resolution.step or "")
                 for item in self._graph().ambiguous]
        return sorted(found, key=lambda a: (a.source, a.link.line, a.link.column))

    def check(self) -> Report:
        """Every problem of the vault, as ``zettel check`` reports them
        (``to_json()`` is its ``--json`` object)."""
        from zettel.core.check import analyze  # noqa: PLC0415

        return analyze(self._graph())

    # -- full-text search

    def _searcher(self) -> SearchIndex:
        """The vault's index, brought up to date with the files (only what
        changed is indexed again)."""
        if self._index is None:
            from zettel.search.keeper import SearchIndex  # noqa: PLC0415 - Whoosh, on first use

            self._index = SearchIndex(self.root)
        self._index.sync()
        return self._index

    def search(self, query: str, *, limit: int | None = 10) -> list[Hit]:
        """The notes matching ``query`` (the language of docs/search.md), best
        first: each `Hit` has ``path``, ``id``, ``title``, ``score`` and a
        ``snippet`` (``text``, ``line``). A malformed query raises `ValueError`."""
        return self._searcher().search(query, limit=limit).hits

    def related(self, note: NoteName, *, limit: int = 10) -> list[Hit]:
        """The notes closest in content to ``note``, linked to it or not."""
        path = self._path_of(note)
        return self._searcher().related(path, limit=limit)

    # -- writing

    def new_note(self, title: str, *, types: Iterable[str] = (),
                 tags: Iterable[str] = ()) -> Note:
        """Create a note as ``zettel new`` does (a timestamp id, never over an
        existing file), read the vault again, and return the new note. Raises
        `zettel.vault.create.CreateError` (a read-only vault, an empty title)."""
        from zettel.vault.create import new_note  # noqa: PLC0415 - PyYAML, only to write

        taken = [note.id for note in self._scan.notes if note.id]
        path = new_note(self.root, title, config=self._scan.config, taken_ids=taken,
                        types=types, tags=tags)
        self._read()
        return self.note(Path(path.relative_to(self.root)))

    def mv(self, note: NoteName, new_path: str, *, dry_run: bool = False) -> Plan:
        """Move ``note`` to ``new_path`` as ``zettel mv`` does (every link that
        reached it rewritten; docs/editing.md) and read the vault again; returns
        the `zettel.core.plan.Plan` (with ``dry_run``, only planned). Raises
        `zettel.core.rewrite.PlanRefused`, or `zettel.vault.write.WriteError`
        from the writer (nothing written then)."""
        from zettel.vault.editing import plan_move  # noqa: PLC0415 - only to write

        plan = plan_move(self.root, self._path_of(note), new_path)
        return self._carry_out(plan, dry_run)

    def retitle(self, note: NoteName, title: str, *, alias: bool = False,
                rename_file: bool = False, dry_run: bool = False) -> Plan:
        """Give ``note`` the title ``title`` as ``zettel retitle`` does (links by
        the old title rewritten, or the old title kept as an alias with
        ``alias``; the file renamed after the title with ``rename_file``), and
        read the vault again; returns the plan. Raises as `mv` does."""
        from zettel.vault.editing import plan_retitle  # noqa: PLC0415 - only to write

        plan = plan_retitle(self.root, self._path_of(note), title, alias=alias,
                            rename_file=rename_file)
        return self._carry_out(plan, dry_run)

    def _carry_out(self, plan: Plan, dry_run: bool) -> Plan:
        if not dry_run and not plan.empty:
            from zettel.vault.journal import apply_plan  # noqa: PLC0415

            apply_plan(self.root, plan)
            self._read()
        return plan
