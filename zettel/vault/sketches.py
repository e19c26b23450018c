"""Sketches of the words of every note, kept in ``.zettel/cache``, so that
``zettel mentions NOTE`` reads only the notes that may mention NOTE.

A note's **sketch** is a Bloom filter of its words, of its pairs and of its
threes of adjacent words, folded as mentions are compared (`zettel.core.mentions`),
taken from the text that can hold a mention (code, links, URLs, tags left
out), plus the hashes of its distinct words. A name is looked for only in the
notes whose sketch may hold its word, its two words, or every three adjacent
words of it: a note that mentions it always passes; a few others pass by
chance (about one in 300) and are read for nothing. The distinct words tell
how many notes hold a word (`Sketches.notes_with`): for ``common`` names, and
for the rare words of a broken link's context.

Sketches are kept per file, by size and mtime like the parse cache: only the
notes added or changed since the last run are read (all of them, through the
parse cache, the first time). They are kept in three files of the cache
folder: the filters of all notes, grouped by size (`zettel.core.sketch.SIZES`)
so that a name is tested against all the filters of a size at once, and a
column at a time (`FILTERS_FILE`: of each size, byte 0 of every filter, then
byte 1...: a name reads a few columns, not the file); the hashes of each note's words
(`WORDS_FILE`, read only to update); and the memo (`MEMO_FILE`): sizes and
mtimes, the id, title and aliases of each note (a line of JSON, read when
asked for), the tables to find a note by name and to count words (unpickled
when first asked for). Both files start with a token the memo holds, so a
pair written by two processes at once is never taken for one. Any of them
missing, unreadable or from elsewhere (the memo is used only in the folder
that wrote it, `zettel.vault.cache`): every note is sketched again.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import stat
import time
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from zettel.core.mentions import name_key
from zettel.core.model import Note
from zettel.core.perf import paused_gc
from zettel.core.resolve import normalize
from zettel.core.sketch import Sketch, name_terms, places, sketch, term_hash
from zettel.vault import cache
from zettel.vault.scan import FileEntry, open_vault, read_bytes, read_note, scan_folder
from zettel.vault.write import atomic_write

MEMO_FILE = "sketches.pickle"
FILTERS_FILE = "sketches.filters"
WORDS_FILE = "sketches.words"
_TOKEN = 16  # bytes that tie the two files to their memo
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
#: Bumped when what a sketch holds, or how, changes (an older memo is rebuilt).
VERSION = "sketches/12"
#: Above this many notes to (re)sketch, they are taken from the parse cache.
_BULK = 200
_SIZE_MTIME, _PATH = itemgetter(1, 2), itemgetter(0)  # of a FileEntry


class Row(NamedTuple):
    """What a sketch remembers of a note besides its words: for finding it by name."""

    path: str
    id: str | None
    title: str
    aliases: tuple[str, ...]


class _Memo(NamedTuple):
    """What is saved, a row per note in the listing's (path) order: this in the
    memo, the filters and the word hashes in two files of their own beside it
    (`FILTERS_FILE`, `WORDS_FILE`), which start with the memo's ``token``."""

    paths: list[str]
    stats: bytes  # array('q'): size and mtime of each note
    rows: bytes  # a line of JSON per note: [id, title, aliases]
    rows_at: bytes  # array('I'): where each line starts, and the end
    classes: list[tuple[int, bytes, int, int]]  # filter size, its rows, where in the file
    words_at: bytes  # array('I'): where each note's word hashes are in their file
    shared: list[str]  # the names several notes have (`zettel.core.mentions.name_key`)
    counts: bytes  # pickled: notes holding each word (by hash)
    ids: bytes  # pickled: rows by id
    names: bytes  # pickled: rows by title, by alias
    token: bytes  # what the two files start with: they were written with this memo


