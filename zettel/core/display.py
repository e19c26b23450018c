"""Text from a vault made safe to show on a terminal.

A title, a file name, a tag or a paragraph may hold control characters: an
escape sequence (``ESC ]52;c;…`` writes the clipboard, ``ESC [2J`` clears the
screen), a C1 control (``\\x9b`` is a CSI of its own), a right-to-left
override that turns the text around it. Shown as they are, they act on the
terminal instead of being read. `clean` shows each one as its Python escape
(``\\x1b``, ``\\u202e``), so it is seen and does nothing; a newline in a
one-line field shows as ``\\n`` and cannot split line-oriented output.

For people only: JSON output keeps the text as it is, its control characters
escaped as JSON does (`clean_json` escapes the few JSON itself leaves raw).
"""

from __future__ import annotations

import re

#: Bidirectional controls: marks, embeddings, overrides, isolates.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
#: C0 and C1 controls, DEL, bidi controls, line and paragraph separators, and
#: lone surrogates (a file name that is not UTF-8), which a terminal cannot print.
_OTHERS = f"\x7f-\x9f{_BIDI}\u2028\u2029\ud800-\udfff"
#: Every character `clean` shows as an escape.
CONTROLS = re.compile(f"[\x00-\x1f{_OTHERS}]")
#: Those that JSON and XML writers leave raw, but a terminal obeys (C0 controls
#: are escaped by JSON, and cannot be in XML).
RAW_CONTROLS = re.compile(f"[{_OTHERS}]")
_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_OTHERS}]")  # not tab (\x09) nor newline (\x0a)
_NAMED = {"\n": "\\n", "\r": "\\r"}


def escape(char: str) -> str:
    """One character as its Python escape: ``\\x1b``, ``\\u202e``."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char == "\t":
        return " "
    return _NAMED.get(char) or escape(char)


def clean(text: str) -> str:
    """``text`` on one line, every control character shown as its escape
    (``\\x1b``, ``\\x9b``, ``\\u202e``), a newline as ``\\n``, a tab as a space."""
    return CONTROLS.sub(_visible, text)


def clean_lines(text: str) -> str:
    """Like `clean`, for text of several lines: newlines and tabs are kept
    (a Windows line end becomes a newline)."""
    return _LINES.sub(_visible, text.replace("\r\n", "\n"))


def describe(error: BaseException) -> str:
    """An exception as one clean line: its type and its message."""
    message = str(error)
    return clean(f"{type(error).__name__}: {message}" if message else type(error).__name__)


def clean_json(text: str) -> str:
    """JSON text with C1 and bidi controls, and lone surrogates, written as
    ``\\uXXXX`` escapes: the same data, nothing a terminal obeys. (Outside
    JSON's strings there are none of these characters to change.)"""
    return RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
