"""Reading a vault from disk: the one module that lists and reads note files.

`open_vault` walks the folder, takes unchanged notes from the parse cache,
parses the rest (in several processes when there are many) and returns a
`Vault`: every note plus the vault's other files, which embeds may point at.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import os
import signal
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from zettel.core.model import Note, Problem, stem_of
from zettel.core.parse import parse_bytes
from zettel.core.perf import paused_gc
from zettel.vault import cache
from zettel.vault.config import Config, load_config

#: Below this many files to parse, one process is faster than a pool.
PARALLEL_THRESHOLD = 1500

Progress = Callable[[int, int], None]


class VaultError(Exception):
    """The vault cannot be opened at all (not a folder, not readable)."""


@dataclass(frozen=True)
class ScanStats:
    """What a scan did: how many notes came from the cache, how many were parsed."""

    parsed: int = 0
    cached: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Vault:
    """Every note of a vault (sorted by path), plus its other files."""

    root: Path
    config: Config
    notes: tuple[Note, ...]
    files: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    stats: ScanStats = field(default_factory=ScanStats)


class FileEntry(NamedTuple):
    """A note file found by the scan: vault-relative path, size and mtime."""

    path: str
    size: int
    mtime_ns: int


def open_vault(
    root: Path | str,
    *,
    use_cache: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
    listing: tuple[Config, list[FileEntry], list[str]] | None = None,
) -> Vault:
    """Scan ``root`` and return its notes. Never fails on a single bad file.

    ``workers`` caps the processes used to parse (default: the CPU count; 1
    parses in this process). ``progress(done, total)`` is called while parsing.
    ``listing`` is what `scan_folder` returned, when the caller has it already.
    Raises `VaultError` when ``root`` is not a readable folder and
    `zettel.vault.config.ConfigError` when its config cannot be used.
    """
    started = time.perf_counter()
    started_ns = time.time_ns()
    root = Path(root)
    config, entries, files = listing or scan_folder(root)
    notices = list(config.warnings)

    notes: dict[str, Note] = {}
    kept: list[bytes] = []
    cache_changed = False
    if use_cache:
        with paused_gc():
            kept, cache_changed, notice = _take_cached(root, entries, notes)
        if notice:
            notices.append(notice)
    todo = [e for e in entries if e.path not in notes]
    writer = cache.NotesCacheWriter(root) if use_cache and (todo or cache_changed) else None
    with writer or contextlib.nullcontext(), paused_gc():
        if writer:
            for chunk in kept:
                writer.add(chunk)
        kept.clear()
        for parsed, chunk in _parse_all(root, todo, started_ns, workers, progress):
            for note in parsed:
                notes[note.path] = note
            if writer:
                writer.add(chunk)
    if writer and writer.notice:
        notices.append(writer.notice)
    ordered = tuple(notes[e.path] for e in entries)
    stats = ScanStats(len(todo), len(entries) - len(todo), time.perf_counter() - started)
    return Vault(root, config, ordered, tuple(files), tuple(notices), stats)


def scan_folder(root: Path) -> tuple[Config, list[FileEntry], list[str]]:
    """Read the vault's config and list its files, without reading any note."""
    if not root.is_dir():
        raise VaultError(f"vault '{root}' is not a folder" if root.exists()
                         else f"vault '{root}' does not exist")
    config = load_config(root)
    try:
        entries, files = list_files(root, config)
    except OSError as err:
        raise VaultError(f"vault '{root}' cannot be read: {err.strerror or err}") from err
    return config, entries, files


def _take_cached(
    root: Path, entries: list[FileEntry], notes: dict[str, Note]
) -> tuple[list[bytes], bool, str | None]:
    """Fill ``notes`` from the cache where size and mtime match.

    Returns the chunks to keep as they are, whether the cache must be
    rewritten, and a notice when some or all of it could not be used.
    """
    chunks, notice = cache.load_notes_cache(root)
    if not chunks:
        return [], bool(notice), notice
    current = {e.path: e for e in entries}
    kept: list[bytes] = []
    leftovers: list[cache.Record] = []
    changed = bool(notice)
    for data in chunks:
        try:
            records = cache.load_chunk(data)
        except Exception as err:  # noqa: BLE001 - a corrupt chunk is parsed again
            notice = f"parse cache partly unreadable ({type(err).__name__}); rebuilt"
            changed = True
            continue
        hits = []
        for record in records:
            path, size, mtime, row = record
            entry = current.get(path)
            if entry and entry.size == size and entry.mtime_ns == mtime and path not in notes:
                notes[path] = cache.note_from_row(row)
                hits.append(record)
        if len(hits) == len(records):
            kept.append(data)
        else:
            changed = True
            leftovers.extend(hits)
    for i in range(0, len(leftovers), cache.CHUNK_SIZE):
        kept.append(cache.dump_chunk(leftovers[i : i + cache.CHUNK_SIZE]))
    return kept, changed, notice


