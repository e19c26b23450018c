"""The search index's schema and text analysis, and what it reads from disk.

Words are analysed by `zettel.core.textfold` (case and accents folded, plurals
stemmed); word positions are packed integers (`encode_positions`), not
pickles. The index is inside the vault, which may come from someone else, so
what Whoosh reads from it is not trusted: `guard_pickles` (run on import)
sends every pickle Whoosh reads through `zettel.search.files.index_loads`,
`Storage` never reads a schema from disk (it always uses `schema`), and
`check_segments` refuses a table of contents listing anything but plain
segments, written as separate files (never a compound file), that stay in
their folder.
"""

from __future__ import annotations

import pickle
import re
from array import array
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import zettel.search.whoosh.imports  # noqa: F401 - first: Whoosh without what zettel does not use

# isort: split
from whoosh import fields, formats, index
from whoosh.analysis import Token, Tokenizer
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage
from whoosh.system import _INT_SIZE, pack_uint

from zettel.core.textfold import WORD, fold, term, term_positions
from zettel.search.files import index_load, index_loads

INDEX_NAME = "MAIN"


def _dumps(data: Any, protocol: int | None = None) -> bytes:
    """Whoosh's postings pickled with the newest protocol, whatever it asks:
    bytes are then plain data, not a call to ``_codecs.encode`` (protocol 2)."""
    return pickle.dumps(data, pickle.HIGHEST_PROTOCOL)


def guard_pickles() -> None:
    """Make every place Whoosh unpickles part of an index go through
    `index_loads` (the schema is never read: `Storage` passes `build_schema`)."""
    from whoosh import columns  # noqa: PLC0415 - imported by whoosh.index already
    from whoosh.filedb import structfile  # noqa: PLC0415

    index.pickle = SimpleNamespace(  # type: ignore[attr-defined]
        loads=index_loads, dumps=pickle.dumps, PicklingError=pickle.PicklingError)
    index.toc_loaders.clear()  # older formats, read with a plain unpickler
    structfile.load_pickle = index_load  # type: ignore[attr-defined]
    for module in (whoosh3, columns, formats):
        module.loads = index_loads  # type: ignore[attr-defined]
    whoosh3.dumps = _dumps  # type: ignore[attr-defined]


guard_pickles()


class Storage(FileStorage):  # type: ignore[misc]
    """A folder holding an index, opened with zettel's `schema`, never the
    schema pickled in it (Whoosh's multi-process writer opens it too)."""

    def open_index(self, indexname: str = INDEX_NAME, schema: Any = None,
                   indexclass: Any = None) -> Any:
        if schema is None:
            schema = build_schema()
        return super().open_index(indexname, schema=schema, indexclass=indexclass)


class NoteTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer over `zettel.core.textfold`: words, folded and stemmed."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:  # a wildcard or a whole value: fold it, stem a prefix's stem
            core = value.rstrip("*")
            token.text = term(core) + value[len(core):] if core.isalpha() else fold(value)
            token.original, token.boost, token.stopped = value, 1.0, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for pos, match in enumerate(WORD.finditer(value), start_pos):
            token.text, token.boost, token.stopped = term(match.group()), 1.0, False
            if keeporiginal:
                token.original = match.group()
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            yield token


