"""What is under the editor's cursor in a buffer: a link, a heading, the front matter."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from lsprotocol import types

from zettel.core.model import Link
from zettel.lsp.workspace import Buffer

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)


class Heading(NamedTuple):
    """An ATX heading of a body: its level, text, and body offsets (line, text)."""

    level: int
    text: str
    start: int
    end: int
    text_start: int


def headings(masked_body: str) -> list[Heading]:
    """The ATX headings (``## Text``) of a body with code masked, in order."""
    return [Heading(len(m.group(1)), m.group(2).strip(), m.start(), m.end(), m.start(2))
            for m in _HEADING.finditer(masked_body) if m.group(2).strip()]


def offset_of(buffer: Buffer, position: types.Position) -> int:
    """The text offset of an LSP position in the buffer."""
    return buffer.lines.offset(position)


def body_offset(buffer: Buffer, offset: int) -> int | None:
    """The body offset of text offset ``offset``; None in the front matter."""
    body = buffer.body
    if offset < body.to_file(0):
        return None
    return body.to_body(offset)


def link_span(buffer: Buffer, link: Link) -> types.Range:
    """The range of a link of the buffer's note, as written (``![[x]]`` with its ``!``)."""
    start, end = link.span
    return span_range(buffer, start, end)


def target_range(buffer: Buffer, link: Link) -> types.Range:
    """The range of a link's target as written."""
    start, end = link.target_span
    return span_range(buffer, start, end)


def span_range(buffer: Buffer, start: int, end: int) -> types.Range:
    """The range of body offsets ``start:end``."""
    body = buffer.body
    return buffer.lines.range(body.to_file(start), body.to_file(end))


def link_at(buffer: Buffer, position: types.Position) -> Link | None:
    """The link under the cursor (for a reference, its definition or a use of it)."""
    at = body_offset(buffer, offset_of(buffer, position))
    if at is None:
        return None
    links = buffer.note.links
    starts: list[int] = buffer.cached("starts", lambda: [link.start for link in links])
    before = bisect_right(starts, at) - 1
    if before >= 0 and at < links[before].start + links[before].length:
        return links[before]
    references: list[Link] = buffer.cached(
        "references", lambda: [link for link in links if link.uses])
    return next((link for link in references if any(s <= at < e for s, e in link.uses)), None)


def front_matter_lines(buffer: Buffer) -> range:
    """The 0-based lines of the front matter's fields (empty without front matter)."""
    note = buffer.note
    return range(1, note.body_line - 2) if note.has_front_matter else range(0)
