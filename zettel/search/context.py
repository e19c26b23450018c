"""The notes whose text holds words of a broken link's context: a kind of
candidate of ``zettel fix`` (`zettel.core.fix`), found with the full-text index.

Only the **rare** words of the link's paragraph are searched (the link itself
left out): words of four characters or more, not numbers, held by at most
`RARE_SHARE` of the notes (and by some note other than the link's own), the
`WORDS` rarest of them, counted from the sketches of `zettel.vault.sketches`.
A paragraph of common words finds nothing, and costs nothing: the index is
opened (and brought up to date) only for the first link that has rare words,
and only when the vault has an index already (``zettel index`` makes it);
otherwise no note is found this way (and the sketches are not even loaded).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zettel.core.fix import ContextHit
from zettel.core.mentions import words
from zettel.core.model import Link, Note
from zettel.search import state
from zettel.vault.sketches import Sketches

if TYPE_CHECKING:
    from zettel.search.protocol import SearchEngine

#: A word held by at most this share of the notes (or 3 notes) is rare.
RARE_SHARE = 0.02
#: At most this many words are searched, and this many notes kept.
WORDS = 4
HITS = 3


def has_index(root: Path) -> bool:
    """Whether the vault has a search index (made by ``zettel index`` or a search)."""
    return state.current_folder(state.index_root(root)) is not None


class ContextFinder:
    """Finds, for a broken link, the notes whose text holds rare words of its
    context (see the module doc); a `zettel.vault.repair.ContextSearch`."""

    def __init__(self, root: Path, sketches: Sketches | Callable[[], Sketches]) -> None:
        """``sketches``: the vault's, or how to load them (only if it has an index)."""
        self.root = root
        self._sketches = sketches
        self.notices: list[str] = []
        self._index: SearchEngine | None = None
        self._failed = False
        self._counted: dict[str, int] = {}  # word: notes holding it (0: not a word searched)

    @property
    def sketches(self) -> Sketches:
        if callable(self._sketches):
            self._sketches = self._sketches()
        return self._sketches

    def rare_words(self, note: Note, link: Link) -> list[str]:
        """The rarest words of ``link``'s paragraph (the link left out)."""
        start, end = link.uses[0] if link.uses else link.span
        context = note.context(link).replace(note.body[start:end], " ")
        known = self._counted
        counted = {}
        for word in set(words(context)):
            n = known.get(word)
            if n is None:
                n = known[word] = (self.sketches.notes_with(word)
                                   if len(word) >= 4 and not word.isdigit() else 0)
            if n:
                counted[word] = n
        most = max(3, int(RARE_SHARE * len(self.sketches)))
        rare = [word for word, n in counted.items() if 1 < n <= most]
        return sorted(rare, key=lambda word: (counted[word], word))[:WORDS]

    def __call__(self, note: Note, link: Link) -> Sequence[ContextHit]:
        if self._failed or not (self._index or has_index(self.root)):
            if not self._failed:
                self.notices.append("no search index: the words of a link's context were "
                                    "not searched (zettel index makes one)")
                self._failed = True
            return ()
        found = self.rare_words(note, link)
        index = self._open() if found else None
        if index is None:
            return ()
        from zettel.search.model import IndexBusy, QueryError  # noqa: PLC0415

        try:
            results = index.search(" OR ".join(found), limit=HITS + 1, snippets=False,
                                   count=False)
        except (QueryError, IndexBusy, OSError) as err:
            self.notices.append(f"the search index was not used: {err}")
            self._failed = True
            return ()
        hits = [hit for hit in results.hits if hit.path != note.path][:HITS]
        if not hits:
            return ()
        best = hits[0].score or 1.0
        return [ContextHit(hit.path, round(hit.score / best, 3),
                           tuple(w for w in found if self.sketches.holds(hit.path, w)) or
                           tuple(found)) for hit in hits]

    def _open(self) -> SearchEngine | None:
        if self._index is not None or self._failed:
            return self._index
        self._failed = True  # until it is open
        from zettel.search.keeper import SearchIndex  # noqa: PLC0415 - Whoosh, only if needed
        from zettel.search.model import IndexBusy  # noqa: PLC0415
        from zettel.vault.statedir import UnsafeStateDir  # noqa: PLC0415

        index = SearchIndex(self.root)
        try:
            index.sync()
        except (IndexBusy, UnsafeStateDir, OSError) as err:
            self.notices.append(f"the search index was not used: {err}")
            index.close()
            return None
        self.notices += index.notices
        self._index, self._failed = index, False
        return index

    def close(self) -> None:
        """Release the index, if it was opened."""
        if self._index is not None:
            self._index.close()
