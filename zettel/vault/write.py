"""Writing files: the one module that writes into a vault and into its ``.zettel/``.

Three ways to write, and nothing else in zettel opens a file for writing:

- `atomic_write` (and `AtomicFile`, its streaming form) replaces a file whole:
  the bytes go to a temporary file in the same folder, are flushed and
  fsynced, and `os.replace` puts it in place, so a reader, or a crash, sees
  the old file or the new one, never half of one. The file's permission bits
  are kept. A symbolic link at the destination is replaced by the new file:
  zettel never writes *through* a link (one planted in a vault would lead the
  write out of it).
- `create_exclusive` makes a new file, never overwriting anything (``O_EXCL``).
- `apply_edits` rewrites spans of notes that were read before, refusing any
  file that changed since, and keeping every byte outside the spans.

Besides, for a planned write (`zettel.vault.journal`), `zettel.vault.write_paths`
moves notes (`move_exclusive`), creates them inside the vault
(`create_in_vault`) and removes them when unchanged (`remove_unchanged`),
through the same path checks.

A temporary is named ``.<name>.<8 random characters>.tmp`` (`TEMP_NAME`): one
left behind by a killed process is recognisable as zettel's. The folders a
caller writes into must already be checked (for ``.zettel/``, through
`zettel.vault.statedir.state_path`); another program of the same user swapping
folders while zettel writes is not guarded against.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import BinaryIO, NamedTuple

#: The mode of a new file (less the umask, as for any new file).
NEW_FILE_MODE = 0o644
#: The names `AtomicFile` gives its temporaries: ``.notes.pickle.k3x9_a0q.tmp``.
TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp", re.DOTALL)
_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _NOFOLLOW | _CLOEXEC


def is_temp_name(name: str) -> bool:
    """True for the name of a temporary file `AtomicFile` makes."""
    return TEMP_NAME.fullmatch(name) is not None


def _temp_name(name: str) -> str:
    while len(os.fsencode(name)) > 200:  # room for the rest within 255 bytes
        name = name[:-1]
    token = "".join(_TOKEN_CHARS[b % len(_TOKEN_CHARS)] for b in os.urandom(8))
    return f".{name}.{token}.tmp"


class AtomicFile:
    """A file written in place of ``path``, made visible whole or not at all.

    Use as a context manager: ``with AtomicFile(path) as out: out.write(...)``
    replaces ``path`` when the block ends normally, and leaves it as it was
    (removing the temporary) when the block raises. `commit` and `discard`
    do the same by hand. An existing regular file at ``path`` keeps its
    permission bits; a new file gets ``mode`` (default `NEW_FILE_MODE`) less
    the umask. A symbolic link at ``path`` is itself replaced, never written
    through. Replacing makes a new file: hard links to the old one keep the
    old bytes, and the file is owned by whoever wrote it.
    """

    def __init__(self, path: Path | str, *, mode: int | None = None,
                 durable: bool = True) -> None:
        self.path = Path(path)
        self._mode = mode
        self._durable = durable
        self._tmp: Path | None = None
        self._out: BinaryIO | None = None
        self._synced = False
        #: The written file's status (size, mtime) once committed.
        self.stat: os.stat_result | None = None

    def open(self) -> BinaryIO:
        """Create the temporary file and return it, open for writing bytes."""
        try:
            found = os.lstat(self.path)
        except FileNotFoundError:
            found = None
        keep = stat.S_IMODE(found.st_mode) if found and stat.S_ISREG(found.st_mode) else None
        for _ in range(100):
            tmp = self.path.with_name(_temp_name(self.path.name))
            try:
                fd = os.open(tmp, _CREATE, NEW_FILE_MODE if self._mode is None else self._mode)
            except FileExistsError:
                continue
            break
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary name", str(self.path))
        self._tmp = tmp
        try:
            if keep is not None:
                if os.chmod in os.supports_fd:
                    os.chmod(fd, keep)
                else:
                    os.chmod(tmp, keep)
            self._out = open(fd, "wb")  # noqa: SIM115 - closed by commit or discard
        except BaseException:
            os.close(fd)
            self.discard()
            raise
        return self._out

    def sync(self) -> None:
        """Flush, fsync and close the temporary now (`commit` then only puts it
        in place): a caller replacing many files syncs them together, which the
        file system can do in one go, and holds no file open meanwhile."""
        if self._out is None:
            raise ValueError(f"'{self.path}' is not open for writing")
        self._out.flush()
        os.fsync(self._out.fileno())
        self.stat = os.fstat(self._out.fileno())
        self._out.close()
        self._out = None
        self._synced = True

    def commit(self, *, sync_folder: bool = True) -> os.stat_result:
        """Flush and fsync the temporary (unless `sync` did), put it in place of
        ``path``, fsync the folder where the system allows (unless not
        ``sync_folder``: the caller does it once for many files); returns the
        new file's status. Not ``durable``, the fsyncs are skipped: a crash may
        then leave the file empty or old, never half-written by us (for caches,
        rebuilt when unreadable)."""
        if self._tmp is None or (self._out is None and not self._synced):
            raise ValueError(f"'{self.path}' is not open for writing")
        try:
            if self._out is not None:
                self._out.flush()
                if self._durable:
                    os.fsync(self._out.fileno())
                self.stat = os.fstat(self._out.fileno())
                self._out.close()
                self._out = None
            os.replace(self._tmp, self.path)
            self._tmp = None
        except BaseException:
            self.discard()
            raise
        if self._durable and sync_folder:
            _sync_folder(self.path.parent)
        assert self.stat is not None
        return self.stat

    def discard(self) -> None:
        """Close and remove the temporary; ``path`` stays as it was."""
        out, tmp, self._out, self._tmp = self._out, self._tmp, None, None
        try:
            if out is not None:
                out.close()
        finally:
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)

    def __enter__(self) -> BinaryIO:
        return self.open()

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def atomic_write(path: Path | str, data: bytes, *, mode: int | None = None,
                 durable: bool = True) -> os.stat_result:
    """Replace ``path`` with ``data`` atomically; returns the new file's status.

    Through a temporary file in the same folder (flushed, fsynced, then
    `os.replace`; the folder is fsynced where the system allows). An existing
    file keeps its permission bits; a new one gets ``mode`` (default 0o644)
    less the umask. A symbolic link at ``path`` is replaced by the new file,
    never written through: what it pointed to is left untouched. On any
    error, ``path`` is left as it was and the temporary is removed. Not
    ``durable``: no fsync (see `AtomicFile.commit`).
    """
    writer = AtomicFile(path, mode=mode, durable=durable)
    out = writer.open()
    try:
        out.write(data)
    except BaseException:
        writer.discard()
        raise
    return writer.commit()


def create_exclusive(path: Path | str, data: bytes, *, mode: int = NEW_FILE_MODE) -> None:
    """Create the new file ``path`` holding ``data`` (fsynced).

    ``O_CREAT | O_EXCL | O_NOFOLLOW``: raises `FileExistsError` when anything
    is at ``path`` already, a symbolic link included, even one made at the
    same moment by another process. A file that cannot be written whole is
    removed again.
    """
    fd = os.open(path, _CREATE, mode)
    try:
        with open(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # ours: O_EXCL made it
        raise
    _sync_folder(Path(path).parent)


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename in it survives a crash. Not possible on
    Windows (a folder cannot be opened) nor on some file systems: skipped there."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    except PermissionError:
        return  # a folder we may write but not read
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


# -- edits of notes that were read before


class Fingerprint(NamedTuple):
    """What a file was when it was read: size, mtime (ns) and a digest of its bytes
    (`zettel.vault.scan.content_digest`)."""

    size: int
    mtime_ns: int
    digest: str

    @classmethod
    def of(cls, data: bytes, found: os.stat_result) -> Fingerprint:
        """The fingerprint of ``data``, read from a file whose status is ``found``."""
        from zettel.vault.scan import content_digest  # noqa: PLC0415 - vault imports cache, which imports us

        return cls(len(data), found.st_mtime_ns, content_digest(data))


class Edit(NamedTuple):
    """Replace the characters ``start:end`` of a file's text with ``replacement``
    (an insertion when ``start == end``)."""

    start: int
    end: int
    replacement: str


class FileEdits(NamedTuple):
    """The edits of one file: its vault-relative path (``/`` separators), the
    fingerprint of the bytes the spans were computed from, and the edits."""

    path: str
    fingerprint: Fingerprint
    edits: Sequence[Edit | tuple[int, int, str]]


class WriteError(Exception):
    """Files could not be edited. ``path`` is the (vault-relative) file concerned."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class EditRefused(WriteError):
    """An edit was refused before anything was written: no file was changed."""


