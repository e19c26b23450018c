"""What a search takes and gives, without Whoosh: errors, documents, results.

`zettel.search` (the one module that imports Whoosh) builds on these; the
command line and the TUI can use them without loading Whoosh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zettel.index_state import Changes
from zettel.model import Note
from zettel.textfold import field_key


class QueryError(ValueError):
    """A query that cannot be understood: the message says why."""


class IndexBusy(RuntimeError):
    """There is no index yet and another process is building it."""


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(_flatten(v) for v in value.values())
    if isinstance(value, list | tuple | set):
        return "\n".join(_flatten(v) for v in value)
    return "" if value is None else str(value)


def document(note: Note) -> dict[str, str]:
    """The Whoosh document of a note."""
    meta = {f"meta_{field_key(key)}": _flatten(value) for key, value in note.meta.items()
            if field_key(key)}
    if note.thumbnail:
        meta["meta_thumbnail"] = note.thumbnail
    tags, types, values = "\n".join(note.tags), "\n".join(note.types), "\n".join(meta.values())
    doc = {"path": note.path, "title": note.title, "aliases": "\n".join(note.aliases),
           "tag": tags, "type": types, "meta": values,
           "body": "\n".join((note.body, tags, types, values)), **meta}
    if note.id:
        doc["id"] = note.id
    return {key: value for key, value in doc.items() if value}


def check_balance(text: str) -> None:
    if text.count('"') % 2:
        raise QueryError('a phrase is not closed: a " is missing')
    depth = 0
    for part in text.split('"')[::2]:  # outside quotes
        for char in part:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                raise QueryError("a ')' closes no '('")
    if depth:
        raise QueryError("a '(' is not closed")


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
