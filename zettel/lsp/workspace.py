"""What the server knows: the vaults it serves, and the buffers open in the editor.

The vault of a file is ``--vault`` when given (a file outside it has none);
else the nearest folder holding a ``.zettel/`` folder, looking up from the file
no higher than the workspace folder that holds it; else that workspace folder;
else, for a file in no workspace folder, the nearest folder above it holding a
``.zettel/`` folder. A vault is read (through the parse cache) when a file of
it is first opened. A file with no vault, or that is no note of its vault (not
a note extension, in a hidden or ignored folder), is served without the
vault's features.

An open buffer's text is what the editor sent (unsaved edits included): its
note takes the place of its file's note in the vault, and goes back to the
file's when the buffer is closed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from zettel.core.body import mask_code
from zettel.core.model import Note
from zettel.core.parse import decode, parse_text
from zettel.lsp.positions import UTF16, BodyMap, LineIndex
from zettel.lsp.state import VaultState
from zettel.vault.config import STATE_DIR, ConfigError
from zettel.vault.scan import VaultError, read_bytes, read_note
from zettel.vault.statedir import UnsafeStateDir

#: What a disk change is: the absolute path, and whether the file exists now.
Change = tuple[Path, bool]
Log = Callable[[str], None]


@dataclass
class Buffer:
    """A document open in the editor. ``rel`` is its vault-relative path when it
    is a note of ``vault``; the parsed note, line index and body map follow its text."""

    uri: str
    text: str
    version: int
    vault: VaultState | None = None
    rel: str | None = None
    encoding: str = UTF16
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def note(self) -> Note:
        """The buffer's text parsed as a note."""
        found = self._cache.get("note")
        if found is None:
            name = self.rel or self.uri.rsplit("/", 1)[-1] or "untitled.md"
            found = self._cache["note"] = parse_text(name, self.text)
        return found

    @property
    def lines(self) -> LineIndex:
        found = self._cache.get("lines")
        if found is None:
            found = self._cache["lines"] = LineIndex(self.text, self.encoding)
        return found

    @property
    def body(self) -> BodyMap:
        """Body offsets of the buffer's note to offsets of its text, and back."""
        found = self._cache.get("body")
        if found is None:
            note = self.note
            found = self._cache["body"] = BodyMap(self.text, note.body_line, len(note.body))
        return found

    @property
    def masked(self) -> str:
        """The note's body with code blanked out (`zettel.core.body.mask_code`)."""
        found = self._cache.get("masked")
        if found is None:
            found = self._cache["masked"] = mask_code(self.note.body)
        return found

    @property
    def in_vault(self) -> bool:
        """True when the buffer is a note of a vault (vault features apply)."""
        return self.vault is not None and self.rel is not None

    def set_text(self, text: str, version: int) -> None:
        self.text, self.version = text, version
        self._cache.clear()

    def apply(self, change: types.TextDocumentContentChangeEvent) -> None:
        """Apply one change the editor sent (a range and its new text, or the whole text)."""
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = self.lines.span(change.range)
            text = self.text[:start] + change.text + self.text[end:]
        else:
            text = change.text
        self.set_text(text, self.version)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """A value computed once per text of the buffer (and state of the vault's
        names and links)."""
        version = self.vault.links_version if self.vault else 0
        found = self._cache.get(key)
        if found is None or found[0] != version:
            found = self._cache[key] = (version, make())
        return found[1]


def _is_hidden_or_ignored(rel: str, config_ignore: Iterable[str]) -> bool:
    parts = rel.split("/")
    if any(part.startswith(".") for part in parts):
        return True
    name = parts[-1]
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p)
               for p in config_ignore)