class FileChanged(EditRefused):
    """A file's bytes are not those its fingerprint describes."""


class EditsInterrupted(WriteError):
    """Writing failed after the checks passed: the files in ``written`` (path:
    new fingerprint) were replaced, ``path`` and the files after it were not.
    The cause (an `OSError`, or `FileChanged` for a file changed in between)
    is the exception's ``__cause__``."""

    def __init__(self, path: str, message: str, written: dict[str, Fingerprint]) -> None:
        super().__init__(path, message)
        self.written = written


class _Plan(NamedTuple):
    path: str  # as given
    real: str  # the file written
    found: os.stat_result  # its status when checked
    digest: str  # of its bytes when checked
    data: bytes  # the new bytes


def read_for_edit(root: Path | str, path: str) -> tuple[str, Fingerprint]:
    """The text of the note ``path`` and its `Fingerprint`, to compute edits for
    `apply_edits`. Raises `EditRefused` as `apply_edits` would (path out of the
    vault, not a regular file, not UTF-8)."""
    real = _real_path(root, path)
    data, found = _read(path, real)
    return _decode(path, data), Fingerprint.of(data, found)


def apply_edits(root: Path | str, batch: Iterable[FileEdits], *,
                on_written: Callable[[str], None] | None = None) -> dict[str, Fingerprint]:
    """Apply edits to notes of the vault ``root``; returns the new fingerprint of
    each file (the old one for a file whose edits change nothing: not rewritten).

    Offsets are **characters of the file's whole text**, decoded as UTF-8 and
    nothing more: a byte-order mark is character 0 and a CRLF is two
    characters (not the parser's text, where both are normalised: a `Link`'s
    spans count in `Note.body`, and `zettel.core.parse.body_to_file` turns them
    into these offsets). The spans apply to that original text, so every
    byte outside them stays as it was: line endings, BOM, tabs, trailing
    spaces, a missing final newline.

    Every file is checked before any is written, and the batch is refused
    with `EditRefused`, naming the file, writing nothing, when a path is not
    plainly inside the vault (absolute, ``..``, a link leading out), a file
    is not a regular file or not valid UTF-8 (it is never re-encoded), spans
    are out of range or overlap (two insertions at one place overlap), or
    with `FileChanged` when a file's bytes differ from its fingerprint (only
    a different digest counts: a file merely touched is unchanged). A path
    that is a link to a note inside the vault edits that note; two paths
    reaching one file must carry the same edits (they are applied once).

    Then each file's new bytes go to a temporary beside it, all fsynced
    together, and each temporary replaces its file in turn (its mode kept). A file
    changed since the check, or a failed write, stops the batch with
    `EditsInterrupted`, listing the files already written (undoing them is
    the job of `zettel.vault.journal`, which calls this). ``on_written`` is
    called with each path once its file is written.
    """
    plans: list[_Plan] = []
    seen: dict[str, FileEdits] = {}
    aliases: dict[str, str] = {}  # path given: the real file it leads to
    folders: dict[str, str] = {}  # real paths of the vault and its folders, this batch
    for item in batch:
        real = aliases[item.path] = _real_path(root, item.path, folders)
        if real in seen:
            if _same(seen[real], item):
                continue
            raise EditRefused(item.path, f"'{item.path}' and '{seen[real].path}' are the same "
                              "file, with different edits; nothing was written")
        seen[real] = item
        data, found = _read(item.path, real)
        if Fingerprint.of(data, found).digest != item.fingerprint.digest:
            raise FileChanged(item.path, f"'{item.path}' changed since it was read; "
                              "nothing was written")
        new = _splice(item.path, _decode(item.path, data), item.edits)
        if new != data:
            plans.append(_Plan(item.path, real, found, item.fingerprint.digest, new))
    after = {real: item.fingerprint for real, item in seen.items()}
    written: dict[str, Fingerprint] = {}
    staged = _stage(plans)
    try:
        for plan, writer in staged:
            try:
                _check_unchanged(plan)
                after[plan.real] = written[plan.path] = Fingerprint.of(
                    plan.data, writer.commit(sync_folder=False))
            except (OSError, FileChanged) as err:
                reason = err.strerror if isinstance(err, OSError) and err.strerror else err
                raise EditsInterrupted(plan.path, f"'{plan.path}' not written ({reason}); "
                                       f"{len(written)} file(s) written before it",
                                       written) from err
            if on_written is not None:
                on_written(plan.path)
    finally:
        for _, writer in staged:
            writer.discard()  # those not committed: nothing when all were
        for folder in sorted({os.path.dirname(plan.real) for plan in plans}):
            _sync_folder(Path(folder))
    return {path: after[real] for path, real in aliases.items()}


