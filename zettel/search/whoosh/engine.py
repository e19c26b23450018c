"""The Whoosh backend of the search index: the one module that knows Whoosh's
schema, field names (``meta_<key>``), files and errors.

`WhooshBackend` is what `zettel.search.keeper.SearchIndex` builds on
(`zettel.search.protocol.Backend`): it names the files Whoosh writes in a
build folder (`FILES`), builds an index of notes (`document` turns a note into
Whoosh's fields), opens, updates and reads one (`WhooshIndex`), and tells a
damaged index from a bug (`WhooshBackend.damage`). Its record of a build, kept
in the manifest, is the generation of its table of contents and the totals of
field lengths that ranking needs (`zettel.search.whoosh.rank`). Text is analysed by
`zettel.core.textfold` (`zettel.search.whoosh.schema`); queries are turned into Whoosh's by
`zettel.search.whoosh.query`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import zettel.search.whoosh.imports  # noqa: F401 - first: Whoosh without what zettel does not use

# isort: split
from whoosh import highlight, index
from whoosh import query as wq

from zettel.core.model import Note
from zettel.core.textfold import field_key
from zettel.search.model import (
    DamagedIndex,
    Hit,
    QueryError,
    Results,
    Snippet,
    leading_snippet,
    squash,
)
from zettel.search.state import EngineState, FileKinds
from zettel.search.whoosh.query import parse_query
from zettel.search.whoosh.rank import (
    RankedCollector,
    VaultBM25F,
    count_matches,
    has_phrase,
    key_terms,
    length_totals,
)
from zettel.search.whoosh.schema import (
    INDEX_NAME,
    Storage,
    build_schema,
    check_segments,
    decode_positions,
)

#: From this many notes, a full build uses Whoosh's multi-process writer.
MULTIPROCESS_THRESHOLD = 2000
#: Whoosh's writers: segments as separate files (a compound segment is copied
#: into memory each time the index is opened: slower, and 5x the memory).
_WRITER = {"limitmb": 128, "compound": False}

#: Whoosh's files in a build folder (index name MAIN): tables of contents, the
#: files of segments (a column's file is named after its field: any word
#: characters), its write lock, its temporaries.
_TOC = re.compile(r"_MAIN_(\d+)\.toc")
FILES = FileKinds(data=re.compile(r"_MAIN_\d+\.toc|MAIN_[0-9a-z]+\.[\w.]+"),
                  locks=frozenset({"MAIN_WRITELOCK"}),
                  temporary=re.compile(r"_MAIN_\d+\.toc\.[\d.]+"),
                  temporary_folder=re.compile(r"[A-Za-z0-9_]+\.tmp"))

#: What reading a damaged index raises (truncated, garbled or missing files),
#: when raised by code that reads the index's files (`_from_reading`);
#: anything else is a bug and is not "recovered" from.
DAMAGE_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, AssertionError,
                 struct.error, zlib.error, pickle.UnpicklingError, index.IndexError)
#: The modules whose code reads the index's files.
_READING = ("whoosh.filedb.", "whoosh.codec.", "whoosh.columns", "whoosh.reading",
            "whoosh.index", "whoosh.formats", "whoosh.util.numlists", "whoosh.util.varints",
            "zettel.search.files", "zettel.search.state")


# ---------------------------------------------------------------- documents


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(_flatten(v) for v in value.values())
    if isinstance(value, list | tuple | set):
        return "\n".join(_flatten(v) for v in value)
    return "" if value is None else str(value)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    """Text that can be written as UTF-8: a lone surrogate (a file name that is
    not UTF-8 gives one to a title) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", value)


#: The longest field name (in UTF-8 bytes) a front-matter key gets: Whoosh
#: names a file after each field, and a file name has at most 255 bytes.
MAX_FIELD_BYTES = 200


def _own_field(name: str) -> bool:
    try:
        return len(name.encode("utf-8")) <= MAX_FIELD_BYTES
    except UnicodeEncodeError:  # a lone surrogate
        return False


def document(note: Note) -> dict[str, str]:
    """The Whoosh document of a note. Its path is kept as it is (surrogates
    included: the index's path field stores them); other values are `_text`.
    A key too long to name a file is searched with ``meta:`` and plain words only."""
    meta = {f"meta_{field_key(key)}": _flatten(value) for key, value in note.meta.items()
            if field_key(key)}
    if note.thumbnail:
        meta["meta_thumbnail"] = note.thumbnail
    tags, types, values = "\n".join(note.tags), "\n".join(note.types), "\n".join(meta.values())
    doc = {"path": note.path, "title": note.title, "aliases": "\n".join(note.aliases),
           "tag": tags, "type": types, "meta": values,
           "body": "\n".join((note.body, tags, types, values)),
           **{name: value for name, value in meta.items() if _own_field(name)}}
    if note.id:
        doc["id"] = note.id
    return {key: value if key == "path" else _text(value) for key, value in doc.items()
            if value}


