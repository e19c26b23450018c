"""What the search index knows about the files, and what a sync must redo.

No Whoosh here: `zettel.search` owns the index itself. This module keeps,
beside it, a manifest of every indexed file (size, mtime, content digest) and
works out from a fresh listing of the vault which notes were added, changed,
renamed or deleted since the last sync, and which were merely touched.

On disk, ``<vault>/.zettel/index/`` holds one folder per build and a file
``CURRENT`` naming the folder in use. A rebuild writes a new folder and only
then points ``CURRENT`` at it, so an interrupted rebuild leaves the previous
index usable.
"""

from __future__ import annotations

import os
import pickle
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from zettel.cache import racy_size, safe_loads
from zettel.config import STATE_DIR
from zettel.model import Note
from zettel.vault import FileEntry

#: Bump when the schema or the analysis changes: older indexes are rebuilt.
SCHEMA_VERSION = 3
INDEX_DIR = "index"
MANIFEST = "zettel-manifest.pickle"
CURRENT = "CURRENT"

#: path -> (size, mtime_ns, digest); size -1 forces a re-read, digest None a reindex.
Files = dict[str, tuple[int, int, str | None]]


def index_root(vault: Path) -> Path:
    """The folder that holds the search index of ``vault``."""
    return vault / STATE_DIR / INDEX_DIR


@dataclass
class Manifest:
    """The indexed files, and the Whoosh generation they were committed in."""

    generation: int
    fingerprint: str | None
    files: Files = field(default_factory=dict)
    version: int = SCHEMA_VERSION
    #: The manifest file's identity when read, to notice another process's write.
    stamp: tuple[int, int, int] | None = None

    @classmethod
    def of(cls, generation: int, fingerprint: str, files: Files) -> Manifest:
        """A manifest for ``files`` as just indexed; while one of them is racy
        (size -1), no fingerprint, so the next sync compares file by file."""
        racy = any(size < 0 for size, _, _ in files.values())
        return cls(generation, None if racy else fingerprint, files)


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
    """The build folder ``CURRENT`` names, if any."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return root / name if name and "/" not in name and name not in (".", "..") else None


def new_build_folder(root: Path) -> Path:
    """A fresh, empty folder for a new build."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"build-{time.time_ns()}-{os.getpid()}"
    folder.mkdir()
    return folder


def switch_to(root: Path, folder: Path) -> None:
    """Point ``CURRENT`` at ``folder`` (atomically), then delete the other builds."""
    temporary = root / f"{CURRENT}.{os.getpid()}.tmp"
    temporary.write_text(folder.name + "\n", encoding="utf-8")
    os.replace(temporary, root / CURRENT)
    remove_stale_builds(root, keep=folder)


def remove_stale_builds(root: Path, keep: Path | None) -> None:
    """Delete build folders other than ``keep`` (left by replaced or killed builds)."""
    for child in root.glob("build-*"):
        if child.is_dir() and child != keep:
            shutil.rmtree(child, ignore_errors=True)


def load_manifest(folder: Path) -> tuple[Manifest | None, str | None]:
    """The manifest of a build folder, or None and why it cannot be used."""
    try:
        stamp = manifest_stamp(folder)
        data = safe_loads((folder / MANIFEST).read_bytes())
    except FileNotFoundError:
        return None, "its manifest is missing"
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:
        return None, f"its manifest is unreadable ({type(err).__name__}: {err})"
    if not isinstance(data, dict) or data.get("version") != SCHEMA_VERSION:
        return None, "it was made by another version of zettel"
    try:
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError("files is not a mapping")
        return Manifest(int(data["generation"]), data["fingerprint"], files, stamp=stamp), None
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
    """Write the manifest atomically (a crash leaves the old one or the new one)."""
    data = {"version": manifest.version, "generation": manifest.generation,
            "fingerprint": manifest.fingerprint, "files": manifest.files}
    temporary = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(temporary, folder / MANIFEST)


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
