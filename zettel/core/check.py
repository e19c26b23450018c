"""Every problem of a vault, as `zettel check` reports it.

Problems found in one file alone come from the parser (``Note.problems``);
this module adds those that need the whole vault: ``duplicate-id``,
``broken-link`` (with a "did you mean", see `zettel.core.suggest`),
``ambiguous-link``, ``malformed-id``, ``orphan`` and ``isolated`` (see
`zettel.core.graph` for those terms). An isolated note is reported once, as
isolated, although it is an orphan too.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zettel.core.model import Problem
from zettel.core.parse import is_timestamp_id
from zettel.core.problems import KINDS

if TYPE_CHECKING:  # a warm check reuses its last result and builds no graph
    from zettel.core.graph import KnowledgeGraph, ResolvedLink


@dataclass(frozen=True)
class Report:
    """The outcome of a check: sizes of the vault and its problems, sorted."""

    notes: int
    links: int
    problems: tuple[Problem, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Problems per kind, in report order (`zettel.core.problems.KINDS`)."""
        counter = Counter(p.kind for p in self.problems)
        return {kind: counter[kind] for kind in KINDS if counter[kind]}

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    def to_json(self) -> dict[str, Any]:
        """The documented ``check --json`` object (docs/json.md)."""
        return {
            "notes": self.notes,
            "links": self.links,
            "counts": self.counts,
            "problems": [p.to_json() for p in self.problems],
        }


def analyze(graph: KnowledgeGraph) -> Report:
    """Find every problem of the vault behind ``graph``."""
    problems: list[Problem] = []
    for note in graph.notes.values():
        problems.extend(note.problems)
    problems += _duplicate_ids(graph)
    problems += _malformed_ids(graph)
    problems += broken_links(graph)
    problems += [_ambiguous(item) for item in graph.ambiguous]
    for path in graph.orphans():
        if graph.is_dead_end(path):
            problems.append(Problem("isolated", path, "no other note links here, and this "
                                    "note links to no other note"))
        else:
            problems.append(Problem("orphan", path, "no other note links to this note"))
    problems.sort(key=lambda p: (p.path, p.line or 0, KINDS[p.kind].order))
    return Report(len(graph.notes), graph.link_count, tuple(problems))


def _duplicate_ids(graph: KnowledgeGraph) -> list[Problem]:
    problems = []
    for paths in graph.resolver.shared_ids():
        for path in paths:
            note_id = graph.notes[path].id
            others = ", ".join(p for p in paths if p != path)
            problems.append(Problem("duplicate-id", path, f"id {note_id} is also the id of "
                                    f"{others}; links to it are ambiguous", target=note_id))
    return problems


def _malformed_ids(graph: KnowledgeGraph) -> list[Problem]:
    """Front-matter ids that are not timestamps, when most ids of the vault are."""
    written = [n for n in graph.notes.values() if n.id and not n.id_from_filename]
    if not written:
        return []
    bad = [n for n in written if not is_timestamp_id(n.id or "")]
    if len(bad) * 2 >= len(written):
        return []
    problems = []
    for note in bad:
        value = note.id or ""
        if value.isdigit() and len(value) != 14:
            why = f"has {len(value)} digits, not 14"
        elif value.isdigit():
            why = "is not a valid date and time"
        else:
            why = "is not made of digits"
        problems.append(Problem("malformed-id", note.path, f"id '{value}' {why}: most ids of this "
                                "vault are timestamps YYYYMMDDHHMMSS", target=value))
    return problems


def broken_links(graph: KnowledgeGraph) -> list[Problem]:
    """One ``broken-link`` problem per item of ``graph.broken``, in that order,
    with its "did you mean" suggestion (the rule is in `zettel.core.suggest`)."""
    if not graph.broken:
        return []
    from zettel.core.suggest import Suggester  # noqa: PLC0415 - only when a link is broken

    suggester = Suggester(graph.notes)
    problems = []
    for item in graph.broken:
        target = item.link.target
        guess = suggester.suggest(graph.notes[item.source], item.link)
        message = f"link to '{target}' matches no note (by id, path, file name, title or alias)"
        if guess:
            message += f"; did you mean '{guess}'?"
        problems.append(Problem("broken-link", item.source, message, line=item.link.line,
                                target=target, suggestion=guess))
    return problems


def _ambiguous(item: ResolvedLink) -> Problem:
    found = item.resolution
    target = item.link.target
    return Problem("ambiguous-link", item.source,
                   f"link to '{target}' matches {len(found.paths)} notes by {found.step}: "
                   f"{', '.join(found.paths)}", line=item.link.line, target=target)