# ---------------------------------------------------------------- the backend


def _from_reading(err: BaseException) -> bool:
    """Whether ``err`` was raised by code that reads the index's files (a
    damaged index), not by code that searches (a bug)."""
    tb = err.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame
    module = frame.f_globals.get("__name__", "")
    return module.startswith(_READING) or frame.f_code is decode_positions.__code__


def _unreadable(err: BaseException) -> str:
    return f"it is unreadable ({type(err).__name__}: {err})"


class WhooshBackend:
    """Whoosh, as `zettel.search.keeper.SearchIndex` uses it (`zettel.search.protocol.Backend`)."""

    files = FILES

    def check(self, folder: Path, state: EngineState, files: Iterable[str]) -> str | None:
        """Why the build in ``folder`` is not the one ``state`` records: another
        generation of the table of contents, or one the manifest does not list."""
        generation, lengths = state.get("generation"), state.get("lengths")
        if type(generation) is not int or not isinstance(lengths, dict) or not all(
                type(k) is str and type(v) is int for k, v in lengths.items()):
            return "its manifest is malformed (no generation or lengths of Whoosh's)"
        newest = max((int(m.group(1)) for m in map(_TOC.fullmatch, os.listdir(folder)) if m),
                     default=-1)
        if newest != generation or f"_MAIN_{newest}.toc" not in set(files):
            return "it does not match its manifest (an update was interrupted)"
        return None

    def open(self, folder: Path, state: EngineState) -> WhooshIndex:
        """Open the build in ``folder`` (`DamagedIndex` when its table of
        contents cannot be read or lists what zettel does not write)."""
        try:
            opened = Storage(str(folder)).open_index(INDEX_NAME)
            why = check_segments(opened)
        except DAMAGE_ERRORS as err:  # reading the table of contents, nothing else
            raise DamagedIndex(_unreadable(err)) from err
        if why:
            raise DamagedIndex(why)
        return WhooshIndex(opened, state)

    def build(self, folder: Path, notes: Iterable[Note], count: int,
              progress: Callable[[str, int, int], None], procs: int | None) -> WhooshIndex:
        """Index ``count`` notes into the empty ``folder`` (with Whoosh's
        multi-process writer from `MULTIPROCESS_THRESHOLD` notes, when it is safe
        to fork and ``procs`` allows) and open it."""
        built = Storage(str(folder)).create_index(build_schema(), INDEX_NAME)
        writer = built.writer(**_writer_options(count, procs))
        try:
            for done, note in enumerate(notes, 1):
                writer.add_document(**document(note))
                progress("indexing", done, count)
            progress("writing", 0, 0)
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):  # the error that stopped the build is raised
                writer.cancel()
            raise
        with built.reader() as reader:
            lengths = length_totals(reader, reader.all_doc_ids())
        return WhooshIndex(built, {"generation": built.latest_generation(), "lengths": lengths})

    def damage(self, err: BaseException) -> str | None:
        """Why ``err`` means a damaged index: one of `DAMAGE_ERRORS`, raised
        by code that reads the index's files; None for anything else."""
        if isinstance(err, QueryError | DamagedIndex) or not isinstance(err, DAMAGE_ERRORS):
            return None
        return _unreadable(err) if _from_reading(err) else None


def _writer_options(count: int, procs: int | None) -> dict[str, Any]:
    import multiprocessing  # noqa: PLC0415 - a search does not need it

    procs = procs or min(os.cpu_count() or 1, 4)
    forkable = (multiprocessing.get_start_method(allow_none=True) in (None, "fork")
                and os.name == "posix" and threading.active_count() == 1)
    if procs > 1 and count >= MULTIPROCESS_THRESHOLD and forkable:
        return {"procs": procs, "multisegment": True, **_WRITER}
    return dict(_WRITER)


# ---------------------------------------------------------------- an open index


class _Marks(highlight.Formatter):  # type: ignore[misc]
    """A Whoosh formatter that returns a `Snippet` instead of marked-up text."""

    def format(self, fragments: list[Any], replace: bool = False) -> Snippet:
        if not fragments:
            return Snippet("")
        text = fragments[0].text
        pieces: list[str] = []
        marks: list[tuple[int, int]] = []
        for fragment in sorted(fragments, key=lambda f: f.startchar):
            if pieces:
                pieces.append(" … ")
            at = fragment.startchar
            for token in sorted(fragment.matches, key=lambda t: t.startchar):
                if token.startchar < at:
                    continue
                pieces.append(squash(text[at:token.startchar]))
                start = sum(map(len, pieces))
                pieces.append(text[token.startchar:token.endchar])
                marks.append((start, start + token.endchar - token.startchar))
                at = token.endchar
            pieces.append(squash(text[at:fragment.endchar]))
        first = min((t.startchar for f in fragments for t in f.matches), default=None)
        line = text.count("\n", 0, first) if first is not None else None
        joined = "".join(pieces)
        lead = len(joined) - len(joined.lstrip())
        return Snippet(joined.strip(), tuple((a - lead, b - lead) for a, b in marks), line)


