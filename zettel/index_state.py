"""What the search index knows about the files, and what a sync must redo.

No Whoosh here: `zettel.search` owns the index itself. This module keeps,
beside it, a manifest of every indexed file (size, mtime, content digest) and
works out from a fresh listing of the vault which notes were added, changed,
renamed or deleted since the last sync, and which were merely touched.

On disk, ``<vault>/.zettel/index/`` holds one folder per build and a file
``CURRENT`` naming the folder in use. A rebuild writes a new folder and only
then points ``CURRENT`` at it, so an interrupted rebuild leaves the previous
index usable. The manifest also records the size and mtime of every file of
the index as written (`Manifest.index_files`): an index whose files differ is
not read, but rebuilt. The folders themselves, and what is read or deleted in
them, are checked by `zettel.index_files`.
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

from zettel.cache import racy_size, safe_loads
from zettel.index_files import (
    is_own_folder,
    is_regular,
    read_regular,
    remove_build,
    remove_leftover,
    write_atomic,
)
from zettel.model import Note
from zettel.statedir import STATE_DIR, state_path
from zettel.vault import FileEntry

#: Bump when the schema, the analysis or the files change: older indexes are rebuilt.
SCHEMA_VERSION = 5
INDEX_DIR = "index"
MANIFEST = "zettel-manifest.pickle"
CURRENT = "CURRENT"
LOCK = "LOCK"
IGNORE = ".gitignore"

#: The names zettel gives its build folders.
BUILD = re.compile(r"build-\d+-\d+")
#: Whoosh's files in a build folder (index name MAIN): tables of contents and
#: segments' files (a column's file is named after its field: any word characters).
TOC = re.compile(r"_MAIN_(\d+)\.toc")
SEGMENT = re.compile(r"MAIN_[0-9a-z]+\.[\w.]+")
#: What else zettel and Whoosh write in a build folder: locks, temporaries.
_OTHERS = re.compile(r"MAIN_WRITELOCK|zettel-manifest\.pickle(\.\d+\.tmp)?|_MAIN_\d+\.toc\.[\d.]+")
#: Temporary folders of Whoosh's writers.
TEMP_DIR = re.compile(r"[A-Za-z0-9_]+\.tmp")
_KEPT = {MANIFEST, "MAIN_WRITELOCK"}

#: path -> (size, mtime_ns, digest); size -1 forces a re-read, digest None a reindex.
Files = dict[str, tuple[int, int, str | None]]
#: file name in a build folder -> (size, mtime_ns), as zettel last wrote it.
Stamps = dict[str, tuple[int, int]]


def index_root(vault: Path) -> Path:
    """The folder that holds the search index of ``vault`` (not checked)."""
    return vault / STATE_DIR / INDEX_DIR


def checked_root(vault: Path, *, create: bool = False) -> Path:
    """`index_root`, with ``.zettel`` and ``index`` checked to be real folders
    of this user (`zettel.statedir.UnsafeStateDir` otherwise); made if ``create``."""
    root = state_path(vault, INDEX_DIR, create=create)
    if create:
        with contextlib.suppress(FileExistsError):  # there already
            write_atomic(root / IGNORE, b"# zettel's search index, rebuilt when missing\n*\n",
                         replace=False)
    return root


@dataclass
class Manifest:
    """The indexed files, and the Whoosh generation they were committed in."""

    generation: int
    fingerprint: str | None
    files: Files = field(default_factory=dict)
    version: int = SCHEMA_VERSION
    #: The manifest file's identity when read, to notice another process's write.
    stamp: tuple[int, int, int] | None = None
    #: The index's own files when the manifest was written.
    index_files: Stamps = field(default_factory=dict)
    #: index field -> the sum of the indexed notes' lengths in it (for ranking).
    lengths: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, generation: int, fingerprint: str, files: Files,
           lengths: dict[str, int]) -> Manifest:
        """A manifest for ``files`` as just indexed; while one of them is racy
        (size -1), no fingerprint, so the next sync compares file by file."""
        racy = any(size < 0 for size, _, _ in files.values())
        return cls(generation, None if racy else fingerprint, files, lengths=lengths)


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
    write_atomic(root / CURRENT, (folder.name + "\n").encode("utf-8"))


def leftovers(root: Path, current: Path | None, stamps: Stamps | None) -> list[Path]:
    """What killed or replaced builds left, that zettel wrote and may delete:
    other build folders, temporaries, files of the current build that its
    manifest does not list (``stamps``; None: the current build is not looked in)."""
    found = []
    with os.scandir(root) as entries:
        for entry in entries:
            name = entry.name
            other_build = BUILD.fullmatch(name) and (current is None or name != current.name)
            if other_build or (name.startswith(f"{CURRENT}.") and name.endswith(".tmp")):
                found.append(Path(entry.path))
    if current is not None and stamps is not None and is_own_folder(current):
        with os.scandir(current) as entries:
            for entry in entries:
                name = entry.name
                if name in stamps or name in _KEPT:
                    continue
                if TOC.fullmatch(name) or SEGMENT.fullmatch(name) or _OTHERS.fullmatch(name) \
                        or TEMP_DIR.fullmatch(name):
                    found.append(Path(entry.path))
    return found


def clean_up(root: Path, current: Path | None, stamps: Stamps | None) -> list[str]:
    """Delete the `leftovers`; call it only while holding the index's lock.
    A folder holding anything zettel does not write is left as it is. Returns
    what could not be deleted, and why."""
    failed = []
    for path in leftovers(root, current, stamps):
        try:
            if BUILD.fullmatch(path.name):
                remove_build(path, ours=_ours, temp_dir=TEMP_DIR.fullmatch)
            else:
                remove_leftover(path)
        except OSError as err:
            failed.append(f"cannot remove {path.name} from the search index folder: "
                          f"{err.strerror or err}")
    return failed


def _ours(name: str) -> bool:
    return bool(TOC.fullmatch(name) or SEGMENT.fullmatch(name) or _OTHERS.fullmatch(name))


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
        files, stamps, lengths = data["files"], data["index_files"], data["lengths"]
        if not all(isinstance(d, dict) for d in (files, stamps, lengths)):
            raise TypeError("files is not a mapping")
        return Manifest(int(data["generation"]), data["fingerprint"], files, stamp=stamp,
                        index_files=stamps, lengths=lengths), None
    except (KeyError, TypeError, ValueError) as err:
        return None, f"its manifest is malformed ({err})"


def manifest_stamp(folder: Path) -> tuple[int, int, int] | None:
    """The manifest file's inode, size and mtime (None when it is missing)."""
    try:
        found = (folder / MANIFEST).stat()
    except OSError:
        return None
    return (found.st_ino, found.st_size, found.st_mtime_ns)


