"""Going from a link to what it reaches, and from a note to what reaches it:
definition, references (backlinks) and document links."""

from __future__ import annotations

import re

from lsprotocol import types

from zettel.core.body import mask_code
from zettel.core.display import clean
from zettel.core.model import Link
from zettel.core.parse import parse_text
from zettel.core.resolve import normalize
from zettel.lsp.cursor import headings, link_at, link_span, target_range
from zettel.lsp.positions import BodyMap, LineIndex
from zettel.lsp.state import VaultState
from zettel.lsp.workspace import Buffer, Workspace

_ZERO = types.Range(start=types.Position(line=0, character=0),
                    end=types.Position(line=0, character=0))


def _heading_range(space: Workspace, state: VaultState, path: str,
                   heading: str) -> types.Range:
    """The range of the heading ``heading`` (or block ``^id``) in note ``path``;
    the file's start when it has none such."""
    text = space.text_of(state, path)
    if text is None:
        return _ZERO
    note = state.notes.get(path) or parse_text(path, text)
    lines = LineIndex(text, space.encoding)
    body = BodyMap(text, note.body_line, len(note.body))
    wanted = normalize(heading)
    if wanted.startswith("^"):
        block = re.search(rf"(?<!\S){re.escape(heading.strip())}[ \t]*$", note.body, re.M)
        if block:
            return lines.range(body.to_file(block.start()), body.to_file(block.end()))
        return _ZERO
    for found in headings(mask_code(note.body)):
        if normalize(found.text) == wanted:
            return lines.range(body.to_file(found.start), body.to_file(found.end))
    return _ZERO


def definition(space: Workspace, buffer: Buffer,
               position: types.Position) -> list[types.Location] | None:
    """Where the link under the cursor leads: the note (at its heading for
    ``[[x#heading]]``), the file of an embed, each candidate of an ambiguous link."""
    state, source = buffer.vault, buffer.rel
    if state is None or source is None:
        return None
    link = link_at(buffer, position)
    if link is None or link.kind == "external":
        return None
    found = state.resolve(link, source)
    if found.status == "broken":
        return None
    out = []
    for path in found.paths:
        where = _ZERO
        if link.heading and not found.is_file:
            where = _heading_range(space, state, path, link.heading)
        out.append(types.Location(uri=space.uri_of(state, path), range=where))
    return out


def _link_location(space: Workspace, state: VaultState, source: str,
                   number: int) -> types.Location | None:
    """Where link ``number`` of note ``source`` is written."""
    buffer = space.buffer_of(state, source)
    if buffer is not None:
        links = buffer.note.links
        return (types.Location(uri=buffer.uri, range=link_span(buffer, links[number]))
                if number < len(links) else None)
    text = space.text_of(state, source)
    note = state.notes.get(source)
    if text is None or note is None or number >= len(note.links):
        return None
    link: Link = note.links[number]
    lines = LineIndex(text, space.encoding)
    body = BodyMap(text, note.body_line, len(note.body))
    start, end = link.span
    return types.Location(uri=space.uri_of(state, source),
                          range=lines.range(body.to_file(start), body.to_file(end)))


def references(space: Workspace, buffer: Buffer, position: types.Position,
               include_declaration: bool) -> list[types.Location] | None:
    """The backlinks of the note the cursor's link reaches, or of this note when
    the cursor is on no link, each where it is written."""
    state, source = buffer.vault, buffer.rel
    if state is None or source is None:
        return None
    link = link_at(buffer, position)
    target = source
    if link is not None and link.kind != "external":
        found = state.resolve(link, source)
        if found.status != "resolved" or found.is_file:
            return []
        target = found.paths[0]
    out = []
    if include_declaration:
        out.append(types.Location(uri=space.uri_of(state, target), range=_ZERO))
    for path, number in state.backlinks_of(target):
        where = _link_location(space, state, path, number)
        if where is not None:
            out.append(where)
    return out


def document_links(space: Workspace, buffer: Buffer,
                   tooltips: bool = False) -> list[types.DocumentLink]:
    """Every link of the buffer that reaches a note or a file, as a link to its file
    (with the note's title as tooltip, for an editor that shows them)."""
    state, source = buffer.vault, buffer.rel
    if state is None or source is None:
        return []
    out = []
    for link in buffer.note.links:
        if link.kind == "external":
            continue
        found = state.resolve(link, source)
        if found.status != "resolved" or (found.paths[0] == source and not link.target):
            continue
        path = found.paths[0]
        note = state.notes.get(path)
        where = target_range(buffer, link) if link.kind != "reference" else link_span(buffer, link)
        tip = clean(note.title if note else path) if tooltips else None
        out.append(types.DocumentLink(range=where, target=space.uri_of(state, path),
                                      tooltip=tip))
    return out
