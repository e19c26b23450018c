"""Caches in ``<vault>/.zettel/cache/``: parsed notes, and the last check's result.

A cache is an optimisation, never a source of truth:

- a note is taken from the cache only when its file's size and mtime (in
  nanoseconds) are exactly those recorded; anything else is parsed again;
- a file changed within `RACY_WINDOW_NS` of the scan is recorded as
  untrusted, so an edit that keeps the size and lands in the same clock tick
  is not missed (git's "racily clean" problem);
- a cache that is missing, truncated, from another version or otherwise
  unreadable is dropped and rebuilt, with a notice;
- it is unpickled with a whitelist of classes, so a cache file planted in a
  shared vault cannot run code.

Notes are stored as plain tuples ("rows") in chunks of a few hundred: worker
processes pickle their chunk once, the same bytes travel back to the parent
and into the file, and a chunk whose notes did not change is rewritten as is.
"""

from __future__ import annotations

import functools
import io
import os
import pickle
import tempfile
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from zettel import __version__
from zettel.model import Link, Note, Problem

#: Bump when `Note` or the parser's output changes shape or meaning.
SCHEMA = 4
CACHE_KEY = f"zettel/{SCHEMA}/{__version__}"
RACY_WINDOW_NS = 2_000_000_000
CHUNK_SIZE = 250
NOTES_FILE = "notes.pickle"

NOTE_FIELDS = tuple(f.name for f in fields(Note))
_LINKS_AT = NOTE_FIELDS.index("links")
_PROBLEMS_AT = NOTE_FIELDS.index("problems")

#: (path, size, mtime_ns, note row)
Record = tuple[str, int, int, tuple[Any, ...]]

_new_link = functools.partial(tuple.__new__, Link)  # Link._make without the Python call

