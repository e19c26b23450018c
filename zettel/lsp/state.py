"""One vault as the server holds it: every note (an open buffer's note in place
of its file's), a resolver, and an index of links by the names they use.

Nothing is rebuilt per keystroke. A buffer's edit replaces one `Note`; the
resolver is rebuilt only when a note's names change (id, title, aliases, or a
note or file comes or goes), and the link index drops and adds that one note's
links. Backlinks are found from the index: a link can only reach a note whose
id, title, alias or file name is the link's target (or the part of it after a
Cosma ``type:``), so only links filed under those names are resolved.
"""

from __future__ import annotations

import gc
import re
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zettel.core.model import Link, Note
from zettel.core.resolve import Resolution, Resolver, normalize
from zettel.lsp.names import LiveResolver
from zettel.vault.config import Config
from zettel.vault.scan import open_vault, scan_folder

if TYPE_CHECKING:
    from zettel.core.suggest import Suggester

_TYPED = re.compile(r"^([\w-]+):(.+)$")


def _stem_key(target: str, extensions: tuple[str, ...]) -> str:
    """The file-name part of a target, without a note extension, normalised."""
    name = target.strip().lstrip("/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if dot and stem and ext.lower() in extensions:
        name = stem
    return normalize(name)


def link_keys(target: str, extensions: tuple[str, ...]) -> set[str]:
    """The names a link with this target may reach a note by (see the module doc)."""
    keys = {normalize(target), _stem_key(target, extensions)}
    typed = _TYPED.match(target)
    if typed:
        keys |= {normalize(typed.group(2)), _stem_key(typed.group(2), extensions)}
    return keys


def note_keys(note: Note, extensions: tuple[str, ...]) -> set[str]:
    """The names links may use for ``note``: id, title, aliases, file name."""
    keys = {normalize(note.title), _stem_key(note.path, extensions)}
    keys.update(normalize(alias) for alias in note.aliases)
    if note.id:
        keys.add(normalize(note.id))
    return keys


def settle() -> None:
    """Leave the objects made so far (a vault's notes, its tables) out of the garbage
    collector's full passes: they live as long as the server, and scanning them all
    made some keystrokes wait a few hundred milliseconds."""
    gc.freeze()


def _names(note: Note) -> tuple[object, ...]:
    return note.id, note.title, note.aliases


def _targets(note: Note) -> set[tuple[str, str]]:
    """What a note links to (kinds and targets, wherever they are written)."""
    return {(link.kind, link.target) for link in note.links}


class VaultState:
    """The notes of the vault at ``root`` (see the module doc). `load` reads it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = Config()
        self.notes: dict[str, Note] = {}
        self.files: set[str] = set()
        #: When each note's file was last changed (ns), or edited in a buffer.
        self.changed: dict[str, int] = {}
        #: Notes linked to in this session, and when (the last link counts).
        self.linked: dict[str, float] = {}
        #: Why the vault could not be read, when it could not.
        self.error: str | None = None
        self.names_version = 0
        #: Bumped when the notes' names, or what a note links to, change.
        self.links_version = 0
        #: Bumped when a note's id changes (or a note comes or goes).
        self.ids_version = 0
        #: Answers remembered by the features (diagnostics), keyed with `names_version`.
        self.memo: dict[tuple[object, ...], Any] = {}
        self._resolver: LiveResolver | None = None
        self._suggester: Suggester | None = None
        self._suggester_version = 0
        #: Since `_epoch` (a whole new set of names), each note whose names changed,
        #: with the `names_version` it changed at (see `renamed_since`).
        self._epoch = 0
        self._renames: list[tuple[int, str]] = []
        self._by_key: dict[str, dict[str, list[int]]] = {}
        self._keys_of: dict[str, tuple[str, ...]] = {}
        self._typed: Counter[str] = Counter()  # targets of typed links, and their uses
        self._typed_of: dict[str, list[str]] = {}
        self._target_keys: dict[str, tuple[str, ...]] = {}
        self._indexed = False
        self._counts: tuple[Counter[str], Counter[str]] | None = None

    # -- reading

    def load(self) -> tuple[str, ...]:
        """Read the vault (through the parse cache); returns notices. Raises
        `zettel.vault.scan.VaultError` and `zettel.vault.config.ConfigError`."""
        listing = scan_folder(self.root)
        config, entries, files = listing
        vault = open_vault(self.root, listing=listing)
        self.config = config
        self.notes = {note.path: note for note in vault.notes}
        self.files = set(files)
        self.changed = {e.path: e.mtime_ns for e in entries}
        self.error = None
        self._reset()
        settle()
        return vault.notices

    def clear(self, reason: str) -> None:
        """The vault cannot be read any more (removed, unreadable): hold no note."""
        self.notes, self.files, self.changed = {}, set(), {}
        self.error = reason
        self._reset()

    def _reset(self) -> None:
        self._all_names_changed()
        self.ids_version += 1
        self._by_key, self._keys_of, self._typed_of = {}, {}, {}
        self._typed = Counter()
        self._target_keys = {}
        self.memo = {}
        self._indexed = False
        self._counts = None

    def _all_names_changed(self) -> None:
        """Names changed everywhere (a vault read again, a file come or gone)."""
        self._resolver = None
        self._suggester = None
        self.names_version += 1
        self.links_version += 1
        self._epoch = self.names_version
        self._renames = []

    def _renamed(self, old: Note | None, new: Note | None) -> None:
        """One note's names changed (or it came, or went)."""
        self.names_version += 1
        self.links_version += 1
        if self._resolver is not None:
            self._resolver.replace(old, new)
        self._renames.append((self.names_version, (new or old).path))  # type: ignore[union-attr]

    def renamed_since(self, version: int, most: int = 50) -> set[str] | None:
        """The notes whose names changed after ``names_version`` was ``version``; None
        when the names changed everywhere since, or more than ``most`` notes did (then
        what was built from the names then is to be built again)."""
        if version < self._epoch:
            return None
        found = {path for when, path in self._renames if when > version}
        return found if len(found) <= most else None

    # -- changes

    def put(self, note: Note, *, edited: bool = False) -> None:
        """Hold ``note`` in place of the note at its path (added if new)."""
        old = self.notes.get(note.path)
        self.notes[note.path] = note
        if old is None or old.id != note.id or old.id_from_filename != note.id_from_filename:
            self.ids_version += 1
        if old is None or _names(old) != _names(note):
            self._renamed(old, note)
        if old is None or old.tags != note.tags or old.types != note.types:
            self._counts = None
        if old is None or old.links != note.links:
            if self._indexed:
                self._index(note)
            if old is None or _targets(old) != _targets(note):
                self.links_version += 1
        if edited:
            self.changed[note.path] = time.time_ns()

    def remove(self, path: str) -> None:
        """Forget the note at ``path``."""
        old = self.notes.pop(path, None)
        if old is not None:
            self._renamed(old, None)
            self.ids_version += 1
            self._counts = None
            self._unindex(path)
        self.changed.pop(path, None)

    def set_file(self, path: str, exists: bool) -> None:
        """A file that is not a note appeared (or disappeared)."""
        if exists != (path in self.files):
            (self.files.add if exists else self.files.discard)(path)
            self._all_names_changed()

    def mark_linked(self, paths: set[str]) -> None:
        """Notes just linked to in an edited buffer (they rank higher in completion)."""
        now = time.monotonic()
        for path in paths:
            self.linked[path] = now

    # -- answers

    @property
    def resolver(self) -> Resolver:
        """A resolver over the notes as they are now (following each note's names)."""
        if self._resolver is None:
            self._resolver = LiveResolver(self.notes.values(), sorted(self.files),
                                          self.config.extensions)
        return self._resolver

    def suggester(self) -> tuple[Suggester, set[str]]:
        """The "did you mean" of broken links, over the notes' names as they were
        when it was built, and the notes renamed since (which it may not know as
        they are): rebuilt when the names changed everywhere or for many notes."""
        renamed = (self.renamed_since(self._suggester_version)
                   if self._suggester is not None else None)
        if self._suggester is None or renamed is None:
            from zettel.core.suggest import Suggester  # noqa: PLC0415 - rapidfuzz, when needed

            self._suggester = Suggester(dict(self.notes))  # a snapshot: its names then
            self._suggester_version, renamed = self.names_version, set()
        return self._suggester, renamed

    def resolve(self, link: Link, source: str) -> Resolution:
        """Where ``link``, written in the note at ``source``, leads."""
        return self.resolver.resolve_link(link, source)

    def backlinks_of(self, path: str) -> list[tuple[str, int]]:
        """The links to ``path`` written in other notes: (source, index in its
        ``Note.links``), by source and index."""
        note = self.notes.get(path)
        if note is None:
            return []
        self._ensure_index()
        found: set[tuple[str, int]] = set()
        resolve = self.resolver.resolve_link
        for key in note_keys(note, self.config.extensions):
            for source, numbers in self._by_key.get(key, {}).items():
                if source == path:
                    continue
                links = self.notes[source].links
                for number in numbers:
                    reached = resolve(links[number], source)
                    if reached.path == path and not reached.is_file:
                        found.add((source, number))
        return sorted(found)

    def counts(self) -> tuple[Counter[str], Counter[str]]:
        """How many notes use each tag, and each type."""
        if self._counts is None:
            tags: Counter[str] = Counter()
            kinds: Counter[str] = Counter()
            for note in self.notes.values():
                tags.update(note.tags)
                kinds.update(note.types)
            self._counts = tags, kinds
        return self._counts

    def link_types(self) -> Counter[str]:
        """The Cosma link types of the vault's typed links (``[[type:target]]``
        that resolve as typed), with how many links use each."""
        self._ensure_index()
        key = ("link types", self.names_version)
        found = self.memo.get(key)
        if found is None:
            found = Counter()
            for target, uses in self._typed.items():
                if uses > 0:
                    kind = self.resolver.resolve(target).link_type
                    if kind:
                        found[kind] += uses
            self.memo[key] = found
        return found  # type: ignore[no-any-return]

    def prepare(self) -> None:
        """Build the link index now (it is built on first use otherwise)."""
        self._ensure_index()

    # -- the link index

    def _ensure_index(self) -> None:
        if not self._indexed:
            self._indexed = True
            for note in self.notes.values():
                self._index(note)

    def _keys(self, target: str) -> tuple[str, ...]:
        """`link_keys` of a target, remembered (a vault repeats its targets)."""
        found = self._target_keys.get(target)
        if found is None:
            if len(self._target_keys) > 500_000:
                self._target_keys.clear()
            found = self._target_keys[target] = tuple(link_keys(target,
                                                                self.config.extensions))
        return found

    def _index(self, note: Note) -> None:
        self._unindex(note.path)
        keys: dict[str, list[int]] = {}
        typed: list[str] = []
        for number, link in enumerate(note.links):
            target = link.target
            if link.kind == "external" or not target:
                continue
            for key in self._keys(target):
                found = keys.get(key)
                if found is None:
                    keys[key] = [number]
                elif found[-1] != number:
                    found.append(number)
            if ":" in target and link.kind in ("wiki", "embed") and _TYPED.match(target):
                typed.append(target)
        for key, numbers in keys.items():
            self._by_key.setdefault(key, {})[note.path] = numbers
        self._keys_of[note.path] = tuple(keys)
        if typed:
            self._typed_of[note.path] = typed
            self._typed.update(typed)

    def _unindex(self, path: str) -> None:
        for key in self._keys_of.pop(path, ()):
            sources = self._by_key.get(key)
            if sources is not None:
                sources.pop(path, None)
                if not sources:
                    del self._by_key[key]
        typed = self._typed_of.pop(path, None)
        if typed:
            self._typed.subtract(typed)