class ValueTokenizer(Tokenizer):  # type: ignore[misc]
    """Whole values, one per line (tags, types), folded but not split or stemmed."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        offset = start_char
        for pos, line in enumerate(value.split("\n"), start_pos):
            if line.strip():
                token.text, token.original = fold(line.strip()), line
                token.boost, token.stopped = 1.0, False
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar, token.endchar = offset, offset + len(line)
                yield token
            offset += len(line) + 1


def encode_positions(places: list[int]) -> bytes:
    """Ascending word positions as stored in a posting: their number, then the
    positions packed as unsigned integers of 2 bytes (4 past 65,535), after a
    type code. No pickle: a posting cannot hold code, and it is faster."""
    code = b"H" if places[-1] < 1 << 16 else b"I"
    return pack_uint(len(places)) + code + array(code.decode("ascii"), places).tobytes()


def decode_positions(value: bytes) -> list[int]:
    """The positions `encode_positions` packed; ValueError if they are damaged."""
    code = value[_INT_SIZE:_INT_SIZE + 1]
    if code not in (b"H", b"I"):
        raise ValueError("damaged word positions in the search index")
    places = array(code.decode("ascii"))
    places.frombytes(value[_INT_SIZE + 1:])
    return places.tolist()


class FastPositions(formats.Positions):  # type: ignore[misc]
    """Whoosh's positions format, with the analysis done in one pass over the
    text (the same terms `NoteTokenizer` gives, without a Token per word), and
    positions packed by `encode_positions` instead of pickled."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        if isinstance(analyzer, NoteTokenizer) and isinstance(value, str):
            found = term_positions(value)
        else:
            found = {}
            for token in analyzer(value, positions=True, **kwargs):
                found.setdefault(token.text, []).append(token.pos)
        boost = self.field_boost
        for text, places in found.items():
            yield text, len(places), len(places) * boost, encode_positions(places)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return decode_positions(valuestring)

    def decode_position_boosts(self, valuestring: bytes) -> list[tuple[int, float]]:
        return [(place, 1.0) for place in decode_positions(valuestring)]


class NoteText(fields.TEXT):  # type: ignore[misc]
    """A text field analysed by `NoteTokenizer`, with positions for phrases."""

    def __init__(self, field_boost: float = 1.0, stored: bool = False) -> None:
        super().__init__(analyzer=NoteTokenizer(), stored=stored, field_boost=field_boost)
        self.format = FastPositions(field_boost=field_boost)


class PathID(fields.ID):  # type: ignore[misc]
    """The path field: a whole value, which may hold the surrogates of a file
    name that is not UTF-8 (kept as they are, so the file can be opened)."""

    def index(self, value: str, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        for text, freq, weight, data in self.format.word_values(value, self.analyzer,
                                                                mode="index", **kwargs):
            yield self.to_bytes(text), freq, weight, data

    def to_bytes(self, value: Any) -> bytes:
        return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value

    def from_bytes(self, data: bytes) -> str:
        return data.decode("utf-8", "surrogatepass")


def build_schema() -> fields.Schema:
    """The index's fields; ``meta_<key>`` holds each other front-matter field."""
    values = {"analyzer": ValueTokenizer(), "phrase": False}
    built = fields.Schema(
        path=PathID(stored=True, unique=True, sortable=True),
        id=fields.ID(stored=True, sortable=True),
        title=NoteText(field_boost=3.0, stored=True), aliases=NoteText(field_boost=2.0),
        tag=fields.TEXT(field_boost=1.5, **values), type=fields.TEXT(field_boost=1.5, **values),
        meta=NoteText(), body=NoteText())
    built.add("meta_*", NoteText(), glob=True)
    return built


def check_segments(opened: Any) -> str | None:
    """Why the segments an index's table of contents lists are not what zettel
    writes (None when they are): plain data, with names that stay in the folder,
    in separate files (zettel never writes, so never reads, a compound file)."""
    segments = opened._segments()
    if type(segments) is not list:
        return "its table of contents lists no segments"
    for segment in segments:
        codec = getattr(segment, "_codec", None)
        data = vars(segment) if type(segment) is whoosh3.W3Segment else {}
        deleted = data.get("_deleted")
        lengths = data.get("_fieldlengths", {})
        if not (data.get("indexname") == "MAIN" and type(codec) is whoosh3.W3Codec
                and isinstance(data.get("segid"), str)
                and re.fullmatch(r"[0-9a-z]+", data["segid"])
                and type(data.get("_doccount")) is int and data["_doccount"] >= 0
                and data.get("compound") is False
                and (deleted is None or (type(deleted) is set
                                         and all(type(n) is int for n in deleted)))
                and isinstance(lengths, dict)
                and all(type(k) is str and type(v) is int for k, v in lengths.items())
                and all(type(v) is int for v in vars(codec).values())):
            return "its table of contents lists a segment zettel does not write"
    return None
