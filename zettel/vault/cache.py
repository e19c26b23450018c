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
  shared vault cannot run code; and it is used only in the very folder that
  wrote it (its inode is recorded), so one planted in a vault, or copied
  from elsewhere, is not used at all;
- the folder is reached through `zettel.vault.statedir.state_path` (a symbolic
  link or another user's folder is refused), files in it are opened without
  following links or blocking, and temporaries that a killed zettel left
  behind are removed (see `_CacheLock`).

Notes are stored as plain tuples ("rows") in chunks of a few hundred: worker
processes pickle their chunk once, the same bytes travel back to the parent
and into the file, and a chunk whose notes did not change is rewritten as is.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import pickle
import stat
import time
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any, BinaryIO

from zettel import __version__
from zettel.core.model import Link, Note, Problem
from zettel.vault.statedir import state_path
from zettel.vault.write import AtomicFile, atomic_write, create_exclusive, is_temp_name

#: Bump when `Note` or the parser's output changes shape or meaning.
SCHEMA = 7  # 6, 7: links carry their spans (7: as ints from the link's start)
CACHE_KEY = f"zettel/{SCHEMA}/{__version__}"
RACY_WINDOW_NS = 2_000_000_000
CHUNK_SIZE = 250
NOTES_FILE = "notes.pickle"
LOCK_FILE = "lock"
#: The mode of a new cache file: it holds the text of the notes, for the user only.
#: Caches are written atomically but not fsynced (``durable=False``): one lost in
#: a crash is found unreadable, or stale, and rebuilt.
CACHE_MODE = 0o600
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))

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


def cache_dir(vault: Path, *, create: bool = False) -> Path:
    """The folder of zettel's caches for ``vault`` (made when ``create``).

    Raises `zettel.vault.statedir.UnsafeStateDir` when it, or ``.zettel``, is a
    symbolic link, not a folder, or another user's.
    """
    return state_path(vault, "cache", create=create)


def _open(path: Path) -> BinaryIO | None:
    """A cache file opened for reading, or None when there is none. Raises
    `OSError` for a link or anything but a regular file (never blocks on one)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.EMLINK):
            raise OSError(err.errno, "it is a symbolic link") from err
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "it is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "rb")


def _stamp(folder: Path) -> int:
    """What binds a cache file to the folder that wrote it: the folder's inode,
    which a cache planted in a vault or copied with it cannot predict."""
    return os.lstat(folder).st_ino


def load_notes_cache(vault: Path) -> tuple[list[bytes], str | None]:
    """The cached chunks of note records, and a notice when the cache was dropped.

    The file holds a header, one pickled chunk after another and a final
    None; a file cut short keeps the chunks before the cut (the notes after
    it are parsed again).
    """
    folder = cache_dir(vault)
    try:
        stream = _open(folder / NOTES_FILE)
        if stream is None:
            return [], None
        stamp = _stamp(folder)
    except OSError as err:
        return [], f"parse cache not readable ({err.strerror}); parsing every note"
    chunks: list[bytes] = []
    with stream:
        try:
            header = _SafeUnpickler(stream).load()
            if not isinstance(header, dict) or header.get("key") != CACHE_KEY:
                return [], "parse cache is from another zettel version; rebuilt"
            if header.get("folder") != stamp:
                return [], "parse cache was not written here (copied or planted); rebuilt"
            while (chunk := _SafeUnpickler(stream).load()) is not None:
                if not isinstance(chunk, bytes):
                    raise pickle.UnpicklingError("bad layout")
                chunks.append(chunk)
        except Exception as err:  # noqa: BLE001 - any corruption means: rebuild
            return chunks, f"parse cache was unreadable ({type(err).__name__}); rebuilt"
    return chunks, None


class _CacheLock:
    """Held (shared) by every zettel process while it writes a temporary file
    in the cache folder, through an flock on ``lock`` there.

    Taking it first tries for it alone (exclusive, without waiting): when that
    succeeds no other zettel is writing, so any temporary of ours in the
    folder was left by a process that died (kill -9, a crash) and is removed.
    Without flock (Windows) nothing is locked and nothing removed.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._fd: int | None = None

    def __enter__(self) -> _CacheLock:
        try:
            import fcntl  # noqa: PLC0415 - POSIX only
        except ImportError:
            return self
        flags = os.O_RDWR | os.O_CREAT | (_OPEN_FLAGS & ~os.O_RDONLY)
        fd = self._fd = os.open(self._folder / LOCK_FILE, flags, 0o644)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(errno.EINVAL, f"{LOCK_FILE} is not a regular file")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass  # another zettel is writing: its temporaries are not stale
            else:
                _remove_temporaries(self._folder)
            _shared_lock(fcntl, fd)
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # and so unlock
            self._fd = None