class WhooshIndex:
    """One build of the index, open (`zettel.search.protocol.OpenIndex`)."""

    def __init__(self, opened: Any, state: EngineState) -> None:
        self._index = opened
        self.state = state
        self._searcher: Any = None

    def close(self) -> None:
        """Release the searcher (files stay open otherwise)."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def update(self, removed: Iterable[str], notes: Iterable[Note]) -> None:
        """Drop the notes at ``removed``, (re)index ``notes``, commit, and keep
        the length totals those that exist now have."""
        self.close()
        removed, notes = list(removed), list(notes)
        paths = {note.path for note in notes}
        lengths = dict(self.state["lengths"])
        with self._index.reader() as reader:  # what goes away no longer counts
            length_totals(reader, _docnums(reader, {*removed, *paths}), -1, lengths)
        writer = self._index.writer(**_WRITER)
        try:
            for path in removed:
                writer.delete_by_term("path", path)
            for note in notes:
                writer.update_document(**document(note))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise
        with self._index.reader() as reader:
            length_totals(reader, _docnums(reader, paths), 1, lengths)
        self.state = {"generation": self._index.latest_generation(), "lengths": lengths}

    def _reader(self) -> Any:
        if self._searcher is None:
            self._searcher = self._index.searcher(weighting=VaultBM25F(self.state["lengths"]))
        return self._searcher

    def search(self, text: str, *, limit: int | None, snippets: bool, count: bool,
               read: Callable[[str], Note]) -> Results:
        """The notes matching ``text``, best first (then by path), with the
        number of matches in all unless ``count`` is False."""
        searcher = self._reader()
        query = parse_query(text, self._index.schema,
                            set(searcher.reader().indexed_field_names()))
        top = limit or max(1, searcher.doc_count_all())
        # A phrase is checked note by note either way: one pass that sees every
        # match counts them too. Otherwise the search skips what cannot reach
        # the top, and the count, when asked, comes from the posting lists.
        exact = count and has_phrase(query)
        collector = RankedCollector(limit=top, usequality=not exact, replace=0 if exact else 10)
        searcher.search_with_collector(query, collector)
        found = collector.results()
        found.highlighter = highlight.Highlighter(
            fragmenter=highlight.ContextFragmenter(maxchars=100, surround=40),
            formatter=_Marks(), order=highlight.FIRST)
        found.query_terms = functools.cache(found.query_terms)  # expanded once, not per hit
        total = None
        if count:
            seen_all = exact or len(collector.items) < top  # nothing was skipped
            total = collector.total if seen_all else count_matches(searcher, query)
        return Results([self._hit(hit, read if snippets else None) for hit in found], total)

    @staticmethod
    def _hit(hit: Any, read: Callable[[str], Note] | None) -> Hit:
        snippet = Snippet("")
        if read is not None:
            note = read(hit["path"])
            marked = hit.highlights("body", text=note.body, top=2)
            snippet = marked if isinstance(marked, Snippet) and marked.text else \
                leading_snippet(note.body)
            if snippet.line is not None:
                snippet = Snippet(snippet.text, snippet.marks, snippet.line + note.body_line)
        return Hit(hit["path"], hit.get("id"), hit["title"], hit.score, snippet)

    def related(self, path: str, body: str, *, limit: int) -> list[Hit]:
        """The notes closest in content to the note at ``path`` (its ``body``)."""
        searcher = self._reader()
        docnum = searcher.document_number(path=path)
        if docnum is None:
            return []
        terms = key_terms(searcher.reader(), "body", body, 12)
        if not terms:
            return []
        query = wq.Or([wq.Term("body", word, boost=weight) for word, weight in terms])
        collector = RankedCollector(limit=limit + 1)
        searcher.search_with_collector(query, collector)
        return [Hit(h["path"], h.get("id"), h["title"], h.score)
                for h in collector.results() if h.docnum != docnum][:limit]


def _docnums(reader: Any, paths: set[str]) -> list[int]:
    """The numbers of the (undeleted) notes at ``paths`` in ``reader``."""
    field = reader.schema["path"]
    keys = [field.to_bytes(path) for path in sorted(paths)]
    return [docnum for key in keys if ("path", key) in reader
            for docnum in reader.postings("path", key).all_ids()]
