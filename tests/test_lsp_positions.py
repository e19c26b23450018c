"""LSP positions (`zettel.lsp.positions`) against a plain reference: lines split
at ``\\n``, ``\\r\\n`` and ``\\r`` only, characters counted in UTF-16 code units
(an astral character counts 2), UTF-8 bytes or code points."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from zettel.core.parse import parse_text
from zettel.lsp.positions import UTF8, UTF16, UTF32, BodyMap, LineIndex

PIECES = st.sampled_from(["a", "é", "🦉", "\r\n", "\r", "\n", "\u2028", "\x0c", "\t", " ",
                          "[[", "]]", "#", "---\n", "\ufeff", "\udc80"])
TEXTS = st.lists(PIECES, max_size=60).map("".join)
ENCODINGS = st.sampled_from([UTF16, UTF8, UTF32])


def size(text: str, encoding: str) -> int:
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def reference(text: str, offset: int, encoding: str) -> types.Position:
    """The position of ``offset`` computed the slow, obvious way."""
    lines = re.split(r"\r\n|\r|\n", text[:offset])
    if text[:offset].endswith("\r") and text[offset : offset + 1] == "\n":
        lines = re.split(r"\r\n|\r|\n", text[: offset - 1])  # inside a CRLF: its line's end
    return types.Position(line=len(lines) - 1, character=size(lines[-1], encoding))


@given(TEXTS, ENCODINGS)
def test_every_offset_has_the_reference_position(text: str, encoding: str) -> None:
    index = LineIndex(text, encoding)
    for offset in range(len(text) + 1):
        assert index.position(offset) == reference(text, offset, encoding)


@given(TEXTS, ENCODINGS)
def test_positions_go_back_to_their_offsets(text: str, encoding: str) -> None:
    index = LineIndex(text, encoding)
    for offset in range(len(text) + 1):
        inside_crlf = 0 < offset < len(text) and text[offset - 1 : offset + 1] == "\r\n"
        back = index.offset(index.position(offset))
        assert back == (offset - 1 if inside_crlf else offset)


def test_positions_past_the_end_and_inside_a_character() -> None:
    index = LineIndex("ab\r\n🦉x\n", UTF16)
    assert index.offset(types.Position(line=0, character=99)) == 2  # the line's end
    assert index.offset(types.Position(line=9, character=0)) == len(index.text)
    assert index.offset(types.Position(line=1, character=1)) == 4  # inside 🦉: before it
    assert index.offset(types.Position(line=1, character=2)) == 5
    assert index.range(4, 6) == types.Range(start=types.Position(line=1, character=0),
                                            end=types.Position(line=1, character=3))


@given(TEXTS)
def test_body_offsets_map_to_the_file_and_back(middle: str) -> None:
    text = "\ufeff---\r\ntitle: x\r\n---\r\n" + middle
    note = parse_text("a.md", text)
    body = BodyMap(text, note.body_line, len(note.body))
    for offset in range(len(note.body) + 1):
        at = body.to_file(offset)
        assert body.to_body(at) == offset
        if offset < len(note.body) and note.body[offset] != "\n":
            assert text[at] == note.body[offset]
