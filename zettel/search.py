"""Full-text search: the one module that imports Whoosh.

`SearchIndex` keeps a Whoosh index of a vault in ``<vault>/.zettel/index/``
in step with its files: `SearchIndex.sync` reindexes only the notes added,
changed, renamed or deleted since the last sync (`zettel.index_state` works
out which). A missing, corrupt or incompatible index is rebuilt, with a
notice; while another process writes the index, this one searches it as it
is, with a notice. Text is analysed by `zettel.textfold` (case and accents
folded, plurals stemmed); ranking is BM25F, with titles weighted most. The
query language is in docs/search.md.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from itertools import accumulate
from pathlib import Path
from pickle import dumps
from typing import Any

from whoosh import fields, formats, highlight, index, matching, qparser
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.query.spans import Span
from whoosh.system import _INT_SIZE, pack_uint
from whoosh.util.filelock import FileLock

from zettel import index_state as state
from zettel.search_model import (
    Hit,
    IndexBusy,
    QueryError,
    Results,
    Snippet,
    SyncReport,
    check_balance,
    document,
    leading_snippet,
    squash,
)
from zettel.textfold import WORD, field_key, fold, term, term_positions
from zettel.vault import (
    file_digest,
    listing_fingerprint,
    open_vault,
    read_note,
    read_with_digest,
    scan_folder,
)

#: How long to wait for another process's write lock before searching as is.
LOCK_WAIT = 2.0
#: From this many notes, a full build uses Whoosh's multi-process writer.
MULTIPROCESS_THRESHOLD = 2000
#: The fields a query searches when it names none (``body`` also holds the
#: tags, types and other front-matter values, so one field covers them).
DEFAULT_FIELDS = ("title", "aliases", "body")
#: Query field names and their index field.
FIELD_NAMES = {"title": "title", "alias": "aliases", "aliases": "aliases", "tag": "tag",
               "tags": "tag", "type": "type", "types": "type", "id": "id", "path": "path",
               "body": "body", "meta": "meta"}

Progress = Callable[[str, int, int], None]

#: What reading a damaged index raises (truncated, garbled or missing files);
#: anything else is a bug and is not "recovered" from.
DAMAGE_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, AssertionError,
                 struct.error, zlib.error, pickle.UnpicklingError, index.IndexError)


# ---------------------------------------------------------------- analysis


class NoteTokenizer(Tokenizer):  # type: ignore[misc]
    """Whoosh tokenizer over `zettel.textfold`: words, folded and stemmed."""

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


class FastPositions(formats.Positions):  # type: ignore[misc]
    """Whoosh's positions format, with the analysis done in one pass over the
    text (the same terms `NoteTokenizer` gives, without a Token per word)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        if not isinstance(analyzer, NoteTokenizer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for text, places in term_positions(value).items():
            deltas, base = [], 0
            for place in places:
                deltas.append(place - base)
                base = place
            yield text, len(places), len(places) * boost, pack_uint(len(deltas)) + dumps(deltas, 2)

    def decode_positions(self, valuestring: bytes) -> list[int]:
        if not valuestring.endswith(b"."):  # the codec drops a pickle's final stop
            valuestring += b"."
        return list(accumulate(pickle.loads(valuestring[_INT_SIZE:])))


class NoteText(fields.TEXT):  # type: ignore[misc]
    """A text field analysed by `NoteTokenizer`, with positions for phrases."""

    def __init__(self, field_boost: float = 1.0, stored: bool = False) -> None:
        super().__init__(analyzer=NoteTokenizer(), stored=stored, field_boost=field_boost)
        self.format = FastPositions(field_boost=field_boost)


def schema() -> fields.Schema:
    """The index's fields; ``meta_<key>`` holds each other front-matter field."""
    values = {"analyzer": ValueTokenizer(), "phrase": False}
    built = fields.Schema(
        path=fields.ID(stored=True, unique=True, sortable=True),
        id=fields.ID(stored=True, sortable=True),
        title=NoteText(field_boost=3.0, stored=True), aliases=NoteText(field_boost=2.0),
        tag=fields.TEXT(field_boost=1.5, **values), type=fields.TEXT(field_boost=1.5, **values),
        meta=NoteText(), body=NoteText())
    built.add("meta_*", NoteText(), glob=True)
    return built


# ---------------------------------------------------------------- queries


def parse_query(text: str, schema_: fields.Schema, known_fields: set[str]) -> wq.Query:
    """Parse the query language of docs/search.md; raise `QueryError` when it is malformed.

    ``known_fields`` are the index fields that hold at least one term: naming
    a front-matter field no note has is an error, not an empty result.
    """
    text = text.strip()
    if not text:
        raise QueryError("the query is empty")
    check_balance(text)
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), schema_, group=qparser.AndGroup)
    parser.replace_plugin(qparser.FieldsPlugin(remove_unknown=False))
    parser.add_plugin(_FieldNames(known_fields))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-"))
    parsed = parser.parse(text)
    if parsed is wq.NullQuery:
        raise QueryError(f"'{text}' has no word to search for")
    return parsed.accept(_faster)