#: How many temporaries `_stage` holds open at once (well under any limit of open files).
STAGE_CHUNK = 64


def _stage(plans: Sequence[_Plan]) -> list[tuple[_Plan, AtomicFile]]:
    """Each plan's new bytes in a temporary beside its file, fsynced together
    (a file system commits concurrent fsyncs in one go: 200 files sync in a
    fifth of the time of one after the other), `STAGE_CHUNK` at a time, each
    closed once synced. Nothing is replaced yet; on any error every temporary
    is removed and `EditsInterrupted` names the file and says that nothing was
    written."""
    staged: list[tuple[_Plan, AtomicFile]] = []
    at = ""  # the file being staged or synced, to name it on an error
    pool = None
    try:
        for first in range(0, len(plans), STAGE_CHUNK):
            chunk = []
            for plan in plans[first:first + STAGE_CHUNK]:
                at = plan.path
                writer = AtomicFile(plan.real)
                staged.append((plan, writer))
                chunk.append((plan, writer))
                writer.open().write(plan.data)
            if len(chunk) == 1:
                at = chunk[0][0].path
                chunk[0][1].sync()
                continue
            if pool is None:
                from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - batches only

                pool = ThreadPoolExecutor(min(16, len(plans)))
            for (plan, _), error in zip(chunk, pool.map(_sync, [w for _, w in chunk]),
                                        strict=True):
                if error is not None:
                    at = plan.path
                    raise error
    except OSError as err:
        for _, writer in staged:
            writer.discard()
        raise EditsInterrupted(at, f"'{at}' not written ({err.strerror or err}); "
                               "0 file(s) written before it", {}) from err
    except BaseException:
        for _, writer in staged:
            writer.discard()
        raise
    finally:
        if pool is not None:
            pool.shutdown()
    return staged