def list_files(root: Path, config: Config) -> tuple[list[FileEntry], list[str]]:
    """Walk the vault: (note entries sorted by path, other files sorted).

    Hidden files and folders (a name starting with ``.``) are skipped, and so
    is anything matching an ``ignore`` pattern of the config. Folder links are
    not followed (no cycles); file links are listed, and read only when they
    lead inside the vault (see `read_bytes`). A sub-folder that cannot be
    listed is a note entry ``folder/`` (an `unreadable` note).
    """
    notes: list[FileEntry] = []
    others: list[str] = []
    stack = [("", str(root))]
    while stack:
        rel_dir, abs_dir = stack.pop()
        try:
            listing = os.scandir(abs_dir)
        except OSError:
            if not rel_dir:
                raise
            # An unreadable sub-folder is listed as "folder/", which reads as
            # a note with an `unreadable` problem: its notes are missing.
            notes.append(FileEntry(rel_dir, -1, -1))
            continue
        with listing:
            _add_entries(listing, rel_dir, config, notes, others, stack)
    notes.sort(key=lambda e: e.path)
    others.sort()
    return notes, others


def _add_entries(listing: Iterable[os.DirEntry[str]], rel_dir: str, config: Config,
                 notes: list[FileEntry], others: list[str], stack: list[tuple[str, str]]) -> None:
    """File one folder's entries as notes, other files, or folders still to walk."""
    ignore = config.ignore
    for item in listing:
        name = item.name
        if name.startswith("."):
            continue
        rel = rel_dir + name
        if ignore and _ignored(rel, ignore):
            continue
        try:
            if item.is_dir(follow_symlinks=False):
                stack.append((rel + "/", item.path))
            elif config.is_note_name(name):
                st = item.stat()
                notes.append(FileEntry(rel, st.st_size, st.st_mtime_ns))
            elif item.is_file():
                others.append(rel)
        except OSError:
            if config.is_note_name(name):  # reported as unreadable when read
                notes.append(FileEntry(rel, -1, -1))


def _ignored(rel: str, patterns: Iterable[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)


#: Opening a note never blocks (a FIFO, a device) nor follows a symbolic link
#: unawares; what was opened is then checked to be a regular file.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_LINK_ERRORS = {errno.ELOOP, errno.EMLINK}  # O_NOFOLLOW met a link (Linux, macOS; BSD)
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class NotReadable(OSError):
    """A note file that zettel does not read: not a regular file, or a link out
    of the vault. ``strerror`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, reason)


def read_bytes(root: Path | str, rel: str) -> bytes:
    """The bytes of the note file ``rel``, read without ever blocking.

    Raises `OSError` when it cannot be read, `NotReadable` when it must not
    be: a FIFO, device, socket or folder, or a symbolic link whose target is
    outside the vault (a link to a note inside it is followed).
    """
    path = os.path.join(root, rel)
    if rel.endswith("/"):
        raise NotReadable("a folder")
    if not _NOFOLLOW and os.path.islink(path):  # no O_NOFOLLOW (Windows): look first
        path = _link_inside(root, path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        if err.errno not in _LINK_ERRORS or not _NOFOLLOW:
            _refuse_special(path)
            raise
        fd = os.open(_link_inside(root, path), _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # also when the file was swapped since it was listed
            raise NotReadable(f"not a regular file ({_kind(mode)})")
    except BaseException:
        os.close(fd)
        raise
    with open(fd, "rb") as stream:
        return stream.read()


def _link_inside(root: Path | str, path: str) -> str:
    """Where the symbolic link ``path`` leads, if that is inside the vault."""
    target, top = os.path.realpath(path), os.path.realpath(root)
    try:
        inside = os.path.commonpath([target, top]) == top
    except ValueError:  # another drive
        inside = False
    if not inside:
        raise NotReadable("symbolic link to outside the vault")
    return target


def _refuse_special(path: str) -> None:
    """Raise `NotReadable` when ``path`` failed to open for being no regular
    file (a socket cannot even be opened)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):
        raise NotReadable(f"not a regular file ({_kind(mode)})")


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def read_note(root: Path | str, rel: str) -> Note:
    """Read and parse one note; an unreadable file is a note with a problem."""
    try:
        data = read_bytes(root, rel)
    except OSError as err:
        return _unreadable(root, rel, err)
    with paused_gc():  # a huge note makes a million links, and no cycles
        return parse_bytes(rel, data)


