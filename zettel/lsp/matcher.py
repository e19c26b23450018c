"""Fuzzy matching of what is typed against many names (titles, aliases, ids,
paths), fast enough to answer every keystroke on a vault of 10,000 notes.

Names and queries are compared folded (case and accents: ``méthode`` is
``Methode``). Each name gets the score of the best way the query matches it:

==========================================================  =====
the whole name                                                100
a prefix of the name                                       95 - a little per extra letter
the start of a word of the name                               85
every word of the query starts a word of the name              80
anywhere in the name                                          70
its letters in order (``zkn`` in ``zettelkasten``)        50-65 (closer together: higher)
a word or the name a typo or two away (rapidfuzz)         45-60
==========================================================  =====

The names are joined into one string searched by regular expressions (the
scan runs in C), and rapidfuzz compares the query with each distinct word
only when the other ways found few names. A query that starts a word of more
than `BROAD` names (one letter, the first digits of timestamp ids) is **broad**:
the names of the keys the caller prefers (recent notes) are scored first, and
only as many others as it asks for are added, in the order of the words they
start.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from zettel.core.suggest import fold

K = TypeVar("K", bound=Hashable)

#: At most this many matches of one kind are looked at (a one-letter query
#: matches everywhere: the first ones found are as good as any).
MAX_MATCHES = 5000
_FEW = 30
#: A query starting a word of more names than this is broad (see the module doc).
BROAD = 2000
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[^\S\n]+")
#: Called with a name's number and a score for it.
OfferFn = Callable[[int, float], None]


class Matcher(Generic[K]):
    """Names, each with the key it stands for (a note's path), matched as typed."""

    def __init__(self, names: Iterable[tuple[str, K]]) -> None:
        texts: list[str] = []
        self._keys: list[K] = []
        for text, key in names:
            texts.append(text.replace("\n", " "))
            self._keys.append(key)
        self._text = _SPACES.sub(" ", fold("\n".join(texts)))
        self._names = self._text.split("\n")
        self._starts = [0]
        for form in self._names[:-1]:
            self._starts.append(self._starts[-1] + len(form) + 1)
        self._words: dict[str, list[int]] | None = None
        self._sorted: list[str] = []
        self._lines_of: dict[K, list[int]] = {}
        for line, key in enumerate(self._keys):
            self._lines_of.setdefault(key, []).append(line)

    def __len__(self) -> int:
        return len(self._names)

    def prepare(self) -> None:
        """Build the table of words now (it is built on first use otherwise)."""
        self._index()

    def _line(self, offset: int) -> int:
        return bisect_right(self._starts, offset) - 1

    def search(self, query: str, prefer: Iterable[K] = (), limit: int = 50) -> dict[K, float]:
        """Every key whose names match ``query``, with its best score (0-100); for a
        broad query, the ``prefer`` keys that match and ``limit`` others."""
        q = " ".join(fold(query).split())
        if not q:
            return {}
        if self._is_broad(q):
            return self._broad(q, prefer, limit)
        scores: dict[int, float] = {}

        def offer(line: int, score: float) -> None:
            if score > scores.get(line, 0.0):
                scores[line] = score

        words = q.split(" ")
        starting = self._starting(words[0])
        for other in words[1:]:
            starting &= self._starting(other)
        for line in starting:
            offer(line, 85.0 if len(words) == 1 else 80.0)
        if len(q) > 1 or len(words) > 1:
            self._anywhere(q, offer)
        else:  # one letter: the names it starts
            names = self._names
            for line in starting:
                if names[line].startswith(q):
                    offer(line, _prefix_score(names[line], q))
        if len(scores) < _FEW and len(q) >= 2:
            self._in_order(q, offer)
        if len(scores) < _FEW and len(q) >= 3:
            self._typos(q, offer)
        found: dict[K, float] = {}
        for line, score in scores.items():
            key = self._keys[line]
            if score > found.get(key, 0.0):
                found[key] = score
        return found

    def _prefixed(self, head: str) -> list[str]:
        """The distinct words of the names that start with ``head``, in order."""
        self._index()
        lo = bisect_left(self._sorted, head)
        return self._sorted[lo : bisect_left(self._sorted, head + "\U0010ffff")]

    def _is_broad(self, q: str) -> bool:
        if " " in q or not _WORD.fullmatch(q):
            return False
        table, total = self._index(), 0
        for word in self._prefixed(q):
            total += len(table[word])
            if total > BROAD:
                return True
        return False

    def _broad(self, q: str, prefer: Iterable[K], limit: int) -> dict[K, float]:
        found: dict[K, float] = {}
        for key in prefer:
            for line in self._lines_of.get(key, ()):
                score = _score(self._names[line], q)
                if score > found.get(key, 0.0):
                    found[key] = score
        others = 0
        table = self._index()
        for word in self._prefixed(q):
            for line in table[word]:
                key = self._keys[line]
                if key not in found:
                    found[key] = _score(self._names[line], q)
                    others += 1
                    if others >= limit:
                        return found
        return found

    def _index(self) -> dict[str, list[int]]:
        """Each distinct word of the names, with the names that hold it."""
        if self._words is None:
            table: dict[str, list[int]] = {}
            for line, name in enumerate(self._names):
                for word in set(_WORD.findall(name)):
                    table.setdefault(word, []).append(line)
            self._words, self._sorted = table, sorted(table)
        return self._words

    def _starting(self, prefix: str) -> set[int]:
        """The names with a word starting with ``prefix`` (its first word)."""
        table = self._index()
        first = _WORD.search(prefix)
        if first is None:
            return set()
        head = first.group()
        lo = bisect_left(self._sorted, head)
        hi = bisect_left(self._sorted, head + "\U0010ffff")
        found: set[int] = set()
        for word in self._sorted[lo:hi]:
            found.update(table[word])
        return found

    def _anywhere(self, q: str, offer: OfferFn) -> None:
        """Names holding the query as written: whole, as a prefix, at a word's start, inside."""
        text, starts, names = self._text, self._starts, self._names
        for count, m in enumerate(re.finditer(re.escape(q), text)):
            if count >= MAX_MATCHES:
                break
            line = self._line(m.start())
            at = m.start() - starts[line]
            if at == 0:
                offer(line, _prefix_score(names[line], q))
            elif not names[line][at - 1].isalnum():
                offer(line, 85.0)
            else:
                offer(line, 70.0)

    def _in_order(self, q: str, offer: OfferFn) -> None:
        """Names holding the query's letters in order, closer together scoring higher."""
        letters = q.replace(" ", "")
        # Each letter followed by anything but the next letter: one way to match, no
        # backtracking, the first occurrence of each letter in turn.
        parts = [re.escape(letters[0])]
        for letter in letters[1:]:
            parts.append(f"[^\n{re.escape(letter)}]*{re.escape(letter)}")
        pattern = re.compile("".join(parts))
        for count, m in enumerate(pattern.finditer(self._text)):
            if count >= MAX_MATCHES:
                break
            offer(self._line(m.start()), 50.0 + 15.0 * len(letters) / (m.end() - m.start()))

    def _typos(self, q: str, offer: OfferFn) -> None:
        """Words (and whole names) a typo or two from the query (rapidfuzz)."""
        from rapidfuzz import fuzz, process  # noqa: PLC0415 - only when typing typos

        table = self._index()
        for word, similarity, _ in process.extract(
                q, self._sorted, scorer=fuzz.ratio, processor=None, score_cutoff=75,
                limit=50):
            for line in table[word]:
                offer(line, 45.0 + 15.0 * (similarity - 75) / 25)
        for _, similarity, line in process.extract(
                q, self._names, scorer=fuzz.ratio, processor=None, score_cutoff=75, limit=50):
            offer(line, 45.0 + 15.0 * (similarity - 75) / 25)


def _score(name: str, q: str) -> float:
    """The score of one name for a query of one word (see the module doc)."""
    if name.startswith(q):
        return _prefix_score(name, q)
    at = name.find(q)
    if at == -1:
        return 0.0
    while at != -1:
        if not name[at - 1].isalnum():
            return 85.0
        at = name.find(q, at + 1)
    return 70.0


def _prefix_score(name: str, q: str) -> float:
    """The score of a name that starts with the query: 100 when it is the query."""
    return 100.0 if len(name) == len(q) else 95.0 - min(10.0, (len(name) - len(q)) / 4)
