"""What the search index knows about the files, and what a sync must redo.

Engine-neutral: no Whoosh here, nor any engine's file names (an engine says
which names it writes, `FileKinds`). This module keeps, beside the index, a
manifest of every indexed file (size, mtime, content digest) and works out
from a fresh listing of the vault which notes were added, changed, renamed
or deleted since the last sync, and which were merely touched.

On disk, ``<vault>/.zettel/index/`` holds one folder per build and a file
``CURRENT`` naming the folder in use. A rebuild writes a new folder and only
then points ``CURRENT`` at it, so an interrupted rebuild leaves the previous
index usable. The manifest also records the size and mtime of every file of
the index as written (`Manifest.index_files`), and the engine's own record of
its build (`Manifest.engine`): an index whose files differ is not read, but
rebuilt. The folders themselves, and what is read or deleted in them, are
checked by `zettel.search.files`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zettel.core.model import Note
from zettel.search.files import (
    is_own_folder,
    is_regular,
    read_regular,
    remove_build,
    remove_leftover,
)
from zettel.vault.cache import racy_size, safe_loads
from zettel.vault.scan import FileEntry
from zettel.vault.statedir import STATE_DIR, state_path
from zettel.vault.write import atomic_write, create_exclusive, is_temp_name

#: Bump when the schema, the analysis or the files change: older indexes are rebuilt.
SCHEMA_VERSION = 5
INDEX_DIR = "index"
MANIFEST = "zettel-manifest.pickle"
CURRENT = "CURRENT"
LOCK = "LOCK"
IGNORE = ".gitignore"

#: The names zettel gives its build folders, and the manifest and its temporaries.
BUILD = re.compile(r"build-\d+-\d+")
_MANIFESTS = re.compile(r"zettel-manifest\.pickle(\.\d+\.tmp)?")

#: path -> (size, mtime_ns, digest); size -1 forces a re-read, digest None a reindex.
Files = dict[str, tuple[int, int, str | None]]
#: file name in a build folder -> (size, mtime_ns), as zettel last wrote it.
Stamps = dict[str, tuple[int, int]]
#: An engine's record of one build, kept in the manifest: plain data only (str
#: keys; ints, strs, and dicts of them), which the engine checks when read.
EngineState = dict[str, Any]


@dataclass(frozen=True)
class FileKinds:
    """The names an engine gives what it writes in a build folder."""

    #: The index itself: recorded in the manifest, checked before it is read.
    data: re.Pattern[str]
    #: Its lock files: kept in the build in use.
    locks: frozenset[str]
    #: Its temporary files, and folders of them: deleted when left over.
    temporary: re.Pattern[str]
    temporary_folder: re.Pattern[str]

    def written(self, name: str) -> bool:
        """Whether zettel or the engine writes files named ``name`` in a build."""
        return bool(self.data.fullmatch(name) or name in self.locks
                    or self.temporary.fullmatch(name) or _MANIFESTS.fullmatch(name)
                    or (name.startswith(f".{MANIFEST}.") and is_temp_name(name)))


def index_root(vault: Path) -> Path:
    """The folder that holds the search index of ``vault`` (not checked)."""
    return vault / STATE_DIR / INDEX_DIR


def checked_root(vault: Path, *, create: bool = False) -> Path:
    """`index_root`, with ``.zettel`` and ``index`` checked to be real folders
    of this user (`zettel.vault.statedir.UnsafeStateDir` otherwise); made if ``create``."""
    root = state_path(vault, INDEX_DIR, create=create)
    if create:
        with contextlib.suppress(FileExistsError):  # there already
            create_exclusive(root / IGNORE, b"# zettel's search index, rebuilt when missing\n*\n")
    return root


@dataclass
class Manifest:
    """The indexed files, and the engine's record of the build that holds them."""

    engine: EngineState
    fingerprint: str | None
    files: Files = field(default_factory=dict)
    version: int = SCHEMA_VERSION
    #: The manifest file's identity when read, to notice another process's write.
    stamp: tuple[int, int, int] | None = None
    #: The index's own files when the manifest was written.
    index_files: Stamps = field(default_factory=dict)

    @classmethod
    def of(cls, engine: EngineState, fingerprint: str, files: Files) -> Manifest:
        """A manifest for ``files`` as just indexed; while one of them is racy
        (size -1), no fingerprint, so the next sync compares file by file."""
        racy = any(size < 0 for size, _, _ in files.values())
        return cls(dict(engine), None if racy else fingerprint, files)


