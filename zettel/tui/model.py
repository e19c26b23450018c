"""What the TUI shows, computed without Textual: the vault, its graph and
problems, the filtered note list, history, neighbourhoods, and note bodies
with their links made clickable.

Everything here is plain Python and tested without a terminal; the widgets
only display it.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rapidfuzz import fuzz, process

from zettel.core.body import scan_body
from zettel.core.model import Link, Note, Problem
from zettel.core.textfold import fold
from zettel.vault import cache
from zettel.vault.scan import (
    Progress,
    Vault,
    listing_fingerprint,
    open_vault,
    read_note,
    scan_folder,
)

if TYPE_CHECKING:
    from zettel.core.check import Report
    from zettel.core.graph import KnowledgeGraph, ResolvedLink

SortKey = Literal["title", "id", "backlinks"]
Direction = Literal["both", "out", "in"]

#: Below this many notes holding the filter text, near misses are added.
FUZZY_BELOW = 20
#: The href scheme of a link inside a rendered note: ``zettel:N`` is its Nth link.
LINK_SCHEME = "zettel:"
_MARKDOWN_SPECIAL = re.compile(r"([\\\[\]*_`])")


@dataclass(frozen=True)
class LinkView:
    """One link of the note on screen: what it shows and where it leads.

    ``status`` is ``resolved``, ``broken``, ``ambiguous`` or ``external``;
    ``paths`` the note reached, or the candidates of an ambiguous link.
    """

    link: Link
    label: str
    status: str
    paths: tuple[str, ...] = ()

    @property
    def url(self) -> str | None:
        return self.link.target if self.status == "external" else None


@dataclass
class History:
    """Notes visited, with back and forward as in a browser."""

    back_stack: list[str] = field(default_factory=list)
    forward_stack: list[str] = field(default_factory=list)
    current: str | None = None

    def visit(self, path: str) -> None:
        if path == self.current:
            return
        if self.current is not None:
            self.back_stack.append(self.current)
        self.current = path
        self.forward_stack.clear()

    def back(self) -> str | None:
        if not self.back_stack:
            return None
        if self.current is not None:
            self.forward_stack.append(self.current)
        self.current = self.back_stack.pop()
        return self.current

    def forward(self) -> str | None:
        if not self.forward_stack:
            return None
        if self.current is not None:
            self.back_stack.append(self.current)
        self.current = self.forward_stack.pop()
        return self.current

    def forget(self, paths: set[str]) -> None:
        """Drop notes that no longer exist."""
        self.back_stack = [p for p in self.back_stack if p not in paths]
        self.forward_stack = [p for p in self.forward_stack if p not in paths]
        if self.current in paths:
            self.current = self.back_stack.pop() if self.back_stack else None


class VaultModel:
    """A vault as the TUI sees it. `load` reads the notes (fast, from the
    cache); `analyse` builds the graph and the problems (slower: the TUI runs
    it in a worker and shows the notes meanwhile)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.vault: Vault | None = None
        self.notes: dict[str, Note] = {}
        self.graph: KnowledgeGraph | None = None
        self.report: Report | None = None
        self.fingerprint: str | None = None
        self.complete = False
        self._read: dict[str, Note] = {}
        self._ids: dict[str, str] | None = None
        self._choices: dict[str, str] = {}
        self._titles: dict[str, str] = {}
        self._orders: dict[str, list[str]] = {}
        self._backlinks: dict[str, int] = {}

    def load_summary(self) -> bool:
        """Show-at-once notes from the last session's list (titles, ids, types,
        tags, aliases; no bodies): True if there was one. `load` follows."""
        rows = cache.load_summary(self.root)
        if not rows:
            return False
        try:
            notes = [Note(path=path, title=title, id=id_, types=tuple(types), tags=tuple(tags),
                          aliases=tuple(aliases))
                     for path, title, id_, types, tags, aliases in rows]
        except (TypeError, ValueError):
            return False
        self._index_notes(notes)
        self.complete = False
        return True

    def load(self, progress: Progress | None = None) -> None:
        """Read every note and take them (`read` then `adopt`)."""
        self.adopt(*self.read(progress))

    def read(self, progress: Progress | None = None) -> tuple[Vault, str]:
        """Read every note (the parse cache makes this quick) and save the list
        for the next session; changes nothing here, so a worker may call it
        while the screen reads the model. Returns what `adopt` takes."""
        listing = scan_folder(self.root)
        fingerprint = listing_fingerprint(*listing)
        vault = open_vault(self.root, listing=listing, progress=progress)
        cache.save_summary(self.root, [(n.path, n.title, n.id, n.types, n.tags, n.aliases)
                                       for n in vault.notes])
        return vault, fingerprint

    def adopt(self, vault: Vault, fingerprint: str) -> None:
        """Take the notes `read` returned (on the thread that reads the model)."""
        self.vault, self.fingerprint = vault, fingerprint
        self._index_notes(vault.notes)
        self.complete = True

    def note(self, path: str) -> Note:
        """The whole note at ``path`` (read from its file while only the summary
        is loaded)."""
        if not self.complete and path not in self._read:
            self._read[path] = read_note(self.root, path)
        return self._read.get(path) or self.notes[path]

    def _index_notes(self, notes: Iterable[Note]) -> None:
        """Take ``notes`` as the vault's, with what filtering and sorting need."""
        self.notes = {note.path: note for note in notes}
        self._read = {}
        self._ids = None
        self._titles = {path: fold(n.title) for path, n in self.notes.items()}
        self._choices = {path: " ".join((self._titles[path], n.id or "", *map(fold, n.aliases)))
                         for path, n in self.notes.items()}
        self._orders = {}
        self._backlinks = {}
        self.graph = None
        self.report = None

    def _by_id(self) -> dict[str, str]:
        if self._ids is None:
            self._ids = {n.id: p for p, n in self.notes.items() if n.id}
        return self._ids

    def analyse(self) -> None:
        """Build the link graph and find the problems."""
        assert self.vault is not None, "load() first"
        from zettel.core.check import analyze
        from zettel.vault.facts import graph_of  # noqa: PLC0415 - networkx: not at startup

        self.graph = graph_of(self.vault)
        self.report = analyze(self.graph)
        self._backlinks = {path: len(self.graph.linked_from(path)) for path in self.notes}
        self._orders.pop("backlinks", None)

    def changed_on_disk(self) -> bool:
        """Whether a note was added, removed or changed since `load`."""
        return listing_fingerprint(*scan_folder(self.root)) != self.fingerprint

    # -- the note list

    def tag_counts(self) -> Counter[str]:
        return Counter(t for note in self.notes.values() for t in note.tags)

    def type_counts(self) -> Counter[str]:
        return Counter(t for note in self.notes.values() for t in note.types)

    @property
    def backlink_counts(self) -> dict[str, int]:
        """How many other notes link to each note (empty until `analyse`)."""
        return self._backlinks

    def backlink_count(self, path: str) -> int:
        """How many other notes link to ``path`` (0 until `analyse`)."""
        return self._backlinks.get(path, 0)

    def filtered(self, text: str = "", *, tags: Iterable[str] = (), note_type: str | None = None,
                 sort: SortKey = "title") -> list[Note]:
        """Notes matching ``text`` (title, id, aliases; accents and case ignored),
        carrying any of ``tags`` and the type ``note_type``, in ``sort`` order.

        With a ``text``: notes whose title starts with it come first, then the
        others that hold it, then (when those are few) near misses, best first.
        """
        wanted = set(tags)
        order = [p for p in self._order(sort)
                 if (not wanted or wanted.intersection(self.notes[p].tags))
                 and (note_type is None or note_type in self.notes[p].types)]
        query = fold(text.strip())
        if not query:
            return [self.notes[p] for p in order]
        titles, choices = self._titles, self._choices
        starts = [p for p in order if titles[p].startswith(query)]
        holds = [p for p in order if query in choices[p] and not titles[p].startswith(query)]
        found = starts + holds
        if len(found) < FUZZY_BELOW:
            taken = set(found)
            rest = {p: self._choices[p] for p in order if p not in taken}
            close = process.extract(query, rest, scorer=fuzz.partial_ratio, processor=None,
                                    limit=FUZZY_BELOW, score_cutoff=75)
            found += [p for _, _, p in sorted(close, key=lambda hit: -hit[1])]
        return [self.notes[p] for p in found]

    def _order(self, sort: SortKey) -> list[str]:
        """Every note's path in ``sort`` order (computed once per load)."""
        if sort not in self._orders:
            titles, notes, backlinks = self._titles, self.notes, self._backlinks

            def key(path: str) -> tuple[Any, ...]:
                if sort == "id":
                    return (notes[path].id is None, notes[path].id or "", titles[path])
                if sort == "backlinks":
                    return (-backlinks.get(path, 0), titles[path])
                return (titles[path], path)

            self._orders[sort] = sorted(notes, key=key)
        return self._orders[sort]

    # -- one note

    def link_views(self, path: str) -> list[LinkView]:
        """The links of a note, in order, with what each shows and reaches."""
        note = self.note(path)
        resolved: dict[int, ResolvedLink] = {}
        if self.graph is not None and path in self.graph.notes:
            resolved = {r.link.offset: r for r in self.graph.outgoing(path)}
        views = []
        for link in note.links:
            if link.kind == "external":
                views.append(LinkView(link, link.label or link.target, "external"))
                continue
            found = resolved.get(link.offset)
            status = found.resolution.status if found else "unknown"
            paths = found.resolution.paths if found else ()
            target = self.notes.get(paths[0]) if status == "resolved" and paths else None
            if found is None:  # links not resolved yet: a title by id will do meanwhile
                target = self.notes.get(self._by_id().get(link.target, ""))
            label = link.label or (target.title if target else link.target)
            views.append(LinkView(link, label, status, paths))
        return views

    def render(self, path: str, selected: int | None = None) -> str:
        """The note's body as Markdown, its links turned into ``zettel:N`` links
        that show a label or the target's title, never a bare id; link number
        ``selected`` is marked out."""
        body, out, at = self.note(path).body, [], 0
        for number, view in enumerate(self.link_views(path)):
            link = view.link
            start, end = link.span
            if link.kind not in ("wiki", "embed", "markdown") or start < at:
                continue
            mark = {"broken": " ✗", "ambiguous": " ?"}.get(view.status, "")
            label = _MARKDOWN_SPECIAL.sub(r"\\\1", view.label) + mark
            attachment = view.status == "resolved" and view.paths[0] not in self.notes
            if link.kind == "embed" or attachment:
                label = f"⧉ {label}"  # an embed or a file: shown by name
            shown = f"[{label}]({LINK_SCHEME}{number})"
            if number == selected:
                shown = f"**▶ {shown}**"
            out += [body[at:start], shown]
            at = end
        out.append(body[at:])
        return "".join(out)

    def backlinks(self, path: str) -> list[tuple[str, str]]:
        """(source path, paragraph around the link) for each link to ``path``."""
        if self.graph is None or path not in self.graph.notes:
            return []
        return [(r.source, self.readable(self.notes[r.source].context(r.link)))
                for r in self.graph.backlinks(path) if r.source != path]

    def readable(self, text: str) -> str:
        """``text`` (a paragraph, a piece of a search snippet) with its wiki-links
        and embeds shown as their label or target's title. The text is read for
        links as a body is (`scan_body`), and each is replaced at its span."""
        out, at = [], 0
        for link in scan_body(text)[0]:
            start, end = link.span
            wiki = link.kind == "wiki" or text.startswith("![[", start)  # not ![image](x)
            if not wiki or not link.target:
                continue
            out += [text[at:start], link.label or self._title_of(link.target)]
            at = end
        out.append(text[at:])
        return "".join(out)

    def _title_of(self, target: str) -> str:
        """The title of the note ``target`` reaches, else ``target`` itself."""
        found = self.graph.resolver.resolve(target) if self.graph else None
        if found and found.status == "resolved" and found.paths[0] in self.notes:
            return self.notes[found.paths[0]].title
        return target

    def outgoing(self, path: str) -> list[str]:
        """Notes ``path`` links to (other notes only)."""
        if self.graph is None or path not in self.graph.notes:
            return []
        return self.graph.links_to(path)

    def neighbourhood(self, path: str, depth: int, direction: Direction) -> dict[str, list[str]]:
        """Each note within ``depth`` links of ``path`` mapped to its children in
        a breadth-first tree (each note appears once, at its shortest distance)."""
        tree: dict[str, list[str]] = {path: []}
        if self.graph is None or path not in self.graph.notes:
            return tree
        graph = self.graph.graph
        queue = deque([(path, 0)])
        while queue:
            node, level = queue.popleft()
            if level == depth:
                continue
            near: list[str] = []
            if direction in ("out", "both"):
                near += sorted(graph.successors(node))
            if direction in ("in", "both"):
                near += sorted(graph.predecessors(node))
            for other in near:
                if other not in tree and other in self.notes:
                    tree[other] = []
                    tree[node].append(other)
                    queue.append((other, level + 1))
        return tree

    def problems(self) -> list[Problem]:
        return list(self.report.problems) if self.report else []

    def note_by_id_or_title(self, text: str) -> Note | None:
        """A note named exactly by id, path, title or alias."""
        if self.graph is not None:
            found = self.graph.resolver.resolve(text)
            if found.status == "resolved" and found.paths[0] in self.notes:
                return self.notes[found.paths[0]]
        return self.notes.get(text)

