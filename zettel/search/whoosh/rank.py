"""Ranking: the same vault and query give the same scores and order, always.

Whoosh scores a note with statistics that depend on how the index happens to
be laid out: notes deleted but not yet merged away still count, and a sum of
scores is added up in an order that depends on the segments. Here:

- `VaultBM25F` is BM25F over the notes that exist now: their number, the
  number of them holding a term, and the average length of a field, from
  totals of the lengths the index stores for each note, which the manifest
  keeps up to date as notes come and go (`LengthTotals`);
- each term's score is rounded to a multiple of 2**-32, so that adding scores
  up is exact, in any order;
- `RankedCollector` keeps the best notes by score, then path (the tie rule of
  docs/search.md), and never skips a note that ties with the last one kept;
- `Inverse` is Whoosh's NOT matcher without its bug (it returned a deleted
  note after the last match);
- OR is a tree of Whoosh's binary unions, whose bound on what a note can
  score is the sum of its parts (`fix_unions`). Whoosh's "array" unions, used
  for smaller segments, gave the largest part instead, too little, and top
  results lost notes; they were slower too (they score every note).

How many notes match in all (`count_matches`) is worked out from the sets of
notes that hold each term, not by a second pass of Whoosh's matchers.
"""

from __future__ import annotations

from collections.abc import Iterable
from heapq import heappush, heapreplace
from math import log, log2
from typing import Any

import zettel.search.whoosh.imports  # noqa: F401 - first: Whoosh without what zettel does not use

# isort: split
from whoosh import collectors, matching, scoring
from whoosh import query as wq
from whoosh.matching import combo, mcore
from whoosh.reading import TermNotFound

#: Term scores are multiples of this: sums of them are exact.
GRID = 2.0**-32
#: A weight given to a query term (``related``) is a multiple of this.
BOOST_GRID = 2.0**-10


def on_grid(score: float, grid: float = GRID) -> float:
    """``score`` rounded to a multiple of ``grid`` (a power of two)."""
    return round(score / grid) * grid


#: field -> the sum of the lengths of the notes in that field, as the index
#: stores a note's length (in one byte: long fields are approximate).
LengthTotals = dict[str, int]


def length_totals(reader: Any, docnums: Iterable[int], sign: int = 1,
                  into: LengthTotals | None = None) -> LengthTotals:
    """Add (``sign`` 1) or take away (-1) the lengths of the notes ``docnums``
    of ``reader`` to or from ``into``, field by field."""
    totals: LengthTotals = {} if into is None else into
    docnums = list(docnums)
    schema, length = reader.schema, reader.doc_field_length
    for name in reader.indexed_field_names():
        if name in schema and schema[name].scorable:
            found = sum(length(docnum, name, 0) or 0 for docnum in docnums)
            totals[name] = totals.get(name, 0) + sign * found
    return totals


class VaultBM25F(scoring.BM25F):  # type: ignore[misc]
    """BM25F with statistics of the notes that exist now (`LengthTotals`, the
    number of notes), whatever the segments, and scores on a grid."""

    def __init__(self, lengths: LengthTotals) -> None:
        super().__init__()
        self.lengths = lengths
        self._live_df: dict[tuple[str, bytes], int] = {}

    def idf(self, searcher: Any, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        return log(parent.doc_count() / (self._doc_frequency(parent, fieldname, text) + 1)) + 1

    def _doc_frequency(self, searcher: Any, fieldname: str, text: bytes) -> int:
        """How many notes that exist now hold the term."""
        reader = searcher.reader()
        if not reader.has_deletions():
            return int(reader.doc_frequency(fieldname, text))
        key = (fieldname, text)
        if key not in self._live_df:
            found = 0
            if (fieldname, text) in reader:
                found = sum(1 for _ in reader.postings(fieldname, text).all_ids())
            self._live_df[key] = found
        return self._live_df[key]

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        parent = searcher.get_parent()
        docs = parent.doc_count()
        average = (self.lengths.get(fieldname, 0) / docs if docs else 0) or 1
        idf = parent.idf(fieldname, text)  # cached by the searcher; calls self.idf
        return _Scorer(searcher, fieldname, text, idf, average, self.B, self.K1)


def key_terms(reader: Any, fieldname: str, text: str, count: int) -> list[tuple[str, float]]:
    """The ``count`` terms of ``text`` that set it apart from the notes that
    exist now (Whoosh's Bo1 model, "more like this"), best first (ties by
    term), with weights relative to the best, on `BOOST_GRID`."""
    field = reader.schema[fieldname]
    here: dict[bytes, float] = {}
    for word, _, weight, _ in field.index(text):
        here[word] = here.get(word, 0.0) + weight
    docs, deleted = reader.doc_count(), reader.has_deletions()
    scored = []
    for word, weight in here.items():
        if (fieldname, word) not in reader:
            continue
        if deleted:  # the weight of the term in the notes that exist now
            found, matcher = 0.0, reader.postings(fieldname, word)
            while matcher.is_active():
                found += matcher.weight()
                matcher.next()
        else:
            found = reader.frequency(fieldname, word)
        share = found / docs
        scored.append((weight * log2((1 + share) / share) + log2(1 + share), word))
    best = sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:count]
    return [(field.from_bytes(word), max(on_grid(score / best[0][0], BOOST_GRID), BOOST_GRID))
            for score, word in best]