@dataclass
class Changes:
    """What a sync found, by kind, as vault-relative paths."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)

    @property
    def reindexed(self) -> list[str]:
        """Paths whose document is (re)written: added, changed, renamed to."""
        return self.added + self.changed + [new for _, new in self.renamed]

    @property
    def removed(self) -> list[str]:
        """Paths whose document is dropped: deleted, renamed from."""
        return self.deleted + [old for old, _ in self.renamed]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deleted or self.renamed or self.touched)


def current_folder(root: Path) -> Path | None:
    """The build folder ``CURRENT`` names, if it names one (it is not checked)."""
    try:
        name = read_regular(root / CURRENT, limit=256).decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return root / name if BUILD.fullmatch(name) else None


def new_build_folder(root: Path) -> Path:
    """A fresh, empty folder for a new build (``root`` is checked by the caller)."""
    folder = root / f"build-{time.time_ns()}-{os.getpid()}"
    folder.mkdir(mode=0o755)
    return folder


def switch_to(root: Path, folder: Path) -> None:
    """Point ``CURRENT`` at ``folder`` (atomically); `clean_up` deletes the others."""
    atomic_write(root / CURRENT, (folder.name + "\n").encode("utf-8"), durable=False)


def leftovers(root: Path, current: Path | None, stamps: Stamps | None,
              kinds: FileKinds) -> list[Path]:
    """What killed or replaced builds left, that zettel wrote and may delete:
    other build folders, temporaries, files of the current build that its
    manifest does not list (``stamps``; None: the current build is not looked in);
    ``kinds``: the names the engine writes."""
    found = []
    with os.scandir(root) as entries:
        for entry in entries:
            name = entry.name
            other_build = BUILD.fullmatch(name) and (current is None or name != current.name)
            if other_build or (name.startswith(f"{CURRENT}.") and name.endswith(".tmp")) or (
                    name.startswith(f".{CURRENT}.") and is_temp_name(name)):
                found.append(Path(entry.path))
    if current is not None and stamps is not None and is_own_folder(current):
        with os.scandir(current) as entries:
            for entry in entries:
                name = entry.name
                if name in stamps or name in kinds.locks or name == MANIFEST:
                    continue
                if kinds.written(name) or kinds.temporary_folder.fullmatch(name):
                    found.append(Path(entry.path))
    return found


def clean_up(root: Path, current: Path | None, stamps: Stamps | None,
             kinds: FileKinds) -> list[str]:
    """Delete the `leftovers`; call it only while holding the index's lock.
    A folder holding anything zettel does not write is left as it is. Returns
    what could not be deleted, and why."""
    failed = []
    for path in leftovers(root, current, stamps, kinds):
        try:
            if BUILD.fullmatch(path.name):
                remove_build(path, ours=kinds.written, temp_dir=kinds.temporary_folder.fullmatch)
            else:
                remove_leftover(path)
        except OSError as err:
            failed.append(f"cannot remove {path.name} from the search index folder: "
                          f"{err.strerror or err}")
    return failed


def load_manifest(folder: Path) -> tuple[Manifest | None, str | None]:
    """The manifest of a build folder, or None and why it cannot be used."""
    try:
        stamp = manifest_stamp(folder)
        data = safe_loads(read_regular(folder / MANIFEST))
    except FileNotFoundError:
        return None, "its manifest is missing"
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        return None, f"its manifest is unreadable ({type(err).__name__}: {err})"
    if not isinstance(data, dict) or data.get("version") != SCHEMA_VERSION:
        return None, "it was made by another version of zettel"
    try:
        engine, files, stamps = data["engine"], data["files"], data["index_files"]
        if not all(isinstance(d, dict) for d in (engine, files, stamps)):
            raise TypeError("files is not a mapping")
        return Manifest(engine, data["fingerprint"], files, stamp=stamp,
                        index_files=stamps), None
    except (KeyError, TypeError, ValueError) as err:
        return None, f"its manifest is malformed ({err})"


def manifest_stamp(folder: Path) -> tuple[int, int, int] | None:
    """The manifest file's inode, size and mtime (None when it is missing)."""
    try:
        found = (folder / MANIFEST).stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def save_manifest(folder: Path, manifest: Manifest, kinds: FileKinds) -> None:
    """Write the manifest atomically (a crash leaves the old one or the new one),
    with the stamps of the index's files (``kinds.data``) as they are now."""
    manifest.index_files = stamp_files(folder, kinds)
    data = {"version": manifest.version, "engine": manifest.engine,
            "fingerprint": manifest.fingerprint, "files": manifest.files,
            "index_files": manifest.index_files}
    atomic_write(folder / MANIFEST, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL),
                 durable=False)


