"""The link graph of a vault: the one module that uses networkx.

Terms, used with exactly these meanings in the code, the CLI, the TUI and the
docs (resolution, and so **broken** and **ambiguous** links, are defined in
`zettel.core.resolve`):

- **link**: a ``[[...]]``, embed or Markdown link to a note; URLs are not.
- **backlink** of a note: a link to it written in another note.
- **orphan**: a note that no other note links to (it has no backlinks).
- **isolated**: a note with no links in or out; every isolated note is also
  an orphan.
- **dead end**: a note that links to no other note.

A link from a note to itself counts for none of these, and a file that could
not be read (an ``unreadable`` problem: its links are unknown) is none of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from zettel.core.display import CONTROLS, RAW_CONTROLS, clean_json, escape
from zettel.core.model import Link, Note
from zettel.core.perf import paused_gc
from zettel.core.resolve import Resolution, Resolver
from zettel.lazy import lazy_module

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")  # imported when a graph is first built

EXPORT_FORMATS = ("graphml", "gexf", "json", "dot")


class ResolvedLink(NamedTuple):
    """A link together with the note it was written in and where it leads."""

    source: str
    link: Link
    resolution: Resolution

    @property
    def target(self) -> str | None:
        """Path of the note (or file) reached, for a resolved link."""
        return self.resolution.path


class KnowledgeGraph:
    """Notes, their resolved links, and a networkx ``DiGraph`` over them.

    Nodes are keyed by vault-relative path and carry ``id``, ``title``,
    ``types`` and ``tags``; there is one edge per linked pair of notes with
    ``count`` (how many links), ``links`` (a tuple of each `Link`; `contexts`
    gives their paragraphs) and ``types`` (a tuple of Cosma link types, often
    empty).
    """

    def __init__(self, notes: Iterable[Note], files: Iterable[str] = (),
                 extensions: Iterable[str] = ("md", "markdown", "txt")) -> None:
        self.notes: dict[str, Note] = {note.path: note for note in notes}
        self.resolver = Resolver(self.notes.values(), files, extensions)
        self.broken: list[ResolvedLink] = []
        self.ambiguous: list[ResolvedLink] = []
        self.link_count = 0
        self.graph = nx.DiGraph()
        with paused_gc():
            self._build()

    def _build(self) -> None:
        graph = self.graph
        graph.add_nodes_from(
            (path, {"id": n.id, "title": n.title, "types": n.types, "tags": n.tags})
            for path, n in self.notes.items()
        )
        resolve = self.resolver.resolve_link
        for path, note in self.notes.items():
            # The links of one note to each other note, grouped before they become
            # an edge: growing an edge's tuple link by link is quadratic in a note
            # that links to the same note many times.
            edges: dict[str, tuple[list[Link], list[str]]] = {}
            for link in note.links:
                if link.kind == "external":
                    continue
                self.link_count += 1
                found = resolve(link, path)
                if found.status != "resolved":
                    bucket = self.broken if found.status == "broken" else self.ambiguous
                    bucket.append(ResolvedLink(path, link, found))
                elif not found.is_file:
                    links, types = edges.setdefault(found.paths[0], ([], []))
                    links.append(link)
                    if found.link_type and found.link_type not in types:
                        types.append(found.link_type)
            for target, (links, types) in edges.items():
                graph.add_edge(path, target, count=len(links), links=tuple(links),
                               types=tuple(types))
        self.resolver.forget()

    def outgoing(self, path: str) -> list[ResolvedLink]:
        """Every link written in ``path`` (URLs aside), resolved, in file order."""
        resolve = self.resolver.resolve_link
        return [ResolvedLink(path, link, resolve(link, path))
                for link in self.notes[path].links if link.kind != "external"]

    def backlinks(self, path: str) -> list[ResolvedLink]:
        """Every link to ``path`` written in another note, by source path and line."""
        found = []
        for source in self.linked_from(path):
            for link in self.graph.edges[source, path]["links"]:
                found.append(ResolvedLink(source, link, self.resolver.resolve_link(link, source)))
        return found

    def contexts(self, source: str, target: str) -> list[str]:
        """The paragraph of each link from ``source`` to ``target``."""
        note = self.notes[source]
        return [note.context(link) for link in self.graph.edges[source, target]["links"]]

    def linked_from(self, path: str) -> list[str]:
        """Notes with a backlink to ``path`` (other notes only), in path order."""
        return sorted(p for p in self.graph.predecessors(path) if p != path)

    def links_to(self, path: str) -> list[str]:
        """Notes that ``path`` links to (other notes only), in path order."""
        return sorted(p for p in self.graph.successors(path) if p != path)

    def is_orphan(self, path: str) -> bool:
        """True when no other note links to ``path``."""
        linked = self.graph.pred[path]
        return not linked or (len(linked) == 1 and path in linked)

    def is_dead_end(self, path: str) -> bool:
        """True when ``path`` links to no other note."""
        links = self.graph.succ[path]
        return not links or (len(links) == 1 and path in links)

    def _readable(self) -> list[str]:
        """Paths of the notes whose file could be read (its links are known)."""
        return [p for p, note in self.notes.items()
                if not any(problem.kind == "unreadable" for problem in note.problems)]

    def orphans(self) -> list[str]:
        """Every orphan (isolated notes included), in path order."""
        return [p for p in self._readable() if self.is_orphan(p)]

    def isolated(self) -> list[str]:
        """Every isolated note, in path order."""
        return [p for p in self._readable() if self.is_orphan(p) and self.is_dead_end(p)]

    def dead_ends(self) -> list[str]:
        """Every dead end, in path order."""
        return [p for p in self._readable() if self.is_dead_end(p)]

    def export(self, fmt: str, out: TextIO | Path) -> None:
        """Write the graph as GraphML, GEXF, node-link JSON or Graphviz DOT.

        Nodes are named by path; the note's id is the ``note_id`` attribute
        (``id`` is the node's own name in these formats).
        """
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown format '{fmt}' (known: {', '.join(EXPORT_FORMATS)})")
        if fmt == "json":
            text = json.dumps(self._node_link(), ensure_ascii=False, indent=1)
            _write_text(out, clean_json(text) + "\n")
        elif fmt == "dot":
            _write_text(out, self._dot())
        else:
            flat = self._flat_graph()
            lines = nx.generate_graphml(flat) if fmt == "graphml" else nx.generate_gexf(flat)
            _write_text(out, _char_refs("\n".join(lines)) + "\n")

    def _node_link(self) -> dict[str, Any]:
        """networkx's node-link layout, with the contexts written out."""
        export = nx.DiGraph()
        for path, data in self.graph.nodes(data=True):
            export.add_node(path, note_id=data["id"], title=data["title"],
                            types=list(data["types"]), tags=list(data["tags"]))
        for u, v, data in self.graph.edges(data=True):
            export.add_edge(u, v, count=data["count"], types=list(data["types"]),
                            contexts=self.contexts(u, v))
        return nx.node_link_data(export, edges="links")

    def _flat_graph(self) -> nx.DiGraph:
        """A copy with only scalar attributes, as GraphML and GEXF require."""
        flat = nx.DiGraph()
        for path, data in self.graph.nodes(data=True):
            flat.add_node(_xml_safe(path), note_id=_xml_safe(data["id"] or ""),
                          title=_xml_safe(data["title"]),
                          types=_xml_safe(", ".join(data["types"])),
                          tags=_xml_safe(", ".join(data["tags"])))
        for u, v, data in self.graph.edges(data=True):
            flat.add_edge(_xml_safe(u), _xml_safe(v), weight=data["count"],
                          types=_xml_safe(", ".join(data["types"])))
        return flat

    def _dot(self) -> str:
        lines = ["digraph zettel {", "  node [shape=box];"]
        for path, data in self.graph.nodes(data=True):
            lines.append(f"  {_dot_id(path)} [label={_dot_id(data['title'])}];")
        for u, v, data in self.graph.edges(data=True):
            extra = f" [weight={data['count']}]" if data["count"] > 1 else ""
            lines.append(f"  {_dot_id(u)} -> {_dot_id(v)}{extra};")
        lines.append("}")
        return "\n".join(lines) + "\n"


#: What XML 1.0 cannot hold, even as a character reference: C0 controls but tab,
#: newline and carriage return; surrogates (a file name that is not UTF-8); U+FFFE, U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """``text`` with each character XML cannot hold written as its escape
    (``\\x1b``, ``\\udcff``); any other text unchanged."""
    return _NOT_XML.sub(lambda m: escape(m.group()), text)


def _char_refs(xml: str) -> str:
    """C1 and bidi controls written as character references (``&#x9b;``): the
    same XML, nothing a terminal showing it obeys."""
    return RAW_CONTROLS.sub(lambda m: f"&#x{ord(m.group()):x};", xml)


def _dot_id(text: str) -> str:
    """A quoted DOT id; a newline is DOT's ``\\n``, any other control character
    its escape (``\\x1b``, shown as such), never the character itself."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + CONTROLS.sub(lambda m: escape(m.group()).replace("\\", "\\\\"), quoted) + '"'


def _write_text(out: TextIO | Path, text: str) -> None:
    if isinstance(out, Path):  # a file name that is not UTF-8 is written as \udcXX
        out.write_text(text, encoding="utf-8", errors="backslashreplace")
    else:
        out.write(text)