class _Scorer(scoring.WeightLengthScorer):  # type: ignore[misc]
    def __init__(self, searcher: Any, fieldname: str, text: bytes, idf: float,
                 average: float, b: float, k1: float) -> None:
        self.idf, self.avgfl, self.B, self.K1 = idf, average, b, k1
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: float) -> float:
        # Rounding is monotonic: a block's bound stays a bound.
        return on_grid(scoring.bm25(self.idf, weight, length, self.avgfl, self.B, self.K1))


class _ByPath:
    """A heap key: among equal scores, the note whose path sorts first wins."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __lt__(self, other: _ByPath) -> bool:
        return self.path > other.path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _ByPath) and self.path == other.path

    __hash__ = None  # type: ignore[assignment]


class RankedCollector(collectors.TopCollector):  # type: ignore[misc]
    """The best ``limit`` notes by score, then by path (code point order)."""

    items: list[tuple[float, _ByPath, int]]

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        super().set_subsearcher(subsearcher, offset)
        self._paths = subsearcher.reader().column_reader("path")

    def _collect(self, global_docnum: int, score: float) -> float:
        items = self.items
        self.total += 1
        if len(items) < self.limit:
            heappush(items, (score, _ByPath(self._paths[global_docnum - self.offset]),
                             global_docnum))
        elif score >= items[0][0]:
            entry = (score, _ByPath(self._paths[global_docnum - self.offset]), global_docnum)
            if entry > items[0]:
                heapreplace(items, entry)
                # Skip only what scores strictly less than the last note kept.
                self.minscore = items[0][0] - GRID / 2
        return 0 - score

    def remove(self, global_docnum: int) -> None:
        self.items = [item for item in self.items if item[2] != global_docnum]
        self.items.sort()

    def results(self) -> Any:
        items = sorted(self.items, reverse=True)
        return self._results([(score, docnum) for score, _, docnum in items])


class Inverse(matching.InverseMatcher):  # type: ignore[misc]
    """The notes not matched by a matcher, deleted notes left out (Whoosh's
    `InverseMatcher` could stop on a deleted note once the child was done)."""

    def _find_next(self) -> None:
        child, missing = self.child, self.missing
        while self._id < self.limit:
            if missing(self._id):
                self._id += 1
                continue
            if child.is_active() and child.id() < self._id:
                child.skip_to(self._id)
            if child.is_active() and child.id() == self._id:
                self._id += 1
                continue
            return

    def next(self) -> None:
        if self._id >= self.limit:
            raise mcore.ReadTooFar
        self._id += 1
        self._find_next()


def _union_bound(self: Any) -> float:
    """The most a note can score in a union of matchers: the sum of what each
    can add (Whoosh returned the largest, too little, and skipped notes)."""
    ahead = sum(m.max_quality() for m in self._submatchers if m.is_active()) * self._boost
    scores = getattr(self, "_a", None)
    return max(ahead, max(scores)) if scores else ahead


def fix_unions() -> None:
    """OR as binary unions, always; array unions, should Whoosh still build
    one, with a true upper bound (`_union_bound`)."""
    wq.Or.matcher_type = wq.Or.DEFAULT_MATCHER
    combo.CombinationMatcher.max_quality = _union_bound
    combo.ArrayUnionMatcher.max_quality = _union_bound


fix_unions()


def has_phrase(query: wq.Query) -> bool:
    """Whether ``query`` holds a phrase (anywhere in it)."""
    return isinstance(query, wq.Phrase) or any(has_phrase(part) for part in query.children())


def count_matches(searcher: Any, query: wq.Query) -> int:
    """How many notes that exist now match ``query``: sets of document numbers
    from the posting lists, combined as the query says, without scoring (a
    second pass of the matchers costs as much as the search itself)."""
    return sum(len(_matching(sub, query)) for sub, _ in searcher.subsearchers or [(searcher, 0)])


def _matching(searcher: Any, query: wq.Query) -> set[int]:
    """The notes of one segment (``searcher``'s, deleted ones left out) that match ``query``."""
    reader = searcher.reader()
    if type(query) is wq.Term:
        return _postings(reader, query.fieldname, query.text)
    if type(query) is wq.Or:
        return set().union(*(_matching(searcher, part) for part in query.subqueries))
    if type(query) is wq.And:
        found = _matching(searcher, query.subqueries[0])
        for part in query.subqueries[1:]:
            if not found:
                break
            found &= _matching(searcher, part)
        return found
    if type(query) is wq.AndNot:
        found = _matching(searcher, query.a)
        return found - _matching(searcher, query.b) if found else found
    if type(query) is wq.Every and query.fieldname in (None, "", "*"):
        return set(reader.all_doc_ids())
    if isinstance(query, wq.Not):
        return set(reader.all_doc_ids()) - _matching(searcher, query.query)
    if type(query) in (wq.Prefix, wq.Wildcard, wq.FuzzyTerm):
        found = set()
        for fieldname, text in query.expanded_terms(reader):
            found |= _postings(reader, fieldname, text)
        return found
    # Anything else (phrases, a prefix of ids): Whoosh's matcher, unscored.
    try:
        return set(query.matcher(searcher, searcher.boolean_context()).all_ids())
    except TermNotFound:  # as Whoosh's own count takes it
        return set()


def _postings(reader: Any, fieldname: str, text: Any) -> set[int]:
    """The notes (of one segment, deleted ones left out) holding a term."""
    if fieldname not in reader.schema:
        return set()
    word = reader.schema[fieldname].to_bytes(text)
    if (fieldname, word) not in reader:
        return set()
    return set(reader.postings(fieldname, word).all_ids())
