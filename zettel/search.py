"""Full-text search: a Whoosh index of a vault, kept in step with its files.

`SearchIndex` keeps a Whoosh index of a vault in ``<vault>/.zettel/index/``
in step with its files: `SearchIndex.sync` reindexes only the notes added,
changed, renamed or deleted since the last sync (`zettel.index_state` works
out which). A missing, corrupt or incompatible index is rebuilt, with a
notice; while another process writes the index, this one searches it as it
is, with a notice. Text is analysed by `zettel.textfold` (case and accents
folded, plurals stemmed); ranking is BM25F, with titles weighted most, and
the same whatever the index's layout (`zettel.search_rank`). Queries
(docs/search.md) are parsed by `zettel.search_model.parse` and turned into
Whoosh queries by `zettel.search_query`.

The index is inside the vault, which may come from someone else, so nothing
in it is trusted (`zettel.search_schema`): every pickle Whoosh reads goes
through a whitelist, the schema is never read from disk, the segments a
table of contents lists are checked, and only files the manifest lists,
unchanged since zettel wrote them, are read at all.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import shutil
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import zettel.search_imports  # noqa: F401 - first: Whoosh without what zettel does not use

# isort: split
from whoosh import highlight, index
from whoosh import query as wq

from zettel import index_state as state
from zettel.index_files import hold_lock, is_own_folder
from zettel.search_model import (
    Hit,
    IndexBusy,
    QueryError,
    Results,
    Snippet,
    SyncReport,
    document,
    leading_snippet,
    squash,
)
from zettel.search_query import DEFAULT_FIELDS, FIELD_NAMES, parse_query
from zettel.search_rank import (
    RankedCollector,
    VaultBM25F,
    count_matches,
    has_phrase,
    key_terms,
    length_totals,
)
from zettel.search_schema import (
    INDEX_NAME,
    NoteTokenizer,
    Storage,
    build_schema,
    check_segments,
    decode_positions,
)
from zettel.vault import (
    file_digest,
    listing_fingerprint,
    open_vault,
    read_note,
    read_with_digest,
    scan_folder,
)

__all__ = ["DEFAULT_FIELDS", "FIELD_NAMES", "Hit", "IndexBusy", "NoteTokenizer", "QueryError",
           "Results", "SearchIndex", "SyncReport", "parse_query"]

#: How long to wait for another process's write lock before searching as is.
LOCK_WAIT = 2.0
#: From this many notes, a full build uses Whoosh's multi-process writer.
MULTIPROCESS_THRESHOLD = 2000

Progress = Callable[[str, int, int], None]

#: Whoosh's writers: segments as separate files (a compound segment is copied
#: into memory each time the index is opened: slower, and 5x the memory).
_WRITER = {"limitmb": 128, "compound": False}

#: What reading a damaged index raises (truncated, garbled or missing files),
#: when raised by code that reads the index's files (`_from_reading`);
#: anything else is a bug and is not "recovered" from.
DAMAGE_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, AssertionError,
                 struct.error, zlib.error, pickle.UnpicklingError, index.IndexError)
#: The modules whose code reads the index's files.
_READING = ("whoosh.filedb.", "whoosh.codec.", "whoosh.columns", "whoosh.reading",
            "whoosh.index", "whoosh.formats", "whoosh.util.numlists", "whoosh.util.varints",
            "zettel.index_files", "zettel.index_state")


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


# ---------------------------------------------------------------- the index


class SearchIndex:
    """The full-text index of one vault. Call `sync` before searching.

    ``procs`` caps the processes of a full build (default: Whoosh's
    multi-process writer from `MULTIPROCESS_THRESHOLD` notes, when it is safe
    to fork). Notices for the user (rebuilds, a busy index) gather in
    ``notices``. A ``.zettel`` or ``.zettel/index`` that is a link, not a
    folder, or another user's raises `zettel.statedir.UnsafeStateDir`.
    """

    def __init__(self, vault: Path | str, *, procs: int | None = None) -> None:
        self.vault = Path(vault)
        self.root = state.index_root(self.vault)
        self.procs = procs
        self.notices: list[str] = []
        self._index: Any = None
        self._manifest: state.Manifest | None = None
        self._searcher: Any = None

    # -- keeping in step

    def sync(self, *, rebuild: bool = False, progress: Progress | None = None) -> SyncReport:
        """Bring the index up to date with the files, touching only what changed."""
        started, started_ns = time.perf_counter(), time.time_ns()
        self.close()
        listing = scan_folder(self.vault)
        fingerprint = listing_fingerprint(*listing)
        self.root = state.checked_root(self.vault)
        current, why = (None, None) if rebuild else self._open_current()
        if current and current[1].fingerprint == fingerprint:
            self._use(current)
            self._tidy(current)
            return SyncReport(notes=len(listing[1]), seconds=time.perf_counter() - started)
        self.root = state.checked_root(self.vault, create=True)
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
            self._clean_up()
        report.seconds = time.perf_counter() - started
        return report

    def _open_current(self) -> tuple[tuple[Any, state.Manifest] | None, str | None]:
        """The index in use and its manifest, or None and why it cannot be used
        (None and no reason when there is no index yet)."""
        folder = state.current_folder(self.root)
        if folder is None:
            try:
                builds = any(state.BUILD.fullmatch(name) for name in os.listdir(self.root))
            except OSError:
                builds = False
            return None, "its pointer file is missing" if builds else None
        if not is_own_folder(folder):
            return None, f"{folder.name} is not a folder zettel made"
        manifest, why = state.load_manifest(folder)
        if manifest is None:
            return None, why
        why = state.files_differ(folder, manifest)
        if why:
            return None, why
        try:
            opened = Storage(str(folder)).open_index(INDEX_NAME)
            why = check_segments(opened)
        except DAMAGE_ERRORS as err:  # reading the table of contents, nothing else
            why = f"it is unreadable ({type(err).__name__}: {err})"
        return (None, why) if why else ((opened, manifest), None)

    def _use(self, current: tuple[Any, state.Manifest]) -> None:
        self._index, self._manifest = current

    def _manifest_moved(self, current: tuple[Any, state.Manifest] | None) -> bool:
        """Whether the manifest changed since `_open_current` read it."""
        if current is None:
            return True
        folder = state.current_folder(self.root)
        return folder is None or state.manifest_stamp(folder) != current[1].stamp

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[bool]:
        """Hold the vault's index lock, waiting up to `LOCK_WAIT`; yield whether held."""
        with hold_lock(self.root / state.LOCK, LOCK_WAIT) as held:
            yield held

    def _tidy(self, current: tuple[Any, state.Manifest]) -> None:
        """Delete what killed builds left, if anything, when no other process
        holds the lock (never waiting for it)."""
        folder = state.current_folder(self.root)
        if folder is None or not state.leftovers(self.root, folder, current[1].index_files):
            return
        with hold_lock(self.root / state.LOCK, 0) as locked:
            if locked:
                self._clean_up()

    def _clean_up(self) -> None:
        """Delete leftovers (the lock is held)."""
        folder = state.current_folder(self.root)
        manifest = state.load_manifest(folder)[0] if folder else None
        stamps = manifest.index_files if manifest else None
        self.notices.extend(state.clean_up(self.root, folder, stamps))

    def _read_only(self, current: tuple[Any, state.Manifest] | None,
                   started: float) -> SyncReport:
        if current is None:
            raise IndexBusy("another zettel process is building the search index; "
                            "try again when it is done")
        self._use(current)
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
            built = Storage(str(folder)).create_index(build_schema(), INDEX_NAME)
            writer = built.writer(**self._writer_options(len(entries)))
            files: state.Files = {}
            for done, (entry, note) in enumerate(zip(entries, vault.notes, strict=True), 1):
                writer.add_document(**document(note))
                state.record(files, entry, file_digest(self.vault, entry), started_ns)
                report("indexing", done, len(entries))
            report("writing", 0, 0)
            writer.commit()
            writer = None
            with built.reader() as reader:
                lengths = length_totals(reader, reader.all_doc_ids())
            manifest = state.Manifest.of(built.latest_generation(),
                                         listing_fingerprint(*listing), files, lengths)
            state.save_manifest(folder, manifest)
            state.switch_to(self.root, folder)
        except BaseException:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._use((built, manifest))
        return state.Changes(added=[e.path for e in entries])

    def _writer_options(self, count: int) -> dict[str, Any]:
        import multiprocessing  # noqa: PLC0415 - a search does not need it

        procs = self.procs or min(os.cpu_count() or 1, 4)
        forkable = (multiprocessing.get_start_method(allow_none=True) in (None, "fork")
                    and os.name == "posix" and threading.active_count() == 1)
        if procs > 1 and count >= MULTIPROCESS_THRESHOLD and forkable:
            return {"procs": procs, "multisegment": True, **_WRITER}
        return dict(_WRITER)

    def _update(self, current: tuple[Any, state.Manifest], listing: Any, fingerprint: str,
                started_ns: int) -> state.Changes:
        """Reindex what changed since the manifest, and record it."""
        opened, manifest = current
        _, entries, _ = listing
        read = [(entry, *read_with_digest(self.vault, entry.path))
                for entry in state.stale_entries(manifest.files, entries)]
        changes = state.classify(manifest.files, {e.path for e in entries}, read)
        notes = {entry.path: note for entry, note, _ in read}
        lengths = dict(manifest.lengths)
        if changes.reindexed or changes.removed:
            with opened.reader() as reader:  # what goes away no longer counts
                length_totals(reader, _docnums(reader, {*changes.removed, *changes.reindexed}),
                              -1, lengths)
            writer = opened.writer(**_WRITER)
            try:
                for path in changes.removed:
                    writer.delete_by_term("path", path)
                for path in changes.reindexed:
                    writer.update_document(**document(notes[path]))
                writer.commit()
            except BaseException:
                writer.cancel()
                raise
            with opened.reader() as reader:
                length_totals(reader, _docnums(reader, set(changes.reindexed)), 1, lengths)
        files = dict(manifest.files)
        for path in changes.removed:
            files.pop(path, None)
        for entry, _, digest in read:
            state.record(files, entry, digest, started_ns)
        folder = state.current_folder(self.root)
        assert folder is not None
        updated = state.Manifest.of(opened.latest_generation(), fingerprint, files, lengths)
        state.save_manifest(folder, updated)
        self._use((opened, updated))
        return changes

    # -- searching

    def search(self, text: str, *, limit: int | None = 10, snippets: bool = True,
               count: bool = True) -> Results:
        """The notes matching ``text`` (docs/search.md), best first (then by
        path), with the number of matches in all unless ``count`` is False
        (it costs a pass)."""
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
            lengths = self._manifest.lengths if self._manifest else {}
            self._searcher = self._current_index().searcher(weighting=VaultBM25F(lengths))
        return self._searcher

    def _fields(self) -> set[str]:
        return self._recovering(lambda: set(self._reader().reader().indexed_field_names()))

    def _recovering(self, action: Callable[[], Any]) -> Any:
        """Run a read of the index; if reading its files fails (a damaged
        index), rebuild it (with a notice) and run the read again."""
        try:
            return action()
        except DAMAGE_ERRORS as err:
            if isinstance(err, QueryError) or not _from_reading(err):
                raise
            self.close()
            self._index = None
            self.root = state.checked_root(self.vault, create=True)
            with self._write_lock() as locked:
                if not locked:
                    raise IndexBusy("the search index is damaged and another zettel "
                                    "process is writing it; try again shortly") from err
                self.notices.append(f"rebuilt the search index: it is unreadable "
                                    f"({type(err).__name__}: {err})")
                self._rebuild(scan_folder(self.vault), time.time_ns(), None)
                self._clean_up()
            return action()

    def _search(self, query: wq.Query, limit: int | None, snippets: bool,
                count: bool) -> Results:
        searcher = self._reader()
        top = limit or max(1, searcher.doc_count_all())
        # A phrase is checked note by note either way: one pass that sees every
        # match counts them too. Otherwise the search skips what cannot reach
        # the top, and the count, when asked, comes from the posting lists.
        exact = count and has_phrase(query)
        collector = RankedCollector(limit=top, usequality=not exact, replace=0 if exact else 10)
        searcher.search_with_collector(query, collector)
        found = collector.results()
        total = None
        if count:
            seen_all = exact or len(collector.items) < top  # nothing was skipped
            total = collector.total if seen_all else count_matches(searcher, query)
        found.query_terms = functools.cache(found.query_terms)  # expanded once, not per hit
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
        return Results(hits, total)

    def _related(self, path: str, body: str, limit: int) -> list[Hit]:
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