def save_manifest(folder: Path, manifest: Manifest) -> None:
    """Write the manifest atomically (a crash leaves the old one or the new one),
    with the stamps of the index's files as they are now."""
    manifest.index_files = stamp_files(folder)
    data = {"version": manifest.version, "generation": manifest.generation,
            "fingerprint": manifest.fingerprint, "files": manifest.files,
            "index_files": manifest.index_files, "lengths": manifest.lengths}
    write_atomic(folder / MANIFEST, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))


def stamp_files(folder: Path) -> Stamps:
    """The size and mtime of each of Whoosh's files in ``folder``."""
    stamps = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if TOC.fullmatch(entry.name) or SEGMENT.fullmatch(entry.name):
                found = entry.stat(follow_symlinks=False)
                if is_regular(found):
                    stamps[entry.name] = (found.st_size, found.st_mtime_ns)
    return stamps


def files_differ(folder: Path, manifest: Manifest) -> str | None:
    """Why the index files in ``folder`` are not those its manifest lists (None
    when they are): only files zettel wrote, as it wrote them, are ever read."""
    newest = max((int(m.group(1)) for m in map(TOC.fullmatch, os.listdir(folder)) if m),
                 default=-1)
    if newest != manifest.generation or f"_MAIN_{newest}.toc" not in manifest.index_files:
        return "it does not match its manifest (an update was interrupted)"
    for name, (size, mtime_ns) in manifest.index_files.items():
        if not (TOC.fullmatch(name) or SEGMENT.fullmatch(name)):
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