def stamp_files(folder: Path, kinds: FileKinds) -> Stamps:
    """The size and mtime of each of the index's files in ``folder``."""
    stamps = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if kinds.data.fullmatch(entry.name):
                found = entry.stat(follow_symlinks=False)
                if is_regular(found):
                    stamps[entry.name] = (found.st_size, found.st_mtime_ns)
    return stamps


def files_differ(folder: Path, manifest: Manifest, kinds: FileKinds) -> str | None:
    """Why the index files in ``folder`` are not those its manifest lists (None
    when they are): only files zettel wrote, as it wrote them, are ever read."""
    for name, (size, mtime_ns) in manifest.index_files.items():
        if not kinds.data.fullmatch(name):
            return "its manifest names a file zettel does not write"
        try:
            found = os.lstat(folder / name)
        except OSError:
            return f"its file {name} is missing"
        if not is_regular(found):
            return f"its file {name} is not a regular file"
        if (found.st_size, found.st_mtime_ns) != (size, mtime_ns):
            return f"its file {name} was changed since zettel wrote it"
    return None


def stale_entries(files: Files, entries: Iterable[FileEntry]) -> list[FileEntry]:
    """Listed files whose size or mtime differ from the manifest (or are new)."""
    stale = []
    for entry in entries:
        known = files.get(entry.path)
        if known is None or known[0] != entry.size or known[1] != entry.mtime_ns:
            stale.append(entry)
    return stale


def classify(files: Files, listed: set[str],
             read: Iterable[tuple[FileEntry, Note, str | None]]) -> Changes:
    """Sort re-read files into added, changed, touched and renamed, and find
    the deleted ones. A rename is a deleted path whose content digest is the
    digest of an added one."""
    changes = Changes()
    added: dict[str, str | None] = {}
    for entry, _note, digest in read:
        known = files.get(entry.path)
        if known is None:
            added[entry.path] = digest
        elif digest is not None and known[2] == digest:
            changes.touched.append(entry.path)
        else:
            changes.changed.append(entry.path)
    gone = [path for path in files if path not in listed]
    by_digest = {digest: path for path, digest in added.items() if digest is not None}
    for path in gone:
        new = by_digest.pop(files[path][2] or "", None)
        if new is not None and new in added:
            changes.renamed.append((path, new))
            del added[new]
        else:
            changes.deleted.append(path)
    changes.added = list(added)
    return changes


def record(files: Files, entry: FileEntry, digest: str | None, started_ns: int) -> None:
    """Remember a file as indexed now (a racy mtime forces a re-read next time)."""
    files[entry.path] = (racy_size(entry.size, entry.mtime_ns, started_ns), entry.mtime_ns,
                         digest)