def _sync(writer: AtomicFile) -> OSError | None:
    """`AtomicFile.sync`, its error returned (the caller names the file)."""
    try:
        writer.sync()
    except OSError as err:
        return err
    return None


def _same(a: FileEdits, b: FileEdits) -> bool:
    return a.fingerprint == b.fingerprint and [tuple(e) for e in a.edits] == [
        tuple(e) for e in b.edits]


def _real_path(root: Path | str, path: str, folders: dict[str, str] | None = None) -> str:
    """The file ``path`` leads to, refused unless it is plainly inside the vault.

    ``folders``, given by a caller resolving many paths at once, remembers the
    real path of the vault and of each folder for this call's batch only (a
    folder swapped for a link later is seen by the next batch)."""
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    if (not path or "\0" in path or posix.is_absolute() or windows.drive or windows.root
            or ".." in posix.parts or ".." in windows.parts):
        raise EditRefused(path, f"'{path}' is not a path inside the vault (absolute, or with "
                          "'..'); nothing was written")
    if folders is None:
        top = os.path.realpath(root)
        real = os.path.realpath(os.path.join(top, path))
    else:
        top = folders.get("") or folders.setdefault("", os.path.realpath(root))
        parent, _, name = path.rpartition("/")
        folder = folders.get(parent) if parent else top
        if folder is None:
            folder = folders[parent] = os.path.realpath(os.path.join(top, parent))
        real = os.path.join(folder, name)
        if os.path.islink(real) or name in (".", ""):
            real = os.path.realpath(real)
    try:
        inside = os.path.commonpath([real, top]) == top and real != top
    except ValueError:  # another drive
        inside = False
    if not inside:
        raise EditRefused(path, f"'{path}' leads out of the vault (a symbolic link); "
                          "nothing was written")
    return real


