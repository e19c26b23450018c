"""A resolver that follows the vault's names one note at a time.

Typing a title changes the names of one note on each keystroke; building
`zettel.core.resolve.Resolver` again over 10,000 notes would take tens of
milliseconds each time. `LiveResolver` files and unfiles one note's names
instead, exactly as the resolver's own constructor files them (each name's
notes kept in path order, the order ``zettel check`` lists candidates in).
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable

from zettel.core.resolve import Named, Resolver, normalize


class LiveResolver(Resolver):
    """A `Resolver` whose notes can be replaced one by one (see the module doc)."""

    def __init__(self, notes: Iterable[Named], files: Iterable[str] = (),
                 extensions: Iterable[str] = ("md", "markdown", "txt")) -> None:
        super().__init__(sorted(notes, key=lambda note: note.path), files, extensions)

    def _keys(self, note: Named) -> list[tuple[str, str]]:
        """Where the constructor files ``note``: (step, key) pairs."""
        keys = [("id", normalize(note.id))] if note.id else []
        path_key = normalize(self._strip_ext(note.path))
        keys += [("path", path_key), ("stem", path_key.rsplit("/", 1)[-1]),
                 ("title", normalize(note.title))]
        keys += [("alias", normalize(alias)) for alias in note.aliases]
        return keys

    def replace(self, old: Named | None, new: Named | None) -> None:
        """Unfile ``old``'s names and file ``new``'s (either may be None)."""
        if old is not None:
            for step, key in self._keys(old):
                table = self._maps[step]
                found = table.get(key)
                if found == old.path:
                    del table[key]
                elif isinstance(found, list) and old.path in found:
                    found.remove(old.path)
                    if len(found) == 1:
                        table[key] = found[0]
        if new is not None:
            for step, key in self._keys(new):
                table = self._maps[step]
                found = table.get(key)
                if found is None:
                    table[key] = new.path
                elif isinstance(found, str):
                    if found != new.path:
                        table[key] = sorted((found, new.path))
                elif new.path not in found:
                    insort(found, new.path)
        self._memo.clear()
