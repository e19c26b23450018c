"""The units everything else passes around: `Note`, `Link` and `Problem`.

They are plain frozen dataclasses with no behaviour that touches the disk, so
parsing stays a pure function of text and the cache can store them as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from zettel.core.problems import KINDS, Severity, kind_of

#: Longest context given for a link, in characters: a longer paragraph is cut
#: to a window around the link.
CONTEXT_CHARS = 480
_BLANK_LINE = re.compile(r"\n[ \t]*\n")

@dataclass(frozen=True)
class Problem:
    """Something wrong in the vault, tied to a file and, where it applies, a line."""

    kind: str
    path: str
    message: str
    line: int | None = None
    target: str | None = None
    suggestion: str | None = None

    def __post_init__(self) -> None:
        kind_of(self.kind)  # a kind missing from the registry is a bug: fail here

    @property
    def severity(self) -> Severity:
        """``error`` or ``warning``, as `zettel.core.problems.KINDS` says for the kind."""
        return KINDS[self.kind].severity

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` shape of a problem (see docs/json.md)."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "target": self.target,
            "message": self.message,
            "suggestion": self.suggestion,
        }


LinkKind = Literal["wiki", "embed", "markdown", "reference", "external"]
#: A place in a note's body: ``(start, end)`` offsets, ``body[start:end]``.
Span = tuple[int, int]


class Link(NamedTuple):
    """One link as written in a note's body.

    ``target`` is the text that names the other note or file, without label,
    heading or block reference. Resolving it (see `zettel.core.resolve`) tells which
    note it reaches, or that it is broken or ambiguous. ``kind`` is ``wiki``
    (``[[x]]``), ``embed`` (``![[x]]``), ``markdown`` (``[t](x.md)``),
    ``reference`` (``[t]: x.md``) or ``external`` (a URL with a scheme, never
    an edge of the graph). ``line`` and ``column`` are 1-based positions in the
    file; ``offset`` is where the link starts in its note's body (for a
    reference definition, where the reference is first used, else where the
    definition's line starts), and
    `Note.context` gives the paragraph around it (its context). A named tuple
    holding an offset, not a dataclass holding a copy of the paragraph: a
    vault has many links, and this keeps them cheap to build, to hold in
    memory and to load from the cache.

    Spans are ``(start, end)`` offsets in `Note.body` (the text after the
    front matter, BOM removed and line ends made ``\n``), like ``offset``:
    `zettel.core.parse.body_to_file` turns them into offsets in the file's text.
    `span` is the whole link as written (``![[x|y]]`` with its ``!``; for a
    reference, its definition ``[name]: url``); `target_span` the target as
    written (before ``%``-decoding); `label_span` and `heading_span` those of
    ``label`` and ``heading`` (None when those are None). ``uses`` holds, for
    a reference, the span of each ``[name]`` that uses it (outside the
    definition); it is empty for every other link.

    The link is stored as ``start`` (where it starts: ``offset`` but for a
    reference definition) and ``length``, and its parts as ints from
    ``start`` (``target_at``, ``target_length``, ...): a link is short, so
    these are Python's cached small ints, with nothing to allocate, pickle
    or hold for each of the many links of a vault.
    """

    target: str
    kind: LinkKind
    line: int
    column: int
    offset: int = 0
    label: str | None = None
    heading: str | None = None
    start: int = 0
    length: int = 0
    target_at: int = 0
    target_length: int = 0
    label_at: int = 0
    label_length: int = 0
    heading_at: int = 0
    heading_length: int = 0
    uses: tuple[Span, ...] = ()

    @property
    def span(self) -> Span:
        """The whole link as written: ``(start, end)`` in the body."""
        return self.start, self.start + self.length

    @property
    def target_span(self) -> Span:
        """The target as written (``%20`` not decoded, no ``<>``)."""
        at = self.start + self.target_at
        return at, at + self.target_length

    @property
    def label_span(self) -> Span | None:
        """The label (stripped of spaces), None without one."""
        if self.label is None:
            return None
        at = self.start + self.label_at
        return at, at + self.label_length

    @property
    def heading_span(self) -> Span | None:
        """The heading or block (after ``#``, stripped), None without one."""
        if self.heading is None:
            return None
        at = self.start + self.heading_at
        return at, at + self.heading_length


@dataclass(frozen=True, slots=True)
class Note:
    """One file of the vault, parsed once.

    ``path`` is vault-relative with ``/`` separators and is the note's key
    everywhere. ``id`` is always a string (or None); ``meta`` holds every
    front-matter field that is not a known one, in file order. ``problems``
    are those found by reading this file alone (YAML errors, key case,
    malformed id, encoding); problems that need the whole vault (broken
    links, duplicate ids, orphans) are found by `zettel.core.check`. ``body`` is
    the text after the front matter; it starts at line ``body_line``.
    """

    path: str
    title: str
    id: str | None = None
    types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    thumbnail: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    body: str = ""
    links: tuple[Link, ...] = ()
    problems: tuple[Problem, ...] = ()
    has_front_matter: bool = False
    body_line: int = 1
    id_from_filename: bool = False

    def context(self, link: Link) -> str:
        """The paragraph around ``link`` (one of this note's links)."""
        return paragraph_at(self.body, link.offset)

    @property
    def stem(self) -> str:
        """File name without folder and extension."""
        return stem_of(self.path)


def is_utf8(text: str) -> bool:
    """False for text holding surrogates: a file name whose bytes were not UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def stem_of(path: str) -> str:
    """The file name of a ``/``-separated path, without folder and extension."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


def paragraph_at(text: str, offset: int) -> str:
    """The paragraph of ``text`` (between blank lines) holding ``offset``.

    A paragraph longer than `CONTEXT_CHARS` is cut to a window around the
    offset, marked with an ellipsis where it was cut.
    """
    # Only a window around the offset is ever shown, so blank lines are looked
    # for near it only: the cost is bounded whatever the paragraph's length (a
    # note of one long paragraph with a link on every line was quadratic). A
    # bound met instead of a blank line cuts the text as the window would.
    reach = CONTEXT_CHARS + 512
    lo = max(0, offset - reach)
    for before in _BLANK_LINE.finditer(text, lo, offset):
        lo = before.end()
    bound = min(len(text), offset + reach)
    after = _BLANK_LINE.search(text, offset, bound)
    hi = after.start() if after else bound
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    if hi - lo <= CONTEXT_CHARS:
        return text[lo:hi]
    start = max(lo, min(offset - CONTEXT_CHARS // 2, hi - CONTEXT_CHARS))
    end = min(hi, start + CONTEXT_CHARS)
    return ("…" if start > lo else "") + text[start:end].strip() + ("…" if end < hi else "")


def count(n: int, noun: str) -> str:
    """``1 note``, ``2 notes``: a number and a noun, in the singular when one."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