def _unreadable(root: Path | str, rel: str, err: OSError) -> Note:
    if rel.endswith("/"):  # a folder that could not be listed
        try:
            os.scandir(os.path.join(root, rel)).close()
            reason = "it could not be listed"
        except OSError as again:
            reason = again.strerror or type(again).__name__
        message = (f"cannot read this folder ({reason}): the notes in it are missing, and "
                   "links to them are reported as broken")
    else:
        message = f"cannot read: {err.strerror or type(err).__name__}"
    return Note(path=rel, title=rel if rel.endswith("/") else stem_of(rel),
                problems=(Problem("unreadable", rel, message),))


def read_with_digest(root: Path | str, rel: str) -> tuple[Note, str | None]:
    """Read and parse one note, with the digest of its bytes (None if unreadable)."""
    try:
        data = read_bytes(root, rel)
    except OSError as err:
        return _unreadable(root, rel, err), None
    with paused_gc():
        return parse_bytes(rel, data), content_digest(data)


def file_digest(root: Path | str, entry: FileEntry) -> str | None:
    """The digest of a listed file's bytes; None if it cannot be read or has
    changed size since it was listed (then it must be read again later)."""
    try:
        data = read_bytes(root, entry.path)
    except OSError:
        return None
    return content_digest(data) if len(data) == entry.size else None


def content_digest(data: bytes) -> str:
    """A short digest of a file's content, to tell an edit from a mere touch."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def listing_fingerprint(config: Config, entries: list[FileEntry], files: list[str]) -> str:
    """A digest of the settings and of every file's path, size and mtime (plus
    the names of the other files, which embeds may reach): equal fingerprints
    mean nothing was added, removed or changed."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{cache.CACHE_KEY}\0{config!r}\0".encode())
    for e in entries:  # a file name that is not UTF-8 holds surrogates: keep its bytes
        digest.update(f"{e.path}\0{e.size}\0{e.mtime_ns}\n".encode("utf-8", "surrogateescape"))
    digest.update("\0".join(files).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _records(batch: list[FileEntry], notes: list[Note], started_ns: int) -> list[cache.Record]:
    return [
        (e.path, cache.racy_size(e.size, e.mtime_ns, started_ns), e.mtime_ns, cache.note_to_row(n))
        for e, n in zip(batch, notes, strict=True)
    ]


def _parse_chunk(root: str, batch: list[FileEntry], started_ns: int) -> bytes:
    """Worker process: parse some files, return them as one pickled cache chunk."""
    with paused_gc():
        notes = [read_note(root, e.path) for e in batch]
        return cache.dump_chunk(_records(batch, notes, started_ns))


def _parse_all(
    root: Path,
    todo: list[FileEntry],
    started_ns: int,
    workers: int | None,
    progress: Progress | None,
) -> Iterator[tuple[list[Note], bytes]]:
    """Parse ``todo`` in chunks; yields each chunk's notes and its cache bytes."""
    total = len(todo)
    size = cache.CHUNK_SIZE
    batches = [todo[i : i + size] for i in range(0, total, size)]
    workers = min(workers or os.cpu_count() or 1, len(batches))
    done = 0
    if total < PARALLEL_THRESHOLD or workers < 2:
        for batch in batches:
            notes = [read_note(root, e.path) for e in batch]
            done += len(batch)
            if progress:
                progress(done, total)
            yield notes, cache.dump_chunk(_records(batch, notes, started_ns))
        return
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - only for big scans

    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    try:
        jobs = pool.map(_parse_chunk, [str(root)] * len(batches), batches,
                        [started_ns] * len(batches))
        for data in jobs:
            records = cache.load_chunk(data)
            done += len(records)
            if progress:
                progress(done, total)
            yield [cache.note_from_row(r[3]) for r in records], data
    except BaseException:
        # Ctrl-C or an error: drop the chunks not started instead of parsing them all.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _ignore_interrupts() -> None:
    """Worker processes leave Ctrl-C to the parent, which stops them cleanly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