def _read(path: str, real: str) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file, never blocking nor following a link."""
    try:
        fd = os.open(real, _READ)
    except FileNotFoundError as err:
        raise FileChanged(path, f"'{path}' was removed since it was read; "
                          "nothing was written") from err
    except OSError as err:
        raise EditRefused(path, f"'{path}' cannot be read ({err.strerror or err}); "
                          "nothing was written") from err
    with open(fd, "rb") as stream:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise EditRefused(path, f"'{path}' is not a regular file; nothing was written")
        return stream.read(), found


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise EditRefused(path, f"'{path}' is not valid UTF-8 (byte {err.start}); zettel does "
                          "not rewrite it; nothing was written") from err


def _splice(path: str, text: str, edits: Sequence[Edit | tuple[int, int, str]]) -> bytes:
    """``text`` with the edits applied, as UTF-8 bytes; `EditRefused` for bad spans."""
    spans = sorted((Edit(*e) for e in edits), key=lambda e: (e.start, e.end))
    pieces: list[str] = []
    done = 0
    last: Edit | None = None
    for edit in spans:
        start, end, replacement = edit
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)):
            raise EditRefused(path, f"'{path}': span {start}:{end} is not within its "
                              f"{len(text)} characters; nothing was written")
        if start < done or (last is not None and start == last.start == last.end == end):
            raise EditRefused(path, f"'{path}': span {start}:{end} overlaps another edit; "
                              "nothing was written")
        pieces += (text[done:start], replacement)
        done, last = end, edit
    pieces.append(text[done:])
    try:
        return "".join(pieces).encode("utf-8")
    except UnicodeEncodeError as err:
        raise EditRefused(path, f"'{path}': a replacement is not valid text "
                          f"({err.reason}); nothing was written") from err


def _check_unchanged(plan: _Plan) -> None:
    """Raise `FileChanged` when the file no longer holds the bytes checked."""
    try:
        now = os.stat(plan.real, follow_symlinks=False)
    except FileNotFoundError:
        now = None
    if now is not None and (now.st_size, now.st_mtime_ns, now.st_ino) == (
            plan.found.st_size, plan.found.st_mtime_ns, plan.found.st_ino):
        return
    try:
        digest = Fingerprint.of(*_read(plan.path, plan.real)).digest if now else None
    except EditRefused:  # removed, or no longer a regular file
        digest = None
    if digest != plan.digest:
        raise FileChanged(plan.path, f"'{plan.path}' changed while the edits were written")
