"""LSP positions and offsets in a text, exactly.

An LSP position is a line (split at ``\\n``, ``\\r\\n`` or a lone ``\\r``, the
three line ends of the protocol: not at U+2028 or a form feed) and a character
counted in the code units of the position encoding the client and server agreed
on: UTF-16 by default (a character outside the Basic Multilingual Plane, such
as an emoji, counts 2), else UTF-8 bytes or UTF-32 code points. Offsets here
are Python string indexes (code points) in the text as the editor sent it.

`BodyMap` turns a note's body offsets (`zettel.core.model.Link` spans) into
offsets of the file's text and back, with `zettel.core.parse.body_to_file`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from lsprotocol import types

from zettel.core.parse import body_to_file

UTF16, UTF8, UTF32 = "utf-16", "utf-8", "utf-32"
_LINE_END = re.compile(r"\r\n|\r|\n")


def units(text: str, encoding: str = UTF16) -> int:
    """The length of ``text`` in code units of ``encoding`` (lone surrogates count one)."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _chars(line: str, count: int, encoding: str) -> int:
    """How many characters of ``line`` make ``count`` code units (never
    splitting a character: a count inside one stops before it)."""
    if encoding == UTF32 or line.isascii():
        return min(count, len(line))
    done = 0
    for i, char in enumerate(line):
        code = ord(char)
        if encoding == UTF8:
            size = 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
        else:
            size = 2 if code > 0xFFFF else 1
        if done + size > count:
            return i
        done += size
    return len(line)


class LineIndex:
    """Where each line of a text starts, to turn offsets into positions and back."""

    __slots__ = ("text", "encoding", "starts")

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self.starts = [0, *(m.end() for m in _LINE_END.finditer(text))]

    def line_end(self, line: int) -> int:
        """The offset where ``line``'s text ends (before its line end)."""
        if line + 1 >= len(self.starts):
            return len(self.text)
        end = self.starts[line + 1] - 1
        if self.text[end] == "\n" and end > self.starts[line] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def line_of(self, offset: int) -> int:
        """The line (0-based) holding ``offset``."""
        return bisect_right(self.starts, offset) - 1

    def position(self, offset: int) -> types.Position:
        """The position of ``offset`` (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start = self.starts[line]
        offset = min(offset, self.line_end(line))  # inside a "\r\n": the end of its line
        return types.Position(line=line,
                              character=units(self.text[start:offset], self.encoding))

    def offset(self, position: types.Position) -> int:
        """The offset of ``position``: a line past the end is the end of the text,
        a character past its line's end is that end."""
        line = position.line
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self.line_end(line)
        return start + _chars(self.text[start:end], max(0, position.character), self.encoding)

    def range(self, start: int, end: int) -> types.Range:
        """The range of offsets ``start:end``."""
        return types.Range(start=self.position(start), end=self.position(end))

    def span(self, found: types.Range) -> tuple[int, int]:
        """The offsets of a range (``start <= end`` whatever the range says)."""
        start, end = self.offset(found.start), self.offset(found.end)
        return (start, end) if start <= end else (end, start)

    def line_range(self, line: int) -> types.Range:
        """Line ``line``'s text, from its first non-blank character to its end."""
        line = max(0, min(line, len(self.starts) - 1))
        start, end = self.starts[line], self.line_end(line)
        text = self.text[start:end]
        return self.range(start + len(text) - len(text.lstrip()), end)


class BodyMap:
    """Body offsets of a note (``Link`` spans) to offsets of its file's text and back."""

    __slots__ = ("_to_file", "_size")

    def __init__(self, text: str, body_line: int, body_size: int) -> None:
        self._to_file: Callable[[int], int] = body_to_file(text, body_line)
        self._size = body_size

    def to_file(self, offset: int) -> int:
        """The file offset of body offset ``offset``."""
        return self._to_file(offset)

    def to_body(self, offset: int) -> int:
        """The body offset of file offset ``offset`` (the first at or after it)."""
        return bisect_left(range(self._size + 1), offset, key=self._to_file)