_ALLOWED_GLOBALS = {
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "builtins": {"set", "frozenset"},
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if name in _ALLOWED_GLOBALS.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a zettel cache")


def safe_loads(data: bytes) -> Any:
    """Unpickle builtins (and dates) only: a planted file cannot run code."""
    return _SafeUnpickler(io.BytesIO(data)).load()


def note_to_row(note: Note) -> tuple[Any, ...]:
    """A note as a tuple of builtins (links and problems as tuples too)."""
    values = [getattr(note, name) for name in NOTE_FIELDS]
    values[_LINKS_AT] = tuple(tuple(link) for link in note.links)
    values[_PROBLEMS_AT] = problems_to_rows(note.problems)
    return tuple(values)


def problems_to_rows(problems: Iterable[Problem]) -> tuple[tuple[Any, ...], ...]:
    """Problems as tuples of builtins, in field order (see `problems_from_rows`)."""
    return tuple((p.kind, p.path, p.message, p.line, p.target, p.suggestion) for p in problems)


def problems_from_rows(rows: Iterable[tuple[Any, ...]]) -> tuple[Problem, ...]:
    """Inverse of `problems_to_rows`."""
    return tuple(Problem(*row) for row in rows)


def note_from_row(row: tuple[Any, ...]) -> Note:
    """Inverse of `note_to_row`."""
    values = list(row)
    values[_LINKS_AT] = tuple(map(_new_link, row[_LINKS_AT]))
    values[_PROBLEMS_AT] = problems_from_rows(row[_PROBLEMS_AT])
    return Note(*values)


def dump_chunk(records: list[Record]) -> bytes:
    """Pickle one chunk of records (done in worker processes when parsing)."""
    return pickle.dumps(records, protocol=5)


def load_chunk(data: bytes) -> list[Record]:
    """Unpickle a chunk made by `dump_chunk`, allowing only plain data."""
    return safe_loads(data)


def racy_size(size: int, mtime_ns: int, scan_started_ns: int) -> int:
    """The size to record: -1 (never matches) for a file changed just now."""
    return size if mtime_ns < scan_started_ns - RACY_WINDOW_NS else -1


def cache_dir(vault: Path) -> Path:
    """The folder of zettel's caches for ``vault``."""
    return vault / ".zettel" / "cache"


def load_notes_cache(vault: Path) -> tuple[list[bytes], str | None]:
    """The cached chunks of note records, and a notice when the cache was dropped.

    The file holds a header, one pickled chunk after another and a final
    None; a file cut short keeps the chunks before the cut (the notes after
    it are parsed again).
    """
    path = cache_dir(vault) / NOTES_FILE
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        return [], None
    except OSError as err:
        return [], f"parse cache not readable ({err.strerror}); parsing every note"
    chunks: list[bytes] = []
    with stream:
        try:
            header = _SafeUnpickler(stream).load()
            if not isinstance(header, dict) or header.get("key") != CACHE_KEY:
                return [], "parse cache is from another zettel version; rebuilt"
            while (chunk := _SafeUnpickler(stream).load()) is not None:
                if not isinstance(chunk, bytes):
                    raise pickle.UnpicklingError("bad layout")
                chunks.append(chunk)
        except Exception as err:  # noqa: BLE001 - any corruption means: rebuild
            return chunks, f"parse cache was unreadable ({type(err).__name__}); rebuilt"
    return chunks, None


class NotesCacheWriter:
    """Writes the parse cache chunk by chunk, then swaps it in atomically.

    A context manager: chunks go to a temporary file as they come, and it
    replaces the cache only when the block ends without an exception. When
    the cache folder cannot be written, nothing is, and ``notice`` says why.
    """

    def __init__(self, vault: Path) -> None:
        self.notice: str | None = None
        self._folder = cache_dir(vault)
        self._tmp: str | None = None
        self._out: Any = None

    def __enter__(self) -> NotesCacheWriter:
        try:
            _prepare(self._folder)
            fd, self._tmp = tempfile.mkstemp(dir=self._folder, prefix=".notes.", suffix=".tmp")
            self._out = os.fdopen(fd, "wb")
            pickle.dump({"key": CACHE_KEY}, self._out, protocol=5)
        except OSError as err:
            self._fail(err)
        return self

    def add(self, chunk: bytes) -> None:
        """Write one chunk (as made by `dump_chunk`)."""
        if self._out is not None:
            try:
                pickle.dump(chunk, self._out, protocol=5)
            except OSError as err:
                self._fail(err)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._out is None:
            return
        if exc_type is not None:
            self._fail(None)
            return
        try:
            pickle.dump(None, self._out, protocol=5)
            self._out.close()
            os.replace(self._tmp, self._folder / NOTES_FILE)  # type: ignore[arg-type]
        except OSError as err:
            self._fail(err)

    def _fail(self, err: OSError | None) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._tmp is not None and os.path.exists(self._tmp):
            os.unlink(self._tmp)
        if err is not None:
            reason = err.strerror or err
            self.notice = f"parse cache not written ({reason}); the next scan parses again"


def _prepare(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# zettel's caches, rebuilt when missing\n*\n", encoding="utf-8")


def load_memo(vault: Path, name: str, fingerprint: str) -> Any | None:
    """What was saved as ``name`` for exactly this ``fingerprint`` of the vault
    (see `zettel.vault.listing_fingerprint`), if anything."""
    payload, _ = _read(cache_dir(vault) / name, name)
    if payload is None or payload.get("fingerprint") != fingerprint:
        return None
    return payload.get("memo")


def save_memo(vault: Path, name: str, fingerprint: str, memo: Any) -> str | None:
    """Remember ``memo`` (builtins only) as ``name`` for the vault as it is now."""
    payload = {"key": CACHE_KEY, "fingerprint": fingerprint, "memo": memo}
    return _write(vault, name, payload, name)


def load_check_memo(vault: Path, fingerprint: str) -> Any | None:
    """The analysis saved for exactly this ``fingerprint`` of the vault, if any."""
    return load_memo(vault, "check.pickle", fingerprint)


def save_check_memo(vault: Path, fingerprint: str, report: Any) -> str | None:
    """Remember an analysis of the vault as it is now (see `load_check_memo`)."""
    return save_memo(vault, "check.pickle", fingerprint, report)


def load_summary(vault: Path) -> list[tuple[Any, ...]] | None:
    """The note list saved by `save_summary` (path, title, id, types, tags,
    aliases of each note), or None. It may be stale: it is for showing a list
    at once while the vault is read."""
    payload, _ = _read(cache_dir(vault) / "summary.pickle", "summary cache")
    rows = payload.get("rows") if payload else None
    return rows if isinstance(rows, list) else None


def save_summary(vault: Path, rows: list[tuple[Any, ...]]) -> str | None:
    """Remember the note list of the vault (see `load_summary`)."""
    return _write(vault, "summary.pickle", {"key": CACHE_KEY, "rows": rows}, "summary cache")


def _read(path: Path, what: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as err:
        return None, f"{what} not readable ({err.strerror}); not used"
    try:
        payload = safe_loads(data)
    except Exception as err:  # noqa: BLE001 - any corruption means: rebuild
        return None, f"{what} was unreadable ({type(err).__name__}); rebuilt"
    if not isinstance(payload, dict) or payload.get("key") != CACHE_KEY:
        return None, f"{what} is from another zettel version; rebuilt"
    return payload, None


def _write(vault: Path, name: str, payload: dict[str, Any], what: str) -> str | None:
    folder = cache_dir(vault)
    try:
        _prepare(folder)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                pickle.dump(payload, out, protocol=5)
            os.replace(tmp, folder / name)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as err:
        return f"{what} not written ({err.strerror or err}); the next run starts afresh"
    return None