def _shared_lock(fcntl: Any, fd: int, wait: float = 5.0) -> None:
    """Take the shared lock, waiting a little while another process cleans up."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise OSError(errno.EWOULDBLOCK, "another zettel holds the cache") from None
            time.sleep(0.01)


def _remove_temporaries(folder: Path) -> None:
    """Remove the temporaries of ours in ``folder`` (call with the lock held alone)."""
    for name in os.listdir(folder):
        if is_temp_name(name):  # .notes.pickle.x1y2z3_q.tmp: zettel.vault.write's temporaries
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / name)  # a link is removed, never what it points to


class NotesCacheWriter:
    """Writes the parse cache chunk by chunk, then swaps it in atomically.

    A context manager: chunks go to a temporary file as they come, and it
    replaces the cache only when the block ends without an exception. When
    the cache folder cannot be written, nothing is, and ``notice`` says why.
    """

    def __init__(self, vault: Path) -> None:
        self.notice: str | None = None
        self._vault = vault
        self._folder: Path | None = None
        self._lock: _CacheLock | None = None
        self._file: AtomicFile | None = None
        self._out: Any = None

    def __enter__(self) -> NotesCacheWriter:
        try:
            self._folder = folder = _prepare(self._vault)
            self._lock = _CacheLock(folder).__enter__()
            self._file = AtomicFile(folder / NOTES_FILE, mode=CACHE_MODE, durable=False)
            self._out = self._file.open()
            pickle.dump({"key": CACHE_KEY, "folder": _stamp(folder)}, self._out, protocol=5)
        except OSError as err:
            self._close(err)
        return self

    def add(self, chunk: bytes) -> None:
        """Write one chunk (as made by `dump_chunk`)."""
        if self._out is not None:
            try:
                pickle.dump(chunk, self._out, protocol=5)
            except OSError as err:
                self._close(err)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if self._out is not None and exc_type is None:
                pickle.dump(None, self._out, protocol=5)
                self._file.commit()  # type: ignore[union-attr]
                self._file = self._out = None
        except OSError as err:
            self._close(err)
        self._close(None)

    def _close(self, err: OSError | None) -> None:
        """Close, remove the temporary if it is still there, unlock; note ``err``."""
        if self._file is not None:
            self._file.discard()
        self._file = self._out = None
        if self._lock is not None:
            self._lock.release()
        if err is not None:
            reason = err.strerror or err
            self.notice = f"parse cache not written ({reason}); the next scan parses again"


def _prepare(vault: Path) -> Path:
    """The cache folder, made if missing, with its own ``.gitignore``."""
    folder = cache_dir(vault, create=True)
    with contextlib.suppress(FileExistsError):  # never written through a link planted there
        create_exclusive(folder / ".gitignore", b"# zettel's caches, rebuilt when missing\n*\n")
    return folder


def load_memo(vault: Path, name: str, fingerprint: str) -> Any | None:
    """What was saved as ``name`` for exactly this ``fingerprint`` of the vault
    (see `zettel.vault.scan.listing_fingerprint`), if anything."""
    payload, _ = _read(vault, name, name)
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
    payload, _ = _read(vault, "summary.pickle", "summary cache")
    rows = payload.get("rows") if payload else None
    return rows if isinstance(rows, list) else None


def save_summary(vault: Path, rows: list[tuple[Any, ...]]) -> str | None:
    """Remember the note list of the vault (see `load_summary`)."""
    return _write(vault, "summary.pickle", {"key": CACHE_KEY, "rows": rows}, "summary cache")


def _read(vault: Path, name: str, what: str) -> tuple[dict[str, Any] | None, str | None]:
    folder = cache_dir(vault)
    try:
        stream = _open(folder / name)
        if stream is None:
            return None, None
        with stream:
            data = stream.read()
        stamp = _stamp(folder)
    except OSError as err:
        return None, f"{what} not readable ({err.strerror}); not used"
    try:
        payload = safe_loads(data)
    except Exception as err:  # noqa: BLE001 - any corruption means: rebuild
        return None, f"{what} was unreadable ({type(err).__name__}); rebuilt"
    if not isinstance(payload, dict) or payload.get("key") != CACHE_KEY:
        return None, f"{what} is from another zettel version; rebuilt"
    if payload.get("folder") != stamp:
        return None, f"{what} was not written here (copied or planted); rebuilt"
    return payload, None


def _write(vault: Path, name: str, payload: dict[str, Any], what: str) -> str | None:
    try:
        folder = _prepare(vault)
        data = pickle.dumps({**payload, "folder": _stamp(folder)}, protocol=5)
        with _CacheLock(folder):
            atomic_write(folder / name, data, mode=CACHE_MODE, durable=False)
    except OSError as err:
        return f"{what} not written ({err.strerror or err}); the next run starts afresh"
    return None
