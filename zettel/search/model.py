"""What a search takes and gives, without Whoosh: errors, the query language
parsed into a tree, results.

Engine-neutral: the search engine (`zettel.search.whoosh.engine`) turns the tree into
its own queries and gives these results; the command line and the TUI use
them without loading Whoosh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from zettel.search.state import Changes


class QueryError(ValueError):
    """A query that cannot be understood: the message says why."""


class IndexBusy(RuntimeError):
    """There is no index yet and another process is building it."""


class DamagedIndex(Exception):
    """An index whose files cannot be used: the message says why (it is rebuilt)."""


#: How deep a query may nest (parentheses and NOTs), and how many words it may hold.
MAX_DEPTH = 32
MAX_WORDS = 1000


@dataclass(frozen=True)
class Word:
    """A word of a query (``prefix*``, ``wild?card`` and ``word~2`` included) or,
    with ``phrase``, the text of a "phrase"; searched in the query field
    ``field`` (None: the default fields)."""

    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class AllOf:
    """Notes that match every part (``a b``, ``a AND b``)."""

    parts: tuple[QueryNode, ...]


@dataclass(frozen=True)
class AnyOf:
    """Notes that match at least one part (``a OR b``)."""

    parts: tuple[QueryNode, ...]


@dataclass(frozen=True)
class Without:
    """Notes that do not match ``part`` (``NOT a``, ``-a``)."""

    part: QueryNode


QueryNode = Word | AllOf | AnyOf | Without

_TOKEN = re.compile(r'(?P<space>\s+)|(?P<paren>[()])|(?P<phrase>"[^"]*")|(?P<quote>")'
                    r'|(?P<word>[^\s()"]+)')
_FIELD = re.compile(r"([^\W\d_][\w-]*):(.*)", re.DOTALL)
_OPERATORS = {"AND": "and", "OR": "or", "NOT": "not"}


def one_line(text: str) -> str:
    """Part of a query, quoted in a message: its white space as single spaces."""
    return " ".join(text.split())


def parse(text: str) -> QueryNode:
    """The query ``text`` (docs/search.md) as a tree; `QueryError` saying why
    when it is malformed. Words are not analysed here (`zettel.search.keeper` does)."""
    text = text.strip()
    if not text:
        raise QueryError("the query is empty")
    parser = _Parser(_tokens(text))
    parts = parser.all_of(None, 0)
    if parser.peek() == "close":
        raise QueryError("a ')' closes no '('")
    if not parts:
        raise QueryError(f"'{one_line(text)}' has no word to search for")
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: open, close, and, or, not, field, word, phrase."""
    found = list(_TOKEN.finditer(text))
    out: list[tuple[str, str]] = []
    for i, match in enumerate(found):
        kind, value = match.lastgroup, match.group()
        glued = i + 1 < len(found) and found[i + 1].group() in ("(", '"') or (
            i + 1 < len(found) and found[i + 1].lastgroup == "phrase")
        if kind == "space":
            continue
        if kind == "quote":
            raise QueryError('a phrase is not closed: a " is missing')
        if kind == "paren":
            out.append(("open" if value == "(" else "close", value))
        elif kind == "phrase":
            out.append(("phrase", value[1:-1]))
        elif value in _OPERATORS:
            out.append((_OPERATORS[value], value))
        else:
            out.extend(_word_tokens(value, glued))
    return out


def _word_tokens(value: str, glued: bool) -> list[tuple[str, str]]:
    """A word, with its leading ``-`` or ``+`` and its ``field:``, as tokens."""
    out = []
    if value[0] in "-+" and (len(value) > 1 or glued):
        if value[0] == "-":
            out.append(("not", "-"))
        value = value[1:]
        if not value:
            return out
    named = _FIELD.fullmatch(value)
    if named is None:
        return [*out, ("word", value)]
    name, rest = named.groups()
    if not rest and not glued:
        raise QueryError(f"'{name}:' needs a word, a \"phrase\" or a (group) right after it, "
                         f"as in {name}:word")
    out.append(("field", name))
    if rest:
        out.append(("word", rest))
    return out