def relative_to(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` with ``/`` separators, or None when outside."""
    for inside, top in ((Path(os.path.normpath(path)), Path(os.path.normpath(root))),
                        (path.resolve(), root.resolve())):
        try:
            rel = inside.relative_to(top).as_posix()
        except ValueError:
            continue
        return None if rel in (".", "") else rel
    return None


class Workspace:
    """The vaults served and the open buffers (see the module doc)."""

    def __init__(self, vault: Path | None = None, log: Log | None = None) -> None:
        self.fixed = Path(os.path.abspath(vault)) if vault is not None else None
        self.folders: list[Path] = []
        self.vaults: dict[Path, VaultState] = {}
        self.buffers: dict[str, Buffer] = {}
        self.encoding = UTF16
        self.log: Log = log or (lambda message: None)
        #: Called with each vault once it has been read (to watch its files).
        self.on_load: Callable[[VaultState], None] = lambda state: None

    # -- vaults

    def set_folders(self, uris: Iterable[str]) -> None:
        folders = [Path(p) for p in map(to_fs_path, uris) if p]
        self.folders = sorted(folders, key=lambda p: len(p.parts), reverse=True)

    def root_for(self, path: Path) -> Path | None:
        """The vault folder of the file ``path`` (see the module doc)."""
        path = Path(os.path.abspath(path))
        if self.fixed is not None:
            return self.fixed if relative_to(path, self.fixed) else None
        folder = next((f for f in self.folders if relative_to(path, f)), None)
        for parent in path.parents:
            if (parent / STATE_DIR).is_dir():
                return parent
            if folder is not None and parent == folder:
                return folder
        return folder

    def vault(self, root: Path) -> VaultState:
        """The vault at ``root``, read on first use (a vault that cannot be read
        is held empty, with its ``error``)."""
        state = self.vaults.get(root)
        if state is None:
            state = self.vaults[root] = VaultState(root)
            self._load(state)
            self.on_load(state)
        return state

    def _load(self, state: VaultState) -> None:
        try:
            notices = state.load()
        except (VaultError, ConfigError, UnsafeStateDir, OSError) as err:
            state.clear(str(err))
            self.log(f"zettel: vault '{state.root}' cannot be read: {err}")
            notices = ()
        for notice in notices:
            self.log(f"zettel: {notice}")
        self._keep_buffers(state)

    def _keep_buffers(self, state: VaultState) -> None:
        """Put the open buffers' notes back in ``state`` (read again, or emptied)."""
        for buffer in self.buffers.values():
            if buffer.vault is state and buffer.rel is not None:
                state.put(buffer.note)

    def served(self) -> list[VaultState]:
        """Every vault to answer a workspace-wide request from: those read so far,
        else that of ``--vault`` or of each workspace folder."""
        if not self.vaults:
            for folder in [self.fixed] if self.fixed else self.folders:
                root = self.root_for(folder / "_") if folder else None
                if root is not None:
                    self.vault(root)
        return list(self.vaults.values())

    # -- buffers

    def open(self, uri: str, text: str, version: int) -> Buffer:
        buffer = Buffer(uri, text, version, encoding=self.encoding)
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        root = self.root_for(Path(fs_path)) if fs_path else None
        if root is not None:
            state = self.vault(root)
            rel = relative_to(Path(fs_path or ""), root)
            if rel and state.config.is_note_name(rel.rsplit("/", 1)[-1]) \
                    and not _is_hidden_or_ignored(rel, state.config.ignore):
                buffer.rel = rel
            buffer.vault = state
        self.buffers[uri] = buffer
        if buffer.in_vault and buffer.vault is not None:
            buffer.vault.put(buffer.note)
        return buffer

    def change(self, uri: str, changes: Iterable[types.TextDocumentContentChangeEvent],
               version: int) -> Buffer | None:
        buffer = self.buffers.get(uri)
        if buffer is None:
            return None
        old = buffer.note
        for change in changes:
            buffer.apply(change)
        buffer.version = version
        if buffer.in_vault and buffer.vault is not None:
            note = buffer.note
            buffer.vault.put(note, edited=True)
            if note.links != old.links:
                self._mark_linked(buffer, old)
        return buffer

    def _mark_linked(self, buffer: Buffer, old: Note) -> None:
        state = buffer.vault
        if state is None or buffer.rel is None:
            return
        before = {link.target for link in old.links}
        fresh = [link for link in buffer.note.links
                 if link.target not in before and link.kind != "external"]
        reached = {state.resolve(link, buffer.rel).path for link in fresh}
        state.mark_linked({path for path in reached if path and path in state.notes})

    def close(self, uri: str) -> None:
        buffer = self.buffers.pop(uri, None)
        if buffer is None or not buffer.in_vault or buffer.vault is None or buffer.rel is None:
            return
        self._reread(buffer.vault, buffer.rel)

    def buffer(self, uri: str) -> Buffer | None:
        return self.buffers.get(uri)

    def buffer_of(self, state: VaultState, rel: str) -> Buffer | None:
        """The open buffer of the note ``rel`` of ``state``, if it is open."""
        for buffer in self.buffers.values():
            if buffer.vault is state and buffer.rel == rel:
                return buffer
        return None

    def uri_of(self, state: VaultState, rel: str) -> str:
        """The URI of the file ``rel`` of ``state`` (the editor's own for an open buffer)."""
        buffer = self.buffer_of(state, rel)
        if buffer is not None:
            return buffer.uri
        return from_fs_path(str(state.root / rel)) or (state.root / rel).as_uri()

    def text_of(self, state: VaultState, rel: str) -> str | None:
        """The text of note ``rel``: its buffer's, else its file's (None if unreadable)."""
        buffer = self.buffer_of(state, rel)
        if buffer is not None:
            return buffer.text
        try:
            return decode(read_bytes(state.root, rel))[0]
        except OSError:
            return None

    # -- the disk

    def _reread(self, state: VaultState, rel: str) -> None:
        """Take the note ``rel`` from its file again (or forget it, when it is gone)."""
        full = state.root / rel
        if full.is_file():
            state.put(read_note(state.root, rel))
            with contextlib.suppress(OSError):
                state.changed[rel] = full.stat().st_mtime_ns
        else:
            state.remove(rel)

    def disk_changed(self, changes: Iterable[Change]) -> list[VaultState]:
        """Follow files changed on disk; returns the vaults that changed."""
        touched: dict[Path, VaultState] = {}
        for path, exists in changes:
            for root, state in list(self.vaults.items()):
                rel = relative_to(path, root)
                if path == root or (rel is None and not root.exists()):
                    self._root_changed(state)
                    touched[root] = state
                    continue
                if rel is None:
                    continue
                if self._file_changed(state, rel, exists):
                    touched[root] = state
        return list(touched.values())

    def _root_changed(self, state: VaultState) -> None:
        if state.root.is_dir():
            self._load(state)
        elif state.error is None:
            state.clear(f"vault '{state.root}' does not exist any more")
            self.log(f"zettel: {state.error}; its notes are no longer served")
            self._keep_buffers(state)

    def _file_changed(self, state: VaultState, rel: str, exists: bool) -> bool:
        if state.error is not None:
            self._load(state)
            return True
        if rel == f"{STATE_DIR}/config.yaml":
            self._load(state)
            return True
        config = state.config
        if _is_hidden_or_ignored(rel, config.ignore):
            return False
        if config.is_note_name(rel.rsplit("/", 1)[-1]):
            if self.buffer_of(state, rel) is not None:
                return False  # the buffer is what the editor shows: it wins
            self._reread(state, rel)
            return True
        if exists and (state.root / rel).is_dir():
            self._load(state)  # a folder came (moved in, say): read it all
            return True
        if not exists and any(p.startswith(rel + "/") for p in state.notes):
            self._load(state)  # a folder went
            return True
        state.set_file(rel, exists)
        return True