def _memo(saved: Any) -> _Memo | None:
    """The memo as saved, if it has the shape written (else it is rebuilt)."""
    try:
        memo = _Memo(*saved)
        n = len(memo.paths)
        if not (isinstance(memo.paths, list) and len(memo.stats) == 16 * n
                and len(array("I", memo.rows_at)) == n + 1
                and len(array("I", memo.words_at)) == n + 1
                and sum(len(rows) for _, rows, _, _ in memo.classes) == 4 * n
                and all(width > 0 and _TOKEN <= start <= end and end - start == width * len(
                    rows) // 4 for width, rows, start, end in memo.classes)
                and all(isinstance(x, bytes) for x in (memo.stats, memo.rows, memo.counts,
                                                       memo.ids, memo.names, memo.token))):
            return None
    except (TypeError, ValueError):
        return None
    return memo


def _raw(root: Path, name: str, token: bytes, length: int | None = None) -> bytes | None:
    """The file ``name`` of the cache folder, if it starts with ``token`` (and has
    ``length`` bytes): written with the memo that holds that token."""
    try:
        data = read_bytes(cache.cache_dir(root), name)
    except OSError:
        return None
    if data[:_TOKEN] != token or (length is not None and len(data) != length):
        return None
    return data


class _Filters:
    """The filters file: its bytes in memory (just written), or the file open,
    read a column at a time (``os.pread``). Each size of filter is stored a
    column at a time: byte 0 of each filter of that size, then byte 1, ... so a
    name is tested by reading a few columns, never the whole file."""

    def __init__(self, data: bytes | None = None, fd: int | None = None) -> None:
        self._data = data
        self._fd = fd
        if fd is not None:
            weakref.finalize(self, os.close, fd)

    @classmethod
    def open(cls, root: Path, token: bytes, size: int) -> _Filters | None:
        """The file, if it is a regular file of ``size`` bytes starting with
        ``token``: written with the memo that holds it."""
        try:
            fd = os.open(cache.cache_dir(root) / FILTERS_FILE, _OPEN_FLAGS)
        except OSError:
            return None
        keep = False
        try:
            found = os.fstat(fd)
            if not (stat.S_ISREG(found.st_mode) and found.st_size == size):
                return None
            if hasattr(os, "pread"):
                keep = os.pread(fd, _TOKEN, 0) == token
                return cls(fd=fd) if keep else None
            data = b"".join(iter(lambda: os.read(fd, 1 << 20), b""))  # Windows: read it whole
            return cls(data=data) if data[:_TOKEN] == token and len(data) == size else None
        except OSError:
            return None
        finally:
            if not keep:
                os.close(fd)

    def read(self, at: int, size: int) -> bytes:
        if self._data is not None:
            return self._data[at : at + size]
        assert self._fd is not None
        found = os.pread(self._fd, size, at)
        return found if len(found) == size else bytes(size)  # cut short: as if empty

    def whole(self, size: int) -> bytes:
        return self._data if self._data is not None else self.read(0, size)


class Sketches:
    """The sketches of every note of a vault (see the module doc)."""

    def __init__(self, memo: _Memo, filters: _Filters,
                 words: bytes | Callable[[], bytes | None]) -> None:
        """``filters``: the filters file; ``words``: the word hashes file's
        content (or how to read it: only an update needs it)."""
        self._m = memo
        self._filters = filters
        self._words = words
        self._rows_at = array("I", memo.rows_at)
        self._tables: dict[str, Any] = {}
        self._shared = frozenset(memo.shared)

    def __len__(self) -> int:
        return len(self._m.paths)

    def _index(self, path: str) -> int | None:
        paths = self._m.paths  # in path order, as listed
        i = bisect_left(paths, path)
        return i if i < len(paths) and paths[i] == path else None

    def _row(self, i: int) -> Row:
        note_id, title, aliases = json.loads(self._m.rows[self._rows_at[i]:self._rows_at[i + 1]])
        return Row(self._m.paths[i], note_id, title, tuple(aliases))

    def row(self, path: str) -> Row | None:
        """The note at ``path`` (its id, title and aliases), None if there is none."""
        i = self._index(path)
        return None if i is None else self._row(i)

    def rows(self) -> dict[str, Row]:
        """Every note's path, id, title and aliases, by path."""
        return {row.path: row for row in map(self._row, range(len(self)))}

    def _table(self, name: str) -> Any:
        """A table of the memo (`_Memo.counts`, ``ids``, ``names``), unpickled
        when first asked for; empty when damaged (the memo is only a cache)."""
        found = self._tables.get(name)
        if found is None:
            try:
                found = cache.safe_loads(getattr(self._m, name))
            except Exception:  # noqa: BLE001 - any damage: no table
                found = None
            if not (isinstance(found, dict) or (isinstance(found, tuple) and len(found) == 2
                                                and all(isinstance(t, dict) for t in found))):
                found = {} if name != "names" else ({}, {})
            self._tables[name] = found
        return found

    def notes_with(self, word: str) -> int:
        """How many notes hold the (folded) word in their text (or about as many:
        two words may share a hash)."""
        return int(self._table("counts").get(term_hash(word)[0], 0))

    def shared(self, key: str) -> bool:
        """Whether several notes have the name ``key`` (`zettel.core.mentions.name_key`)."""
        return key in self._shared

    def named(self, query: str, extensions: Sequence[str]) -> tuple[str | None, list[Row]]:
        """The notes a link target ``query`` names, by the first step of
        resolution (`zettel.core.resolve`: id, path, file name, title, alias)
        that finds any, and that step; (None, []) when none does."""
        key, bare = normalize(query), normalize(_strip(query.lstrip("/"), extensions))
        for step, found in self._steps(key, bare, extensions):
            rows = [i for i in ([found] if isinstance(found, int) else found or ())
                    if isinstance(i, int) and 0 <= i < len(self)]
            if rows:
                return step, [self._row(i) for i in rows]
        return None, []

    def _steps(self, key: str, bare: str, extensions: Sequence[str]) -> Iterator[tuple[str, Any]]:
        yield "id", self._table("ids").get(key)
        paths = [normalize(_strip(p, extensions)) for p in self._m.paths]
        yield "path", [i for i, p in enumerate(paths) if p == bare]
        yield "stem", [i for i, p in enumerate(paths) if p.rsplit("/", 1)[-1] == bare]
        titles, aliases = self._table("names")
        yield "title", titles.get(key)
        yield "alias", aliases.get(key)

    def holds(self, path: str, word: str) -> bool:
        """Whether the note at ``path`` may hold the (folded) word in its text."""
        i = self._index(path)
        if i is None:
            return False
        for width, rows, start, end in self._m.classes:
            found = array("I", rows)
            if i in found:
                count, at = (end - start) // width, found.index(i)
                return all(self._filters.read(start + byte * count + at, 1)[0] & bit
                           for byte, bit in places([word], width * 8))
        return False

    def candidates(self, names: Iterable[Sequence[str]]) -> list[str]:
        """The notes whose text may hold one of the names (each given by its
        folded words), in path order: each name is tested against all the
        filters of a size at once, reading a column of bytes per bit tested."""
        wanted = [name_terms(found) for found in names if found]
        hits: set[int] = set()
        for width, rows, start, end in self._m.classes:
            count = (end - start) // width
            for terms in wanted:
                passed = -1
                for byte, bit in places(terms, width * 8):
                    column = self._filters.read(start + byte * count, count)
                    passed &= int.from_bytes(column.translate(_has_bit(bit)), "little")
                    if not passed:
                        break
                if passed > 0:
                    found, numbers = passed.to_bytes(count, "little"), array("I", rows)
                    at = found.find(1)
                    while at != -1:
                        hits.add(numbers[at])
                        at = found.find(1, at + 1)
        return [self._m.paths[i] for i in sorted(hits)]

    def stored(self) -> Iterator[tuple[int, Sketch]] | None:
        """Every note's row number and sketch, as stored; None when the word
        hashes cannot be read (then every note is sketched again)."""
        if callable(self._words):
            self._words = self._words() or b""
        words, words_at = self._words, array("I", self._m.words_at)
        if len(words) != _TOKEN + (words_at[-1] if words_at else 0):
            return None
        filters = self._filters.whole(_end(self._m))
        return ((i, Sketch(filters[start + j : end : (end - start) // width],
                           words[_TOKEN + words_at[i] : _TOKEN + words_at[i + 1]]))
                for width, rows, start, end in self._m.classes
                for j, i in enumerate(array("I", rows)))


@functools.cache
def _has_bit(bit: int) -> bytes:
    """The table turning a byte into 1 when it has ``bit``, else 0 (`bytes.translate`)."""
    return bytes(1 if x & bit else 0 for x in range(256))


def _end(memo: _Memo) -> int:
    """The size of the filters file of ``memo``."""
    return max((end for _, _, _, end in memo.classes), default=_TOKEN)


def _strip(path: str, extensions: Sequence[str]) -> str:
    """``path`` without a note extension (as resolution compares paths)."""
    stem, dot, ext = path.rpartition(".")
    return stem if dot and stem and ext.lower() in extensions else path


def load_sketches(root: Path | str, listing: Sequence[FileEntry] | None = None
                  ) -> tuple[Sketches, tuple[str, ...]]:
    """The sketches of the vault at ``root`` (its note files ``listing``, as
    `zettel.vault.scan.scan_folder` lists them), brought up to date, and notices
    for the user. Raises what `scan_folder` raises."""
    root = Path(root)
    started_ns = time.time_ns()
    if listing is None:
        listing = scan_folder(root)[1]
    with paused_gc():
        saved = _memo(cache.load_memo(root, MEMO_FILE, VERSION))
        filters = _Filters.open(root, saved.token, _end(saved)) if saved else None
        old = None
        if saved is not None and filters is not None:
            old = Sketches(saved, filters, lambda: _raw(root, WORDS_FILE, saved.token))
            stats = array("q", chain.from_iterable(map(_SIZE_MTIME, listing))).tobytes()
            if saved.stats == stats and saved.paths == list(map(_PATH, listing)):
                return old, ()
        memo, data, words = _update(root, old, listing, started_ns)
    notice = _save(root, memo, data, words)
    return Sketches(memo, _Filters(data), words), (notice,) if notice else ()


def _save(root: Path, memo: _Memo, filters: bytes, words: bytes) -> str | None:
    """Write the two files, then the memo that names them (a notice if it fails)."""
    try:
        folder = cache.cache_dir(root, create=True)
        for name, data in ((FILTERS_FILE, filters), (WORDS_FILE, words)):
            atomic_write(folder / name, data, mode=cache.CACHE_MODE, durable=False)
    except OSError as err:
        return f"sketches not written ({err.strerror or err}); the next run makes them again"
    return cache.save_memo(root, MEMO_FILE, VERSION, tuple(memo))


def _update(root: Path, saved: Sketches | None, listing: Sequence[FileEntry],
            started_ns: int) -> tuple[_Memo, bytes, bytes]:
    """The memo for ``listing``: the saved sketches kept where the file did not
    change, the others made again."""
    kept: dict[str, tuple[Row, Sketch]] = {}
    counts: dict[int, int] = {}
    stored = saved.stored() if saved is not None else None
    if saved is not None and stored is not None:
        counts = dict(saved._table("counts"))
        old = saved._m
        now = {e.path: (e.size, e.mtime_ns) for e in listing}
        stats = array("q", old.stats)
        for i, found in stored:
            path = old.paths[i]
            if now.get(path) == (stats[2 * i], stats[2 * i + 1]) and stats[2 * i] >= 0:
                kept[path] = (saved._row(i), found)
            else:
                _count(counts, found.words, -1)
    stale = [e for e in listing if e.path not in kept]
    notes: list[tuple[Row, Sketch, int]] = []
    made = iter(_read(root, stale))
    for entry in listing:
        if entry.path in kept:
            row, found = kept[entry.path]
            notes.append((row, found, entry.size))
            continue
        note = next(made)
        found = sketch(note)
        _count(counts, found.words, 1)
        notes.append((Row(entry.path, note.id, note.title, note.aliases), found,
                      cache.racy_size(entry.size, entry.mtime_ns, started_ns)))
    return _pack(listing, notes, counts)


def _pack(listing: Sequence[FileEntry], notes: list[tuple[Row, Sketch, int]],
          counts: dict[int, int]) -> tuple[_Memo, bytes, bytes]:
    """The memo of ``notes`` (row, sketch, size to record) of ``listing``, and the
    contents of its two files."""
    lines = [json.dumps([r.id, r.title, list(r.aliases)]).encode() for r, _, _ in notes]
    by_width: dict[int, tuple[array[int], list[bytes]]] = {}
    for i, (_, found, _) in enumerate(notes):
        rows, blooms = by_width.setdefault(len(found.bloom), (array("I"), []))
        rows.append(i)
        blooms.append(found.bloom)
    token = os.urandom(_TOKEN)
    pieces, classes, at = [token], [], _TOKEN
    for width, (rows, blooms) in sorted(by_width.items()):
        filters = b"".join(blooms)  # then a column at a time: byte 0 of each, byte 1, ...
        pieces += [filters[byte::width] for byte in range(width)]
        classes.append((width, rows.tobytes(), at, at + len(filters)))
        at += len(filters)
    ids: dict[str, Any] = {}
    titles: dict[str, Any] = {}
    aliases: dict[str, Any] = {}
    names: dict[str, int] = {}
    for i, (row, _, _) in enumerate(notes):
        if row.id:
            _file(ids, normalize(row.id), i)
        _file(titles, normalize(row.title), i)
        for alias in dict.fromkeys(map(normalize, row.aliases)):
            _file(aliases, alias, i)
        for key in {name_key(name) for name in (row.title, *row.aliases)}:
            names[key] = names.get(key, 0) + 1
    memo = _Memo(
        [e.path for e in listing],
        array("q", [n for e, (_, _, size) in zip(listing, notes, strict=True)
                    for n in (size, e.mtime_ns)]).tobytes(),
        b"".join(lines), _offsets(lines), classes,
        _offsets([found.words for _, found, _ in notes]),
        sorted(key for key, n in names.items() if n > 1),
        pickle.dumps(counts, protocol=5), pickle.dumps(ids, protocol=5),
        pickle.dumps((titles, aliases), protocol=5), token)
    return memo, b"".join(pieces), token + b"".join(found.words for _, found, _ in notes)


def _offsets(pieces: list[bytes]) -> bytes:
    at = array("I", [0])
    total = 0
    for piece in pieces:
        total += len(piece)
        at.append(total)
    return at.tobytes()


def _file(table: dict[str, Any], key: str, row: int) -> None:
    """File ``row`` under ``key``: an int while it is the only one (quick to load)."""
    found = table.get(key)
    if found is None:
        table[key] = row
    elif isinstance(found, int):
        table[key] = [found, row]
    else:
        found.append(row)


def _count(counts: dict[int, int], hashes: bytes, by: int) -> None:
    for value in array("I", hashes):
        left = counts.get(value, 0) + by
        if left > 0:
            counts[value] = left
        else:
            counts.pop(value, None)


def _read(root: Path, stale: list[FileEntry]) -> Iterator[Note]:
    """The notes of ``stale``, in order: from the parse cache when there are many."""
    if len(stale) <= _BULK:
        return (read_note(root, entry.path) for entry in stale)
    wanted = {entry.path for entry in stale}
    notes = {note.path: note for note in open_vault(root).notes if note.path in wanted}
    return (notes.get(entry.path) or read_note(root, entry.path) for entry in stale)
