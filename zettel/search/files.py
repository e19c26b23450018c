"""Reading, writing and deleting the search index's own files, safely.

The index lives inside the vault, and a vault may come from someone else: any
file under ``.zettel/index/`` may have been planted. So, here:

- a pickle is read with `index_loads` / `index_load`, which build only the few
  classes a Whoosh index of zettel holds (`INDEX_GLOBALS`) and refuse any other
  (a planted pickle cannot run code);
- a file is opened without following a symbolic link and without blocking, and
  read only if it is a regular file (not a FIFO, a device, a folder);
- a file is written through a fresh temporary (never through a planted link);
- a folder is deleted only when everything in it is a regular file with a name
  zettel or Whoosh writes; otherwise it is left as it is.

No Whoosh here either: Whoosh's classes are named, not imported.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


#: Every global a pickle in the search index may name: Whoosh's segment and
#: codec (plain data, checked by `zettel.search.whoosh.schema.check_segments`) and a
#: segment's table of field lengths (``defaultdict(int)``). Everything else in
#: the index is pickled with protocol 5, which names no global for plain data.
INDEX_GLOBALS: dict[tuple[str, str], Any] = {
    ("builtins", "int"): int, ("collections", "defaultdict"): None,
    ("whoosh.codec.whoosh3", "W3Segment"): None, ("whoosh.codec.whoosh3", "W3Codec"): None,
}


class _IndexUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            found = INDEX_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"{module}.{name} is not allowed in a search index") from None
        return found if found is not None else super().find_class(module, name)


def index_load(stream: IO[bytes]) -> Any:
    """Unpickle one object from ``stream``, allowing only `INDEX_GLOBALS`."""
    return _IndexUnpickler(stream).load()


def index_loads(data: bytes) -> Any:
    """Unpickle ``data``, allowing only `INDEX_GLOBALS`."""
    return _IndexUnpickler(io.BytesIO(data)).load()


def is_regular(found: os.stat_result) -> bool:
    """A regular file (not a link, FIFO, device or folder)."""
    return stat.S_ISREG(found.st_mode)


def read_regular(path: Path, limit: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file (not through a link, and
    never blocking on a FIFO); OSError otherwise. Only ``limit`` bytes if given."""
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC)
    with open(fd, "rb", closefd=True) as stream:
        if not is_regular(os.fstat(fd)):
            raise OSError(f"'{path.name}' is not a regular file")
        return stream.read() if limit is None else stream.read(limit)


@contextlib.contextmanager
def hold_lock(path: Path, wait: float) -> Iterator[bool]:
    """Hold the exclusive lock on the file ``path`` (made if missing, never
    through a link), waiting up to ``wait`` seconds; yield whether it is held.
    The lock goes with the process: a killed process does not leave it held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _NONBLOCK | _CLOEXEC, 0o644)
    try:
        if not is_regular(os.fstat(fd)):
            raise OSError(f"'{path}' is not a regular file")
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                yield False
                return
            time.sleep(0.05)
        try:
            yield True
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    if fcntl is None:  # pragma: no cover - Windows
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _owned_folder(path: Path) -> bool:
    found = os.lstat(path)
    getuid = getattr(os, "geteuid", None)
    return stat.S_ISDIR(found.st_mode) and (getuid is None or found.st_uid == getuid())


def is_own_folder(path: Path) -> bool:
    """Whether ``path`` is a real folder (not a link) of this user."""
    try:
        return _owned_folder(path)
    except OSError:
        return False


def remove_leftover(path: Path) -> None:
    """Delete one leftover: a regular file, or a temporary folder of regular
    files. Anything else (a link, a FIFO, a folder holding other things) stays."""
    try:
        found = os.lstat(path)
        if is_regular(found):
            os.unlink(path)
        elif _owned_folder(path):
            remove_build(path, ours=lambda name: True, temp_dir=lambda name: False)
    except FileNotFoundError:
        pass


def remove_build(folder: Path, ours: Callable[[str], object],
                 temp_dir: Callable[[str], object]) -> bool:
    """Delete a build folder if it is a real folder of this user holding only
    regular files whose names are ``ours`` and ``temp_dir`` folders of regular
    files; return whether it was deleted. Nothing is followed through a link."""
    try:
        if not _owned_folder(folder):
            return False
        files, folders = [], []
        with os.scandir(folder) as entries:
            listed = list(entries)
        for entry in listed:
            found = entry.stat(follow_symlinks=False)
            if is_regular(found) and ours(entry.name):
                files.append(Path(entry.path))
            elif temp_dir(entry.name) and _owned_folder(Path(entry.path)):
                with os.scandir(entry.path) as entries:
                    inner = list(entries)
                if not all(is_regular(e.stat(follow_symlinks=False)) for e in inner):
                    return False
                files.extend(Path(e.path) for e in inner)
                folders.append(Path(entry.path))
            else:
                return False
        for path in files:
            os.unlink(path)
        for path in [*folders, folder]:
            os.rmdir(path)
        return True
    except FileNotFoundError:  # removed meanwhile (by another process cleaning up)
        return False
