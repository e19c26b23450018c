"""What ``show``, ``orphans``, ``broken``, ``tags`` and ``related`` need of the
graph, remembered between runs.

Building the graph of a large vault is most of those commands' time: every
note loaded, every link resolved. What they use of it is small: the note list,
the orphans, the broken links with their context and suggestion, and who links
to whom. `vault_facts` takes that from a `KnowledgeGraph` and saves it beside
the parse cache, under the fingerprint of the vault's listing (paths, sizes,
mtimes, settings), like the check memo; while no file changes, the next
command loads it and reads only the notes it shows. A different fingerprint,
or a file changed in the last two seconds, means the graph is built again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from zettel.core.check import Report, analyze, broken_links
from zettel.core.model import Link, Note
from zettel.vault import cache
from zettel.vault.config import Config
from zettel.vault.scan import (
    FileEntry,
    Progress,
    Vault,
    listing_fingerprint,
    open_vault,
    read_note,
    scan_folder,
)

if TYPE_CHECKING:
    from zettel.core.graph import KnowledgeGraph
    from zettel.core.resolve import Resolution, Resolver

MEMO_FILE = "facts.pickle"
#: The resolver's tables, saved beside the facts (for the commands that resolve
#: links: building them from 10k notes takes longer than loading them).
RESOLVER_FILE = "resolver.pickle"


class NoteRow(NamedTuple):
    """A note as the listing commands show it, without its body."""

    path: str
    title: str
    id: str | None
    types: tuple[str, ...]
    tags: tuple[str, ...]
    aliases: tuple[str, ...]


class BrokenRow(NamedTuple):
    """A broken link: where it is written, what it names, its context, and the
    note it probably meant (see `zettel.core.check.broken_links`)."""

    source: str
    line: int
    column: int
    target: str
    kind: str
    context: str
    suggestion: str | None


class Backlink(NamedTuple):
    """A link to a note: the note it is written in, the link, its paragraph."""

    source: str
    link: Link
    context: str


@dataclass
class Facts:
    """The graph's answers for one state of the vault (see the module doc).

    ``backlinks`` maps a note's path to the links written to it in other
    notes, each as (source path, index in the source's ``Note.links``).
    """

    root: Path
    notes: dict[str, NoteRow]
    orphans: list[tuple[str, bool]]
    broken: list[BrokenRow]
    backlinks: dict[str, tuple[tuple[str, int], ...]]
    files: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ("md", "markdown", "txt")
    #: How many resolved wiki links use each link style (`zettel.core.linkstyle`).
    styles: dict[str, int] = field(default_factory=dict)
    #: The fingerprint of the listing these facts are of ("" when not known).
    fingerprint: str = ""
    _read: dict[str, Note] = field(default_factory=dict, repr=False)
    _resolver: Resolver | None = field(default=None, repr=False)

    @property
    def resolver(self) -> Resolver:
        """A resolver over every note (built on first use)."""
        if self._resolver is None:
            from zettel.core.resolve import Resolver  # noqa: PLC0415 - only show needs one

            tables = _resolver_tables(self.root, self.fingerprint) if self.fingerprint else None
            if tables is None:
                self._resolver = Resolver(self.notes.values(), self.files, self.extensions)
            else:
                self._resolver = Resolver((), self.files, self.extensions)
                self._resolver._maps = tables
        return self._resolver

    def note(self, path: str) -> Note:
        """The note at ``path``, read from its file (once)."""
        found = self._read.get(path)
        if found is None:
            found = self._read[path] = read_note(self.root, path)
        return found

    def outgoing(self, path: str) -> list[tuple[Link, Resolution]]:
        """Every link written in ``path`` (URLs aside), resolved, in file order."""
        resolve = self.resolver.resolve_link
        return [(link, resolve(link, path)) for link in self.note(path).links
                if link.kind != "external"]

    def backlinks_of(self, path: str) -> list[Backlink]:
        """Every link to ``path`` written in another note, by source path and line."""
        found = []
        for source, number in self.backlinks.get(path, ()):
            note = self.note(source)
            if number < len(note.links):
                link = note.links[number]
                found.append(Backlink(source, link, note.context(link)))
        return found

    def linked_from(self, path: str) -> list[str]:
        """Notes with a backlink to ``path``, in path order."""
        return sorted({source for source, _ in self.backlinks.get(path, ())})

    def links_to(self, path: str) -> list[str]:
        """Notes that ``path`` links to (other notes only), in path order."""
        return sorted({found.paths[0] for _, found in self.outgoing(path)
                       if found.status == "resolved" and not found.is_file
                       and found.paths[0] != path})


def graph_of(vault: Vault) -> KnowledgeGraph:
    """The `KnowledgeGraph` of an opened vault."""
    from zettel.core.graph import KnowledgeGraph  # noqa: PLC0415 - networkx, when built

    return KnowledgeGraph(vault.notes, vault.files, vault.config.extensions)


#: What `zettel.vault.scan.scan_folder` returns: settings, note files, other files.
Listing = tuple[Config, list[FileEntry], list[str]]


def _take_stock(root: Path) -> tuple[Listing, str, bool]:
    """The vault's listing, its fingerprint, and whether a file changed too
    recently for a result computed now to be remembered (`cache.RACY_WINDOW_NS`)."""
    started_ns = time.time_ns()
    listing = scan_folder(root)
    config, entries, files = listing
    racy = any(e.mtime_ns >= started_ns - cache.RACY_WINDOW_NS for e in entries)
    return listing, listing_fingerprint(config, entries, files), racy


def check_vault(
    root: Path | str,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> tuple[Report, tuple[str, ...]]:
    """Check the vault at ``root``; returns the report and notices for the user.

    When no file was added, removed or changed (same paths, sizes and mtimes,
    same settings) since the last check, that check's result is reused.
    """
    root = Path(root)
    listing, fingerprint, racy = _take_stock(root)
    config = listing[0]
    if use_cache:
        memo = cache.load_check_memo(root, fingerprint)
        if memo is not None:
            notes, links, rows = memo
            return Report(notes, links, cache.problems_from_rows(rows)), config.warnings
    vault = open_vault(root, use_cache=use_cache, workers=workers, progress=progress,
                       listing=listing)
    del listing
    report = analyze(graph_of(vault))
    notices = vault.notices
    if use_cache and not racy:
        rows = cache.problems_to_rows(report.problems)
        notice = cache.save_check_memo(root, fingerprint, (report.notes, report.links, rows))
        if notice:
            notices += (notice,)
    return report, notices


def facts_of_graph(graph: KnowledgeGraph, root: Path, files: tuple[str, ...]) -> Facts:
    """The facts of a `zettel.core.graph.KnowledgeGraph` built by the caller over
    the vault at ``root`` whose other files are ``files``."""
    notes = {p: NoteRow(p, n.title, n.id, n.types, n.tags, n.aliases)
             for p, n in graph.notes.items()}
    orphans = [(p, graph.is_dead_end(p)) for p in graph.orphans()]
    broken = []
    for item, problem in zip(graph.broken, broken_links(graph), strict=True):
        link = item.link
        broken.append(BrokenRow(item.source, link.line, link.column, link.target, link.kind,
                                graph.notes[item.source].context(link), problem.suggestion))
    broken.sort(key=lambda row: (row.source, row.line, row.column))
    backlinks: dict[str, tuple[tuple[str, int], ...]] = {}
    for target in graph.notes:
        sources = graph.linked_from(target)
        if not sources:
            continue
        found: list[tuple[str, int]] = []
        for source in sources:
            written = graph.graph.edges[source, target]["links"]
            numbers = {link: i for i, link in enumerate(graph.notes[source].links)}
            found.extend((source, numbers[link]) for link in written)
        backlinks[target] = tuple(found)
    return Facts(root, notes, orphans, broken, backlinks, files, graph.resolver.extensions,
                 _styles(graph))


def _styles(graph: KnowledgeGraph) -> dict[str, int]:
    """How many wiki links between notes use each link style."""
    from zettel.core.linkstyle import style_to  # noqa: PLC0415

    counts: dict[str, int] = {}
    extensions = graph.resolver.extensions
    for _, target, links in graph.graph.edges(data="links"):
        note = graph.notes[target]
        for link in links:
            style = style_to(link, note, extensions)
            if style is not None:
                counts[style] = counts.get(style, 0) + 1
    return counts


def _from_memo(root: Path, saved: Any) -> Facts | None:
    """The facts a memo holds, or None when it is not of the shape saved (the
    cache folder is the vault's: a file planted there must not crash us)."""
    if saved is None:
        return None
    try:
        notes, orphans, broken, backlinks, styles = saved
        facts = Facts(root, {row[0]: NoteRow(*row) for row in notes},
                      [(str(path), bool(isolated)) for path, isolated in orphans],
                      [BrokenRow(*row) for row in broken], dict(backlinks),
                      styles={str(k): int(v) for k, v in dict(styles).items()})
        known = facts.notes
        if any(path not in known for path, _ in facts.orphans) or any(
                target not in known or source not in known or not isinstance(number, int)
                for target, sources in facts.backlinks.items() for source, number in sources):
            return None
    except (TypeError, ValueError):
        return None
    return facts


def _resolver_tables(root: Path, fingerprint: str) -> dict[str, dict[str, str | list[str]]] | None:
    """The tables of `zettel.core.resolve.Resolver` saved for this state of the
    vault, or None (none saved, or not of the shape saved: the cache folder is
    the vault's)."""
    from zettel.core.resolve import STEPS  # noqa: PLC0415

    saved = cache.load_memo(root, RESOLVER_FILE, fingerprint)
    if not isinstance(saved, dict) or set(saved) != set(STEPS):
        return None
    for table in saved.values():  # (type checks by map: 50k entries in a few ms)
        if not isinstance(table, dict) or not set(map(type, table)) <= {str}:
            return None
        kinds = set(map(type, table.values()))
        if not kinds <= {str, list} or (list in kinds and not all(
                set(map(type, value)) <= {str} for value in table.values()
                if type(value) is list)):
            return None
    return saved


def vault_facts(root: Path | str, *, progress: Progress | None = None,
                use_cache: bool = True) -> tuple[Facts, tuple[str, ...]]:
    """The facts of the vault at ``root`` and notices for the user.

    Loaded from the memo when nothing changed since it was saved; otherwise
    the vault is opened (parse cache and all), its graph built, and the memo
    saved. Raises what `zettel.vault.scan.open_vault` raises.
    """
    root = Path(root)
    listing, fingerprint, racy = _take_stock(root)
    config, _, files = listing
    if use_cache:
        saved = _from_memo(root, cache.load_memo(root, MEMO_FILE, fingerprint))
        if saved is not None:
            saved.files, saved.extensions = tuple(files), config.extensions
            saved.fingerprint = fingerprint
            return saved, config.warnings

    vault = open_vault(root, use_cache=use_cache, progress=progress, listing=listing)
    graph = graph_of(vault)
    facts = facts_of_graph(graph, root, vault.files)
    facts._resolver = graph.resolver
    notices = vault.notices
    if use_cache and not racy:
        payload = ([tuple(row) for row in facts.notes.values()], facts.orphans,
                   [tuple(row) for row in facts.broken], facts.backlinks, facts.styles)
        notice = cache.save_memo(root, MEMO_FILE, fingerprint, payload)
        if notice:
            notices += (notice,)
        else:
            cache.save_memo(root, RESOLVER_FILE, fingerprint, graph.resolver._maps)
    return facts, notices