class ColumnPrefix(wq.Prefix):  # type: ignore[misc]
    """A prefix of ids or paths (``id:2019*``), found in one pass over the
    field's column instead of a union of one posting list per value (there
    are as many values as notes)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        prefix, deleted = self.text, reader.has_deletions()
        docs = [doc for doc, value in enumerate(reader.column_reader(self.fieldname))
                if value.startswith(prefix) and not (deleted and reader.is_deleted(doc))]
        if not docs:
            return matching.NullMatcher()
        return matching.ListMatcher(docs, all_weights=self.boost)


class AdjacentWords(wq.SpanNear2):  # type: ignore[misc]
    """Whoosh's ordered, slop-1 span query, with the adjacency test done on
    sets of positions instead of span objects (phrases are 3-4x faster)."""

    class SpanNear2Matcher(wq.SpanNear2.SpanNear2Matcher):  # type: ignore[misc]
        def _get_spans(self) -> list[Any]:
            starts = set(self.ms[0].value_as("positions"))
            for offset, later in enumerate(self.ms[1:], 1):
                starts.intersection_update(p - offset for p in later.value_as("positions"))
                if not starts:
                    return []
            last = len(self.ms) - 1
            return [Span(start, start + last) for start in sorted(starts)]


class Phrase(wq.Phrase):  # type: ignore[misc]
    """An exact phrase (slop 1) matched with `AdjacentWords`; others as Whoosh does."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if self.slop != 1 or self.fieldname not in searcher.schema:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)
        reader, terms = searcher.reader(), []
        for word in self.words:
            word = field.to_bytes(word)
            if (self.fieldname, word) not in reader:
                return matching.NullMatcher()
            terms.append(wq.Term(self.fieldname, word))
        found = AdjacentWords(terms, slop=1, ordered=True, mindist=1).matcher(searcher, context)
        return found if self.boost == 1.0 else matching.WrappingMatcher(found, boost=self.boost)


def _faster(query: wq.Query) -> wq.Query:
    """Swap in the faster equivalents of some Whoosh queries."""
    if type(query) is wq.Prefix and query.fieldname in ("id", "path"):
        return ColumnPrefix(query.fieldname, query.text, boost=query.boost)
    if type(query) is wq.Phrase:
        return Phrase(query.fieldname, query.words, slop=query.slop, boost=query.boost,
                      char_ranges=query.char_ranges)
    return query


class _FieldNames(qparser.Plugin):  # type: ignore[misc]
    """Map query field names to index fields: ``tags:`` is ``tag``, and any
    other name is a front-matter field (``kezako:`` searches ``meta_kezako``)."""

    def __init__(self, known: set[str]) -> None:
        self.known = known

    def filters(self, parser: qparser.QueryParser) -> list[tuple[Any, int]]:
        return [(self.rename, 50)]

    def rename(self, parser: qparser.QueryParser, group: Any) -> Any:
        for node in group:
            if isinstance(node, qparser.syntax.GroupNode):
                self.rename(parser, node)
            elif isinstance(node, qparser.syntax.FieldnameNode) and node.fieldname != "*":
                name = node.fieldname
                node.fieldname = FIELD_NAMES.get(name.casefold()) or f"meta_{field_key(name)}"
                if node.fieldname.startswith("meta_") and node.fieldname not in self.known:
                    others = sorted(k[5:] for k in self.known if k.startswith("meta_"))
                    raise QueryError(
                        f"no note has a field '{name}' (fields: {', '.join(sorted(FIELD_NAMES))}"
                        + (f"; front matter: {', '.join(others)}" if others else "")
                        + "); to search for the text itself, put it in quotes")
        return group


# ---------------------------------------------------------------- results


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


# ---------------------------------------------------------------- the index


