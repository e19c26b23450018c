"""Which note (or file) a link reaches.

A link's target is compared case-insensitively and Unicode-normalised (NFC,
case-folded) with, in this order:

1. the note **id**;
2. the vault-relative **path** without extension (``folder/note``);
3. the file name **stem** (``note``);
4. the **title**;
5. an **alias**.

The first step with exactly one candidate wins. A step with several
candidates makes the link **ambiguous** (it reaches none of them; a link to
an id that several notes share is ambiguous). A Markdown link is first read
as a path relative to its note's folder. A Cosma typed link
``[[type:target]]`` is read as type + target only when the whole text finds
nothing and the part after the colon does. A target with a non-note extension
(``![[map.png]]``) may name any file of the vault. When nothing matches, the
link is **broken**.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal, NamedTuple, Protocol

from zettel.core.model import Link

Status = Literal["resolved", "ambiguous", "broken"]
STEPS = ("id", "path", "stem", "title", "alias")
_TYPE_PREFIX = re.compile(r"^([\w-]+):(.+)$")


def normalize(text: str) -> str:
    """The form in which names are compared: NFC, case-folded, trimmed."""
    text = text.strip()
    if text.isascii():
        lower = text.lower()
        return text if lower == text else lower  # keep one string, not two equal ones
    return unicodedata.normalize("NFC", text).casefold()


def file_under(table: dict[str, str | list[str]], key: str, value: str) -> None:
    """Add ``value`` under ``key`` once: a plain string while it is the only
    one (most keys have one value, and a string costs far less than a list),
    a list once there are several."""
    found = table.get(key)
    if found is None:
        table[key] = value
    elif isinstance(found, str):
        if found != value:
            table[key] = [found, value]
    elif value not in found:
        found.append(value)


def values_under(table: dict[str, str | list[str]], key: str) -> tuple[str, ...]:
    """What `file_under` filed under ``key``."""
    found = table.get(key)
    if found is None:
        return ()
    return (found,) if isinstance(found, str) else tuple(found)


class Named(Protocol):
    """What resolution needs of a note (a `zettel.core.model.Note` has it)."""

    @property
    def path(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


class Resolution(NamedTuple):
    """Where a link target leads.

    ``paths`` holds the one note (or file, when ``is_file``) reached, or the
    candidates of an ambiguous link; ``step`` names the rule that decided.
    """

    status: Status
    paths: tuple[str, ...] = ()
    step: str | None = None
    link_type: str | None = None
    is_file: bool = False

    @property
    def path(self) -> str | None:
        """The note or file reached, for a resolved link."""
        return self.paths[0] if self.status == "resolved" else None


_BROKEN = Resolution("broken")


class Resolver:
    """Resolves link targets against one vault's notes and files."""

    def __init__(self, notes: Iterable[Named], files: Iterable[str] = (),
                 extensions: Iterable[str] = ("md", "markdown", "txt")) -> None:
        self.extensions = tuple(e.lower() for e in extensions)
        # key -> the one path with that key, or a list when there are several
        self._maps: dict[str, dict[str, str | list[str]]] = {step: {} for step in STEPS}
        self._files: dict[str, list[str]] = {}
        self._memo: dict[str, Resolution] = {}
        for note in notes:
            if note.id:
                self._add("id", note.id, note.path)
            path_key = normalize(self._strip_ext(note.path))
            file_under(self._maps["path"], path_key, note.path)
            # At the vault's root the stem is the path key itself: one string, not two.
            file_under(self._maps["stem"], path_key.rsplit("/", 1)[-1], note.path)
            self._add("title", note.title, note.path)
            for alias in note.aliases:
                self._add("alias", alias, note.path)
        for rel in files:
            key = normalize(rel)
            self._files.setdefault(key, []).append(rel)
            base = key.rsplit("/", 1)[-1]
            if base != key:
                self._files.setdefault(base, []).append(rel)

    def _add(self, step: str, key: str, path: str) -> None:
        file_under(self._maps[step], normalize(key), path)

    def shared_ids(self) -> list[tuple[str, ...]]:
        """The paths of each group of notes that share an id."""
        return [tuple(p) for p in self._maps["id"].values() if not isinstance(p, str)]

    def _strip_ext(self, target: str) -> str:
        stem, dot, ext = target.rpartition(".")
        if dot and stem and ext.lower() in self.extensions:
            return stem
        return target

    def resolve_link(self, link: Link, source: str) -> Resolution:
        """Resolve a link written in the note at path ``source``."""
        if link.kind == "external":
            return _BROKEN
        target = link.target
        if not target:  # [[#heading]]: a place in the same note
            return Resolution("resolved", (source,), "self")
        if link.kind in ("markdown", "reference"):
            relative = self._relative(target, source)
            if relative is not None:
                return relative
        return self.resolve(target)

    def _relative(self, target: str, source: str) -> Resolution | None:
        if target.startswith("/"):
            joined = posixpath.normpath(target.lstrip("/"))
        else:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        if joined.startswith("../") or joined == "..":
            return None
        key = normalize(joined)
        found = self._maps["path"].get(normalize(self._strip_ext(joined)))
        if isinstance(found, str):
            return Resolution("resolved", (found,), "path")
        if isinstance(found, list):  # a.md and a.txt: the extension written decides
            exact = [p for p in found if normalize(p) == key]
            if len(exact) == 1:
                return Resolution("resolved", (exact[0],), "path")
        files = self._files.get(key, [])
        if len(files) == 1 and "/" in key:
            return Resolution("resolved", (files[0],), "path", is_file=True)
        return None

    def forget(self) -> None:
        """Drop the answers remembered so far (they are found again on demand)."""
        self._memo.clear()

    def resolve(self, target: str) -> Resolution:
        """Resolve a bare target text (as written inside ``[[...]]``)."""
        found = self._memo.get(target)
        if found is None:
            found = self._resolve(target)
            self._memo[target] = found
        return found

    def _resolve(self, target: str) -> Resolution:
        found = self._by_steps(target)
        if found is not None:
            return found
        typed = _TYPE_PREFIX.match(target)
        if typed:
            found = self._by_steps(typed.group(2))
            if found is not None:
                return found._replace(link_type=typed.group(1))
        files = self._files.get(normalize(target.lstrip("/")), [])
        if len(files) == 1:
            return Resolution("resolved", (files[0],), "file", is_file=True)
        if len(files) > 1:
            return Resolution("ambiguous", tuple(files), "file", is_file=True)
        return _BROKEN

    def _by_steps(self, target: str) -> Resolution | None:
        key = normalize(target)
        bare = normalize(self._strip_ext(target.lstrip("/")))
        for step in STEPS:
            found = self._maps[step].get(bare if step in ("path", "stem") else key)
            if found is None:
                continue
            if isinstance(found, str):
                return Resolution("resolved", (found,), step)
            return Resolution("ambiguous", tuple(found), step)
        return None
