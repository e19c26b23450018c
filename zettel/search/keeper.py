"""Full-text search: the index of a vault, kept in step with its files.

`SearchIndex` (a `zettel.search.protocol.SearchEngine`, what the command line,
the TUI and the Python API hold) keeps the index of a vault in
``<vault>/.zettel/index/`` in step with its files: `SearchIndex.sync`
reindexes only the notes added, changed, renamed or deleted since the last
sync (`zettel.search.state` works out which). A missing, corrupt or
incompatible index is rebuilt, with a notice; while another process writes
the index, this one searches it as it is, with a notice.

This module is engine-neutral: the lock, the build folders and the switch
from one to the next, the manifest, recovering from a damaged index. What
depends on the engine is asked of a `zettel.search.protocol.Backend`: Whoosh's
(`zettel.search.whoosh.engine`), imported when an index is first made, so importing
this module loads no Whoosh. The query language is docs/search.md.

The index is inside the vault, which may come from someone else, so nothing
in it is trusted: only files the manifest lists, unchanged since zettel wrote
them, are read at all, and the backend reads them through its own guards
(`zettel.search.whoosh.schema`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from zettel.core.model import Note
from zettel.search import state
from zettel.search.files import hold_lock, is_own_folder
from zettel.search.model import (
    DamagedIndex,
    Hit,
    IndexBusy,
    QueryError,
    Results,
    SyncReport,
)
from zettel.vault.scan import (
    file_digest,
    listing_fingerprint,
    open_vault,
    read_note,
    read_with_digest,
    scan_folder,
)

if TYPE_CHECKING:
    from zettel.search.protocol import Backend, IndexProgress, OpenIndex

__all__ = ["Hit", "IndexBusy", "QueryError", "Results", "SearchIndex", "SyncReport"]

#: How long to wait for another process's write lock before searching as is.
LOCK_WAIT = 2.0

T = TypeVar("T")
#: The build in use and its manifest.
Current = tuple["OpenIndex", state.Manifest]


def default_backend() -> Backend:
    """The Whoosh backend (Whoosh is imported now)."""
    from zettel.search.whoosh.engine import WhooshBackend  # noqa: PLC0415 - Whoosh, on first use

    return WhooshBackend()


class SearchIndex:
    """The full-text index of one vault. Call `sync` before searching.

    ``procs`` caps the processes of a full build (default: the backend's
    choice). Notices for the user (rebuilds, a busy index) gather in
    ``notices``. A ``.zettel`` or ``.zettel/index`` that is a link, not a
    folder, or another user's raises `zettel.vault.statedir.UnsafeStateDir`.
    ``backend``: the engine (default: Whoosh's).
    """

    def __init__(self, vault: Path | str, *, procs: int | None = None,
                 backend: Backend | None = None) -> None:
        self.vault = Path(vault)
        self.root = state.index_root(self.vault)
        self.procs = procs
        self.notices: list[str] = []
        self._backend = backend
        self._current: Current | None = None

    @property
    def backend(self) -> Backend:
        """The engine (Whoosh's unless another was given)."""
        if self._backend is None:
            self._backend = default_backend()
        return self._backend

    # -- keeping in step

    def sync(self, *, rebuild: bool = False, progress: IndexProgress | None = None) -> SyncReport:
        """Bring the index up to date with the files, touching only what changed."""
        started, started_ns = time.perf_counter(), time.time_ns()
        self.close()
        listing = scan_folder(self.vault)
        fingerprint = listing_fingerprint(*listing)
        self.root = state.checked_root(self.vault)
        current, why = (None, None) if rebuild else self._open_current()
        if current and current[1].fingerprint == fingerprint:
            self._current = current
            self._tidy(current)
            return SyncReport(notes=len(listing[1]), seconds=time.perf_counter() - started)
        self.root = state.checked_root(self.vault, create=True)
        with self._write_lock() as locked:
            if not locked:
                return self._read_only(current, started)
            if not rebuild and self._manifest_moved(current):  # another process synced
                if current:
                    current[0].close()
                current, why = self._open_current()
            if current is None:
                if why:
                    self.notices.append(f"rebuilt the search index: {why}")
                changes = self._rebuild(listing, started_ns, progress)
                report = SyncReport(changes, len(listing[1]), rebuilt=True)
            else:
                changes = self._update(current, listing, fingerprint, started_ns)
                report = SyncReport(changes, len(listing[1]))
            self._clean_up()
        report.seconds = time.perf_counter() - started
        return report

    def _open_current(self) -> tuple[Current | None, str | None]:
        """The build in use and its manifest, or None and why it cannot be used
        (None and no reason when there is no index yet)."""
        folder = state.current_folder(self.root)
        if folder is None:
            try:
                builds = any(state.BUILD.fullmatch(name) for name in os.listdir(self.root))
            except OSError:
                builds = False
            return None, "its pointer file is missing" if builds else None
        if not is_own_folder(folder):
            return None, f"{folder.name} is not a folder zettel made"
        manifest, why = state.load_manifest(folder)
        if manifest is None:
            return None, why
        backend = self.backend
        why = backend.check(folder, manifest.engine, manifest.index_files) or \
            state.files_differ(folder, manifest, backend.files)
        if why:
            return None, why
        try:
            return (backend.open(folder, manifest.engine), manifest), None
        except DamagedIndex as err:
            return None, str(err)

    def _manifest_moved(self, current: Current | None) -> bool:
        """Whether the manifest changed since `_open_current` read it."""
        if current is None:
            return True
        folder = state.current_folder(self.root)
        return folder is None or state.manifest_stamp(folder) != current[1].stamp

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[bool]:
        """Hold the vault's index lock, waiting up to `LOCK_WAIT`; yield whether held."""
        with hold_lock(self.root / state.LOCK, LOCK_WAIT) as held:
            yield held

    def _tidy(self, current: Current) -> None:
        """Delete what killed builds left, if anything, when no other process
        holds the lock (never waiting for it)."""
        folder = state.current_folder(self.root)
        if folder is None or not state.leftovers(self.root, folder, current[1].index_files,
                                                 self.backend.files):
            return
        with hold_lock(self.root / state.LOCK, 0) as locked:
            if locked:
                self._clean_up()

    def _clean_up(self) -> None:
        """Delete leftovers (the lock is held)."""
        folder = state.current_folder(self.root)
        manifest = state.load_manifest(folder)[0] if folder else None
        stamps = manifest.index_files if manifest else None
        self.notices.extend(state.clean_up(self.root, folder, stamps, self.backend.files))

    def _read_only(self, current: Current | None, started: float) -> SyncReport:
        if current is None:
            raise IndexBusy("another zettel process is building the search index; "
                            "try again when it is done")
        self._current = current
        self.notices.append("another zettel process is updating the search index; "
                            "searching it as it is")
        return SyncReport(read_only=True, seconds=time.perf_counter() - started)

    def _rebuild(self, listing: Any, started_ns: int,
                 progress: IndexProgress | None) -> state.Changes:
        """Index every note into a new build folder, then switch to it."""
        _, entries, _ = listing
        report = progress or (lambda phase, done, total: None)
        folder = state.new_build_folder(self.root)
        built = None
        try:
            vault = open_vault(self.vault, listing=listing,
                               progress=lambda done, total: report("reading", done, total))
            built = self.backend.build(folder, vault.notes, len(entries), report, self.procs)
            files: state.Files = {}
            for entry in entries:
                state.record(files, entry, file_digest(self.vault, entry), started_ns)
            manifest = state.Manifest.of(built.state, listing_fingerprint(*listing), files)
            state.save_manifest(folder, manifest, self.backend.files)
            state.switch_to(self.root, folder)
        except BaseException:
            if built is not None:
                built.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._current = (built, manifest)
        return state.Changes(added=[e.path for e in entries])

    def _update(self, current: Current, listing: Any, fingerprint: str,
                started_ns: int) -> state.Changes:
        """Reindex what changed since the manifest, and record it."""
        opened, manifest = current
        _, entries, _ = listing
        read = [(entry, *read_with_digest(self.vault, entry.path))
                for entry in state.stale_entries(manifest.files, entries)]
        changes = state.classify(manifest.files, {e.path for e in entries}, read)
        notes = {entry.path: note for entry, note, _ in read}
        if changes.reindexed or changes.removed:
            opened.update(changes.removed, [notes[path] for path in changes.reindexed])
        files = dict(manifest.files)
        for path in changes.removed:
            files.pop(path, None)
        for entry, _, digest in read:
            state.record(files, entry, digest, started_ns)
        folder = state.current_folder(self.root)
        assert folder is not None
        updated = state.Manifest.of(opened.state, fingerprint, files)
        state.save_manifest(folder, updated, self.backend.files)
        self._current = (opened, updated)
        return changes

    # -- searching

    def search(self, text: str, *, limit: int | None = 10, snippets: bool = True,
               count: bool = True) -> Results:
        """The notes matching ``text`` (docs/search.md), best first (then by
        path), with the number of matches in all unless ``count`` is False."""
        def read(path: str) -> Note:
            return read_note(self.vault, path)

        return self._recovering(lambda index: index.search(
            text, limit=limit, snippets=snippets, count=count, read=read))

    def related(self, path: str, *, limit: int = 10) -> list[Hit]:
        """The notes closest in content to the note at ``path``, linked or not."""
        body = read_note(self.vault, path).body
        return self._recovering(lambda index: index.related(path, body, limit=limit))

    def close(self) -> None:
        """Release the index's files (they stay open otherwise)."""
        if self._current is not None:
            self._current[0].close()

    def _index(self) -> OpenIndex:
        if self._current is None:
            raise RuntimeError("call sync() before searching")
        return self._current[0]

    def _recovering(self, action: Callable[[OpenIndex], T]) -> T:
        """Run a read of the index; if reading its files fails (a damaged
        index, as the backend tells), rebuild it (with a notice) and run the
        read again. Any other error is raised as it is."""
        try:
            return action(self._index())
        except Exception as err:
            why = self.backend.damage(err)
            if why is None:
                raise
            self.close()
            self._current = None
            self.root = state.checked_root(self.vault, create=True)
            with self._write_lock() as locked:
                if not locked:
                    raise IndexBusy("the search index is damaged and another zettel "
                                    "process is writing it; try again shortly") from err
                self.notices.append(f"rebuilt the search index: {why}")
                self._rebuild(scan_folder(self.vault), time.time_ns(), None)
                self._clean_up()
            return action(self._index())
