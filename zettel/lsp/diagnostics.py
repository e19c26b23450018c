"""Diagnostics of an open buffer, as typed: the problems ``zettel check`` would
report for this note if its file held the buffer's text.

They come from `zettel.core.check` itself, given a view of the vault reduced to
this note's links (`_OneNote`): the same kinds, messages and "did you mean".
An orphan (or isolated) note is a hint, not a warning: a note just written has
no backlink yet. A file that is no note of a vault gets the problems of its
own text only (YAML errors, key case, ...).
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from lsprotocol import types

from zettel.core.check import analyze, broken_links
from zettel.core.graph import ResolvedLink
from zettel.core.model import Link, Note, Problem
from zettel.core.resolve import normalize
from zettel.core.suggest import plain
from zettel.lsp.workspace import Buffer

if TYPE_CHECKING:
    from zettel.core.graph import KnowledgeGraph
    from zettel.core.resolve import Resolver
    from zettel.lsp.state import VaultState

SOURCE = "zettel"
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}
_HINTS = frozenset({"orphan", "isolated"})
_ID_KINDS = frozenset({"duplicate-id", "malformed-id"})
_FIELD_LINE = {"duplicate-id": "id", "malformed-id": "id", "orphan": "title", "isolated": "title"}
#: Broken-link problems remembered (their "did you mean" reads the whole vault's names).
_MEMO_SIZE = 4096

Found = list[tuple[Problem, Link | None]]


class _OneNote:
    """What `zettel.core.check.analyze` reads of a graph, for one note: every note
    (for duplicate and malformed ids), and this note's links and orphan status."""

    def __init__(self, notes: dict[str, Any], resolver: Resolver, path: str,
                 broken: list[ResolvedLink], ambiguous: list[ResolvedLink],
                 orphan: bool, dead_end: bool) -> None:
        self.notes = notes
        self.resolver = resolver
        self.broken = broken
        self.ambiguous = ambiguous
        self.link_count = 0
        self._path, self._orphan, self._dead_end = path, orphan, dead_end

    def orphans(self) -> list[str]:
        return [self._path] if self._orphan else []

    def is_dead_end(self, path: str) -> bool:
        return self._dead_end


class _NoSharedIds:
    """The resolver of a one-note view: the ids it shares are found vault-wide."""

    @staticmethod
    def shared_ids() -> list[tuple[str, ...]]:
        return []


def problems(buffer: Buffer) -> Found:
    """The problems of the buffer's note, each with its link when it is about one."""
    return cast("Found", buffer.cached("problems", lambda: _problems(buffer)))


def _problems(buffer: Buffer) -> Found:
    note = buffer.note
    state, path = buffer.vault, buffer.rel
    if state is None or path is None:
        return [(p, None) for p in note.problems]
    broken: list[ResolvedLink] = []
    ambiguous: list[ResolvedLink] = []
    dead_end = True
    for link in note.links:
        if link.kind == "external":
            continue
        found = state.resolve(link, path)
        if found.status == "broken":
            broken.append(ResolvedLink(path, link, found))
        elif found.status == "ambiguous":
            ambiguous.append(ResolvedLink(path, link, found))
        elif not found.is_file and found.paths[0] != path:
            dead_end = False
    orphan = not state.backlinks_of(path)
    # The note alone: its own problems, its ambiguous links, orphan or isolated. The
    # problems of its id, which need every note, come from `_id_problems`.
    view = _OneNote({path: note}, cast("Resolver", _NoSharedIds()), path, [], ambiguous,
                    orphan, dead_end)
    waiting = {(line, target): deque(item.link for item in ambiguous
                                     if (item.link.line, item.link.target) == (line, target))
               for line, target in {(i.link.line, i.link.target) for i in ambiguous}}
    out: Found = []
    for problem in analyze(cast("KnowledgeGraph", view)).problems:
        about: Link | None = None
        if problem.kind == "ambiguous-link":
            queue = waiting.get((problem.line or 0, problem.target or ""))
            about = queue.popleft() if queue else None
        out.append((problem, about))
    out += [(p, None) for p in _id_problems(state).get(path, ()) if p not in note.problems]
    out += _broken(state, note, broken)
    out.sort(key=lambda item: (item[0].line or 0, item[1].start if item[1] else -1))
    return out


