"""Sketches of the words of every note, kept in ``.zettel/cache``, so that
``zettel mentions NOTE`` reads only the notes that may mention NOTE.

A note's **sketch** is a Bloom filter of its words and of its pairs of
adjacent words, folded as mentions are compared (`zettel.core.mentions`),
taken from the text that can hold a mention (code, links, URLs, tags left
out), plus the hashes of its distinct words. A name is looked for only in the
notes whose sketch may hold its word (a one-word name) or every pair of its
adjacent words: a note that mentions it always passes; a few others pass by
chance (about one in 400 for a two-word name) and are read for nothing. The
distinct words tell how many notes hold a word (`Sketches.notes_with`): for
``common`` names, and for the rare words of a broken link's context.

Sketches are kept per file, by size and mtime like the parse cache: only the
notes added or changed since the last run are read (all of them, through the
parse cache, the first time). The memo is stored as a few columns (the filters
of all notes as one string of bytes), so loading it costs little more than
reading it; it is rebuilt when missing or unreadable, and used only in the
folder that wrote it (`zettel.vault.cache`).
"""

from __future__ import annotations

import time
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from zettel.core.mentions import mention_text, words
from zettel.core.model import Note
from zettel.core.perf import paused_gc
from zettel.vault import cache
from zettel.vault.scan import FileEntry, open_vault, read_note, scan_folder

MEMO_FILE = "sketches.pickle"
#: Bumped when what a sketch holds, or how, changes (an older memo is rebuilt).
VERSION = "sketches/2"
#: Bits of the filter per word or pair of words, and bits set for each: about one
#: false pass in 400 per pair looked for.
BITS_PER_TERM = 16
HASHES = 4
_MIN_BITS = 256
#: Above this many notes to (re)sketch, they are taken from the parse cache.
_BULK = 200
_HASHED_UP_TO = 500_000
_hashed: dict[str, tuple[int, int]] = {}


class Row(NamedTuple):
    """What a sketch remembers of a note besides its words: for finding it by name."""

    path: str
    id: str | None
    title: str
    aliases: tuple[str, ...]


def _hash(term: str) -> tuple[int, int]:
    """Two hashes of a term (the same in every process), remembered."""
    found = _hashed.get(term)
    if found is None:
        if len(_hashed) >= _HASHED_UP_TO:
            _hashed.clear()
        data = term.encode("utf-8", "surrogatepass")
        found = _hashed[term] = (zlib.crc32(data), zlib.crc32(data, 0x9E3779B9) | 1)
    return found


def _bits_for(count: int) -> int:
    bits = _MIN_BITS
    while bits < count * BITS_PER_TERM:
        bits *= 2
    return bits


def _positions(term: str, bits: int) -> Iterator[int]:
    first, step = _hash(term)
    mask = bits - 1
    return ((first + i * step) & mask for i in range(HASHES))


def name_terms(name_words: Sequence[str]) -> set[str]:
    """What a note must hold to mention a name of these words: the word, or every
    pair of adjacent words (joined by a space)."""
    if len(name_words) == 1:
        return {name_words[0]}
    return {f"{a} {b}" for a, b in zip(name_words, name_words[1:], strict=False)}


def sketch(note: Note) -> tuple[bytes, bytes]:
    """A note's filter and the hashes of its distinct words (``array('I')``)."""
    found = words(mention_text(note, code=True))
    distinct = set(found)
    terms = distinct | {f"{a} {b}" for a, b in zip(found, found[1:], strict=False)}
    bits = _bits_for(len(terms))
    buffer = bytearray(bits // 8)
    mask = bits - 1
    for term in terms:
        first, step = _hash(term)
        for i in range(HASHES):
            at = (first + i * step) & mask
            buffer[at >> 3] |= 1 << (at & 7)
    return bytes(buffer), array("I", sorted({_hash(word)[0] for word in distinct})).tobytes()


class _Columns(NamedTuple):
    """The memo: a row per note, in path order, as columns."""

    paths: list[str]
    stats: array[int]  # size, mtime of each note, one after the other
    rows: list[tuple[str | None, str, tuple[str, ...]]]  # id, title, aliases
    blooms: bytes  # every filter, one after the other
    bloom_at: array[int]  # where each filter starts (and the end, last)
    words: bytes  # every note's word hashes
    words_at: array[int]
    counts: dict[int, int]  # word hash: notes holding it


def _columns(saved: Any) -> _Columns | None:
    """The memo as saved, if it has the shape written (else it is rebuilt)."""
    try:
        paths, stats, rows, blooms, bloom_at, found, words_at, counts = saved
        columns = _Columns(paths, array("q", stats), rows, blooms, array("I", bloom_at), found,
                           array("I", words_at), counts)
    except (TypeError, ValueError):
        return None
    n = len(columns.paths)
    if not (isinstance(paths, list) and isinstance(rows, list) and len(rows) == n
            and len(columns.stats) == 2 * n and len(columns.bloom_at) == n + 1
            and len(columns.words_at) == n + 1 and isinstance(counts, dict)
            and isinstance(blooms, bytes) and isinstance(found, bytes)
            and (n == 0 or (columns.bloom_at[-1] == len(blooms)
                            and columns.words_at[-1] == len(found)))):
        return None
    return columns


class Sketches:
    """The sketches of every note of a vault (see the module doc)."""

    def __init__(self, columns: _Columns) -> None:
        self._c = columns
        self._where: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self._c.paths)

    def rows(self) -> dict[str, Row]:
        """Every note's path, id, title and aliases, by path."""
        return {path: Row(path, *row) for path, row in zip(self._c.paths, self._c.rows,
                                                           strict=True)}

    def notes_with(self, word: str) -> int:
        """How many notes hold the (folded) word in their text (or about as many:
        two words may share a hash)."""
        return self._c.counts.get(_hash(word)[0], 0)

    def holds(self, path: str, word: str) -> bool:
        """Whether the note at ``path`` may hold the (folded) word in its text."""
        if self._where is None:
            self._where = {p: i for i, p in enumerate(self._c.paths)}
        i = self._where.get(path)
        if i is None:
            return False
        start, end = self._c.bloom_at[i], self._c.bloom_at[i + 1]
        return all(self._c.blooms[start + byte] & bit
                   for byte, bit in _places([word], (end - start) * 8))

    def candidates(self, names: Iterable[Sequence[str]]) -> list[str]:
        """The notes whose text may hold one of the names (each given by its
        folded words), in path order."""
        wanted = [name_terms(found) for found in names if found]
        blooms, at = self._c.blooms, self._c.bloom_at
        places: dict[int, list[list[tuple[int, int]]]] = {}  # size: bytes and bits to test
        found = []
        for i, path in enumerate(self._c.paths):
            start = at[i]
            size = at[i + 1] - start
            tests = places.get(size)
            if tests is None:
                tests = places[size] = [_places(terms, size * 8) for terms in wanted]
            for test in tests:
                for byte, bit in test:
                    if not blooms[start + byte] & bit:
                        break
                else:
                    found.append(path)
                    break
        return found