class _Parser:
    """Recursive descent over the tokens: AND (implicit or written) binds
    loosest, then OR, then NOT and ``-``; a field applies to what follows it."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.at, self.words = tokens, 0, 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def _need(self, operator: str) -> None:
        if self.peek() in (None, "close", "and", "or"):
            raise QueryError(f"'{operator}' needs something to search on each side"
                             if operator != "NOT" else "'NOT' needs something after it")

    def all_of(self, field: str | None, depth: int) -> list[QueryNode]:
        parts: list[QueryNode] = []
        while (kind := self.peek()) not in (None, "close"):
            if kind in ("and", "or"):  # an OR here follows nothing: 'OR a', 'a AND OR b'
                if not parts or kind == "or":
                    raise QueryError(f"'{kind.upper()}' needs something to search on each side")
                self.at += 1
                self._need("AND")
                continue
            parts.append(self.any_of(field, depth))
        return parts

    def any_of(self, field: str | None, depth: int) -> QueryNode:
        parts = [self.unary(field, depth)]
        while self.peek() == "or":
            self.at += 1
            self._need("OR")
            parts.append(self.unary(field, depth))
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def unary(self, field: str | None, depth: int) -> QueryNode:
        kind, value = self.tokens[self.at]
        self.at += 1
        if kind == "not":
            self._deeper(depth)
            self._need("NOT")
            return Without(self.unary(field, depth + 1))
        if kind == "field":
            field, (kind, value) = value, self.tokens[self.at]
            self.at += 1
        if kind == "open":
            self._deeper(depth)
            parts = self.all_of(field, depth + 1)
            if self.peek() != "close":
                raise QueryError("a '(' is not closed")
            self.at += 1
            if not parts:
                raise QueryError("a group '( )' is empty")
            return parts[0] if len(parts) == 1 else AllOf(tuple(parts))
        if kind in ("word", "phrase"):
            self.words += 1
            if self.words > MAX_WORDS:
                raise QueryError(f"the query has more than {MAX_WORDS} words")
            return Word(value, field, phrase=kind == "phrase")
        raise QueryError(f"'{one_line(value)}' cannot come here in a query")

    @staticmethod
    def _deeper(depth: int) -> None:
        if depth >= MAX_DEPTH:
            raise QueryError(f"the query is nested too deeply (at most {MAX_DEPTH} levels "
                             "of parentheses and NOTs)")


@dataclass(frozen=True)
class Snippet:
    """A short extract of a note, with the matched words as (start, end) offsets."""

    text: str
    marks: tuple[tuple[int, int], ...] = ()
    line: int | None = None

    def pieces(self) -> list[tuple[str, bool]]:
        """The text cut at the marks: (piece, whether it is a matched word)."""
        out, at = [], 0
        for start, end in self.marks:
            out += [(self.text[at:start], False), (self.text[start:end], True)]
            at = end
        out.append((self.text[at:], False))
        return [(piece, matched) for piece, matched in out if piece]


@dataclass(frozen=True)
class Hit:
    """One note found by a search, best first."""

    path: str
    id: str | None
    title: str
    score: float
    snippet: Snippet = field(default_factory=lambda: Snippet(""))

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "id": self.id, "title": self.title,
                "score": round(self.score, 3), "line": self.snippet.line,
                "snippet": self.snippet.text, "marks": [list(m) for m in self.snippet.marks]}


@dataclass(frozen=True)
class Results:
    """The hits of one search, and how many notes matched in all (None when
    not counted)."""

    hits: list[Hit]
    total: int | None


def squash(text: str) -> str:
    """Runs of white space (new lines included) as one space, ends kept."""
    squashed = " ".join(text.split())
    if squashed and text[:1].isspace():
        squashed = " " + squashed
    if squashed and text[-1:].isspace():
        squashed += " "
    return squashed if squashed or not text else " "


def leading_snippet(body: str) -> Snippet:
    return Snippet(" ".join(body[:400].split())[:160], (), None)


@dataclass
class SyncReport:
    """What `SearchIndex.sync` did."""

    changes: Changes = field(default_factory=Changes)
    notes: int = 0
    rebuilt: bool = False
    read_only: bool = False
    seconds: float = 0.0