def _id_problems(state: VaultState) -> dict[str, list[Problem]]:
    """The duplicate and malformed ids of the vault, by note, for its ids as they
    are (`zettel.core.check.analyze` over every note, once per change of an id)."""
    key = ("ids", state.ids_version)
    found = state.memo.get(key)
    if found is None:
        view = _OneNote(state.notes, state.resolver, "", [], [], False, False)
        found = {}
        for problem in analyze(cast("KnowledgeGraph", view)).problems:
            if problem.kind in _ID_KINDS:
                found.setdefault(problem.path, []).append(problem)
        state.memo[key] = found
    return found  # type: ignore[no-any-return]


def candidates(state: VaultState, source: Note, link: Link) -> frozenset[str]:
    """The notes "did you mean" may suggest for ``link`` (`zettel.core.suggest`: the
    ids an edit or two away, the titles and aliases like its target or label; never
    its own note): those the vault's suggester finds, and the notes renamed since it
    was built (it may not know their names as they are: a few more notes to look at
    change nothing, the suggestion is made among those that match)."""
    suggester, renamed = state.suggester()
    key = normalize(link.target)
    written = "" if key.isdigit() else plain(key)
    found = set(suggester.near_ids(key) if key.isdigit() else suggester.similar_names(written))
    label = plain(link.label) if link.label else ""
    if label and label != written:
        found.update(suggester.similar_names(label))
    found.update(renamed)
    return frozenset(path for path in found if path != source.path and path in state.notes)


def _broken(state: VaultState, note: Note, broken: list[ResolvedLink]) -> Found:
    """A broken-link problem for each of ``broken``, from `zettel.core.check.broken_links`.

    "Did you mean" chooses among a link's candidates only (`candidates`), so check
    is given the vault reduced to the note and those candidates: the same problem,
    without folding every title of the vault on each keystroke. It is remembered
    by the link, its candidates and (when it has any) its paragraph, while the
    vault's names stay the same."""
    memo: dict[tuple[Any, ...], Problem] = state.memo.setdefault(("broken",), {})
    keys = []
    for item in broken:
        link = item.link
        found = candidates(state, note, link)
        keys.append((state.names_version, item.source, link.target, link.label, link.kind,
                     found, note.context(link) if found else None))
    if len(memo) > _MEMO_SIZE:
        memo.clear()
    for i, key in enumerate(keys):
        if key in memo:
            continue
        notes = {path: state.notes[path] for path in key[5] if path in state.notes}
        notes[note.path] = note
        view = _OneNote(notes, state.resolver, "", [broken[i]], [], False, False)
        memo[key] = broken_links(cast("KnowledgeGraph", view))[0]
    out: Found = []
    for item, key in zip(broken, keys, strict=True):
        problem = memo[key]
        if problem.line != item.link.line:  # the same link, moved to another line
            problem = replace(problem, line=item.link.line)
        out.append((problem, item.link))
    return out


def _field_line(buffer: Buffer, name: str) -> int | None:
    """The 0-based line of the front-matter field ``name``, if it is written."""
    lines = buffer.lines
    pattern = re.compile(rf"\ufeff?[ \t]*{name}[ \t]*:", re.IGNORECASE)
    for line in range(1, min(buffer.note.body_line - 1, len(lines.starts))):
        if pattern.match(buffer.text, lines.starts[line]):
            return line
    return None


def where(buffer: Buffer, problem: Problem, link: Link | None) -> types.Range:
    """The range a problem is shown on: its link, its line, or its field's line."""
    lines = buffer.lines
    if link is not None:
        start, end = link.span
        return lines.range(buffer.body.to_file(start), buffer.body.to_file(end))
    if problem.line:
        return lines.line_range(problem.line - 1)
    field = _FIELD_LINE.get(problem.kind)
    line = _field_line(buffer, field) if field else None
    return lines.line_range(line) if line is not None else lines.range(0, 0)


def diagnostics(buffer: Buffer) -> list[types.Diagnostic]:
    """The buffer's problems as LSP diagnostics (code: the problem's kind)."""
    out = []
    for problem, link in problems(buffer):
        severity = (types.DiagnosticSeverity.Hint if problem.kind in _HINTS
                    else _SEVERITY[problem.severity])
        out.append(types.Diagnostic(
            range=where(buffer, problem, link), message=problem.message, severity=severity,
            code=problem.kind, source=SOURCE,
            data={"kind": problem.kind, "target": problem.target,
                  "suggestion": problem.suggestion}))
    return out


def problem_of(buffer: Buffer, link: Link) -> Problem | None:
    """The problem about ``link`` (broken or ambiguous), if there is one."""
    return next((p for p, found in problems(buffer) if found is link), None)