def _places(terms: Iterable[str], bits: int) -> list[tuple[int, int]]:
    """The (byte, bit mask) a filter of ``bits`` bits has set when it holds ``terms``."""
    return sorted({(at >> 3, 1 << (at & 7)) for term in terms for at in _positions(term, bits)})


def _slices(blob: bytes, at: array[int]) -> list[bytes]:
    return [blob[at[i] : at[i + 1]] for i in range(len(at) - 1)]


def _count(counts: dict[int, int], hashes: bytes, by: int) -> None:
    for value in array("I", hashes):
        left = counts.get(value, 0) + by
        if left > 0:
            counts[value] = left
        else:
            counts.pop(value, None)


def _offsets(pieces: list[bytes]) -> array[int]:
    at = array("I", [0])
    total = 0
    for piece in pieces:
        total += len(piece)
        at.append(total)
    return at


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
        saved = _columns(cache.load_memo(root, MEMO_FILE, VERSION))
        if saved is not None and len(saved.paths) == len(listing) and all(
                entry.path == path and entry.size == saved.stats[2 * i]
                and entry.mtime_ns == saved.stats[2 * i + 1]
                for i, (entry, path) in enumerate(zip(listing, saved.paths, strict=True))):
            return Sketches(saved), ()
        columns = _update(root, saved, listing, started_ns)
    c = columns
    notice = cache.save_memo(root, MEMO_FILE, VERSION, (
        c.paths, c.stats.tobytes(), c.rows, c.blooms, c.bloom_at.tobytes(), c.words,
        c.words_at.tobytes(), c.counts))
    return Sketches(columns), (notice,) if notice else ()


def _update(root: Path, saved: _Columns | None, listing: Sequence[FileEntry],
            started_ns: int) -> _Columns:
    """The columns for ``listing``: the saved ones kept where the file did not
    change, the others sketched again."""
    old: dict[str, int] = {}
    counts: dict[int, int] = {}
    blooms: list[bytes] = []
    found: list[bytes] = []
    if saved is not None:
        old = {path: i for i, path in enumerate(saved.paths)}
        blooms, found, counts = (_slices(saved.blooms, saved.bloom_at),
                                 _slices(saved.words, saved.words_at), saved.counts)
    keep: list[int | None] = []
    for entry in listing:
        i = old.pop(entry.path, None)
        if i is not None and (saved is None or entry.size < 0 or (entry.size, entry.mtime_ns) != (
                saved.stats[2 * i], saved.stats[2 * i + 1])):
            _count(counts, found[i], -1)
            i = None
        keep.append(i)
    for i in old.values():  # removed since
        _count(counts, found[i], -1)
    stale = [entry for entry, i in zip(listing, keep, strict=True) if i is None]
    fresh = iter(_read(root, stale))
    columns = _Columns([], array("q"), [], b"", array("I"), b"", array("I"), counts)
    new_blooms: list[bytes] = []
    new_words: list[bytes] = []
    for entry, i in zip(listing, keep, strict=True):
        columns.paths.append(entry.path)
        if i is not None and saved is not None:
            columns.stats.extend((entry.size, entry.mtime_ns))
            columns.rows.append(saved.rows[i])
            new_blooms.append(blooms[i])
            new_words.append(found[i])
            continue
        note = next(fresh)
        bloom, hashes = sketch(note)
        _count(counts, hashes, 1)
        columns.stats.extend((cache.racy_size(entry.size, entry.mtime_ns, started_ns),
                              entry.mtime_ns))
        columns.rows.append((note.id, note.title, note.aliases))
        new_blooms.append(bloom)
        new_words.append(hashes)
    return columns._replace(blooms=b"".join(new_blooms), bloom_at=_offsets(new_blooms),
                            words=b"".join(new_words), words_at=_offsets(new_words))


def _read(root: Path, stale: list[FileEntry]) -> Iterator[Note]:
    """The notes of ``stale``, in order: from the parse cache when there are many."""
    if len(stale) <= _BULK:
        return (read_note(root, entry.path) for entry in stale)
    wanted = {entry.path for entry in stale}
    notes = {note.path: note for note in open_vault(root).notes if note.path in wanted}
    return (notes.get(entry.path) or read_note(root, entry.path) for entry in stale)