class SearchIndex:
    """The full-text index of one vault. Call `sync` before searching.

    ``procs`` caps the processes of a full build (default: Whoosh's
    multi-process writer from `MULTIPROCESS_THRESHOLD` notes, when it is safe
    to fork). Notices for the user (rebuilds, a busy index) gather in
    ``notices``.
    """

    def __init__(self, vault: Path | str, *, procs: int | None = None) -> None:
        self.vault = Path(vault)
        self.root = state.index_root(self.vault)
        self.procs = procs
        self.notices: list[str] = []
        self._index: Any = None
        self._searcher: Any = None

    # -- keeping in step

    def sync(self, *, rebuild: bool = False, progress: Progress | None = None) -> SyncReport:
        """Bring the index up to date with the files, touching only what changed."""
        started, started_ns = time.perf_counter(), time.time_ns()
        self.close()
        listing = scan_folder(self.vault)
        fingerprint = listing_fingerprint(*listing)
        current, why = (None, None) if rebuild else self._open_current()
        if current and current[1].fingerprint == fingerprint:
            self._index = current[0]
            return SyncReport(notes=len(listing[1]), seconds=time.perf_counter() - started)
        with self._write_lock() as locked:
            if not locked:
                return self._read_only(current, started)
            if not rebuild and self._manifest_moved(current):  # another process synced
                current, why = self._open_current()
            if current is None:
                if why:
                    self.notices.append(f"rebuilt the search index: {why}")
                changes = self._rebuild(listing, started_ns, progress)
                report = SyncReport(changes, len(listing[1]), rebuilt=True)
            else:
                changes = self._update(current, listing, fingerprint, started_ns)
                report = SyncReport(changes, len(listing[1]))
        report.seconds = time.perf_counter() - started
        return report

    def _open_current(self) -> tuple[tuple[Any, state.Manifest] | None, str | None]:
        """The index in use and its manifest, or None and why it cannot be used
        (None and no reason when there is no index yet)."""
        folder = state.current_folder(self.root)
        if folder is None:
            return None, ("its pointer file is missing" if any(self.root.glob("build-*"))
                          else None)
        manifest, why = state.load_manifest(folder)
        if manifest is None:
            return None, why
        try:
            opened = index.open_dir(str(folder))
            if opened.latest_generation() != manifest.generation:
                return None, "it does not match its manifest (an update was interrupted)"
            return (opened, manifest), None
        except Exception as err:  # a damaged index fails in many ways: rebuild it
            return None, f"it is unreadable ({type(err).__name__}: {err})"

    def _manifest_moved(self, current: tuple[Any, state.Manifest] | None) -> bool:
        """Whether the manifest changed since `_open_current` read it."""
        if current is None:
            return True
        folder = state.current_folder(self.root)
        return folder is None or state.manifest_stamp(folder) != current[1].stamp

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[bool]:
        """Hold the vault's index lock, waiting up to `LOCK_WAIT`; yield whether held."""
        self.root.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# zettel's search index, rebuilt when missing\n*\n",
                              encoding="utf-8")
        lock = FileLock(str(self.root / "LOCK"))
        deadline = time.monotonic() + LOCK_WAIT
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.05)
        try:
            yield True
        finally:
            lock.release()

    def _read_only(self, current: tuple[Any, state.Manifest] | None,
                   started: float) -> SyncReport:
        if current is None:
            raise IndexBusy("another zettel process is building the search index; "
                            "try again when it is done")
        self._index = current[0]
        self.notices.append("another zettel process is updating the search index; "
                            "searching it as it is")
        return SyncReport(read_only=True, seconds=time.perf_counter() - started)

    def _rebuild(self, listing: Any, started_ns: int, progress: Progress | None) -> state.Changes:
        """Index every note into a new build folder, then switch to it."""
        _, entries, _ = listing
        report = progress or (lambda phase, done, total: None)
        folder = state.new_build_folder(self.root)
        writer = None
        try:
            vault = open_vault(self.vault, listing=listing,
                               progress=lambda done, total: report("reading", done, total))
            built = index.create_in(str(folder), schema())
            writer = built.writer(**self._writer_options(len(entries)))
            files: state.Files = {}
            for done, (entry, note) in enumerate(zip(entries, vault.notes, strict=True), 1):
                writer.add_document(**document(note))
                state.record(files, entry, file_digest(self.vault, entry), started_ns)
                report("indexing", done, len(entries))
            report("writing", 0, 0)
            writer.commit()
            writer = None
            state.save_manifest(folder, state.Manifest.of(built.latest_generation(),
                                                          listing_fingerprint(*listing), files))
            state.switch_to(self.root, folder)
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._index = built
        return state.Changes(added=[e.path for e in entries])

    def _writer_options(self, count: int) -> dict[str, Any]:
        procs = self.procs or min(os.cpu_count() or 1, 4)
        forkable = (multiprocessing.get_start_method(allow_none=True) in (None, "fork")
                    and os.name == "posix" and threading.active_count() == 1)
        if procs > 1 and count >= MULTIPROCESS_THRESHOLD and forkable:
            return {"procs": procs, "multisegment": True, "limitmb": 128}
        return {"limitmb": 128}

    def _update(self, current: tuple[Any, state.Manifest], listing: Any, fingerprint: str,
                started_ns: int) -> state.Changes:
        """Reindex what changed since the manifest, and record it."""
        opened, manifest = current
        _, entries, _ = listing
        read = [(entry, *read_with_digest(self.vault, entry.path))
                for entry in state.stale_entries(manifest.files, entries)]
        changes = state.classify(manifest.files, {e.path for e in entries}, read)
        notes = {entry.path: note for entry, note, _ in read}
        if changes.reindexed or changes.removed:
            writer = opened.writer()
            try:
                for path in changes.removed:
                    writer.delete_by_term("path", path)
                for path in changes.reindexed:
                    writer.update_document(**document(notes[path]))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
        files = dict(manifest.files)
        for path in changes.removed:
            files.pop(path, None)
        for entry, _, digest in read:
            state.record(files, entry, digest, started_ns)
        folder = state.current_folder(self.root)
        assert folder is not None
        state.save_manifest(folder, state.Manifest.of(opened.latest_generation(), fingerprint,
                                                      files))
        self._index = opened
        return changes

    # -- searching

    def search(self, text: str, *, limit: int | None = 10, snippets: bool = True,
               count: bool = True) -> Results:
        """The notes matching ``text`` (docs/search.md), best first, with the
        number of matches in all unless ``count`` is False (it costs a pass)."""
        query = parse_query(text, self._current_index().schema, self._fields())
        return self._recovering(lambda: self._search(query, limit, snippets, count))

    def related(self, path: str, *, limit: int = 10) -> list[Hit]:
        """The notes closest in content to the note at ``path``, linked or not."""
        body = read_note(self.vault, path).body
        return self._recovering(lambda: self._related(path, body, limit))

    def close(self) -> None:
        """Release the searcher (files stay open otherwise)."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def _current_index(self) -> Any:
        if self._index is None:
            raise RuntimeError("call sync() before searching")
        return self._index

    def _reader(self) -> Any:
        if self._searcher is None:
            self._searcher = self._current_index().searcher()
        return self._searcher

    def _fields(self) -> set[str]:
        return self._recovering(lambda: set(self._reader().reader().indexed_field_names()))

    def _recovering(self, action: Callable[[], Any]) -> Any:
        """Run a read of the index; if the index turns out damaged, rebuild it
        (with a notice) and run the read again."""
        try:
            return action()
        except QueryError:
            raise
        except DAMAGE_ERRORS as err:
            self.close()
            self._index = None
            self.root.mkdir(parents=True, exist_ok=True)
            with self._write_lock() as locked:
                if not locked:
                    raise IndexBusy("the search index is damaged and another zettel "
                                    "process is writing it; try again shortly") from err
                self.notices.append(f"rebuilt the search index: it is unreadable "
                                    f"({type(err).__name__}: {err})")
                self._rebuild(scan_folder(self.vault), time.time_ns(), None)
            return action()

    def _search(self, query: wq.Query, limit: int | None, snippets: bool,
                count: bool) -> Results:
        searcher = self._reader()
        found = searcher.search(query, limit=limit)
        found.highlighter = highlight.Highlighter(
            fragmenter=highlight.ContextFragmenter(maxchars=100, surround=40),
            formatter=_Marks(), order=highlight.FIRST)
        hits = []
        for hit in found:
            snippet = Snippet("")
            if snippets:
                note = read_note(self.vault, hit["path"])
                marked = hit.highlights("body", text=note.body, top=2)
                snippet = marked if isinstance(marked, Snippet) and marked.text else \
                    leading_snippet(note.body)
                if snippet.line is not None:
                    snippet = Snippet(snippet.text, snippet.marks, snippet.line + note.body_line)
            hits.append(Hit(hit["path"], hit.get("id"), hit["title"], hit.score, snippet))
        # The exact count needs a second pass over the matches (Whoosh skips
        # what cannot reach the top): only when asked.
        return Results(hits, len(found) if count else None)

    def _related(self, path: str, body: str, limit: int) -> list[Hit]:
        searcher = self._reader()
        docnum = searcher.document_number(path=path)
        if docnum is None:
            return []
        found = searcher.more_like(docnum, "body", text=body, top=limit, numterms=12)
        return [Hit(h["path"], h.get("id"), h["title"], h.score) for h in found]
