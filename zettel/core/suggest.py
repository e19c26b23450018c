"""Which note a broken link probably meant: the "did you mean" of a broken link.

Pure functions of the notes, no UI. The rule (also in docs/format.md, Problems):

1. **Candidates**: for an id target (digits), the notes whose id is one edit
   from it (a character too many, missing or wrong, or two neighbours
   swapped), or two edits when the two ids share their first or last six
   characters (both typos in the time, or both in the date, of a
   timestamp); for a name target, the notes with a title or alias at least
   60% similar to it; for a link with a label (``[[target|label]]``), also
   the notes with a title or alias at least 60% similar to the label. Names
   are compared with case, accents and punctuation folded away (rapidfuzz
   ratio). At most `CANDIDATES` of each kind are kept, the closest.
2. Each candidate gets a **score**: its closeness to the target (an id one
   edit away 1, two edits 0.65; a name of similarity ``s``: ``2 × (s −
   0.45)``, so 0.3 at 60%, 0.8 at 85% and 1 at 95%), plus the closeness of
   its name to the label, plus `NAMED` (0.6) when the link's paragraph
   names it: its title or an alias appears there as whole words, the link
   itself aside (a note's title in its own text does not count). A note
   that neither the target nor the label is close to is no candidate,
   however often the paragraph names it, and neither is the note the link
   is written in.
3. The best candidate is **suggested** only when its score is at least
   `THRESHOLD` (0.8) and beats the runner-up by `MARGIN` (0.15): otherwise
   there is no suggestion rather than a coin toss. So an id one typo away is
   suggested when it is the only one, and of two such ids the one the
   paragraph names; an id two typos away only when the paragraph names its
   note, and then even over an unnamed id one typo away; a title 85%
   similar alone, a title 60% similar when the paragraph names it.

The suggestion is what to write in the link: the note's id for an id target
(its title when it has none), else its title or alias nearest the target.
The paragraph is only read for a link with several candidates or a weak one,
so broken links far from every note cost next to nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import NamedTuple

from rapidfuzz.distance import OSA

from zettel.core.model import Link, Note
from zettel.core.resolve import file_under, normalize, values_under

THRESHOLD = 0.8
MARGIN = 0.15
NAMED = 0.6
MAX_EDITS = 2
_ID_CLOSENESS = {1: 1.0, 2: 0.65}
_NAME_CUTOFF = 60.0
#: At most this many candidates by id, and as many by name (the closest): a vault of
#: thousands of notes with ids or titles alike costs no more than one with a few.
CANDIDATES = 16
_NOT_WORDS = re.compile(r"[^\w\n]+")
_COMBINING = frozenset(map(chr, range(0x300, 0x370)))
_LIGATURES = (("œ", "oe"), ("æ", "ae"), ("ø", "o"), ("ł", "l"), ("đ", "d"), ("ı", "i"))

#: Candidates: path -> (closeness, the suggestion it makes).
Found = dict[str, tuple[float, str]]


def fold(text: str) -> str:
    """``text`` case-folded, without accents (``Œuvre`` → ``oeuvre``): string
    methods only, which are fast on long text (``str.translate`` is not)."""
    text = text.casefold()
    if text.isascii():
        return text
    for ligature, letters in _LIGATURES:
        if ligature in text:
            text = text.replace(ligature, letters)
    text = unicodedata.normalize("NFKD", text)
    for mark in _COMBINING.intersection(text):
        text = text.replace(mark, "")
    return text


def plain_lines(text: str) -> list[str]:
    """Each line of ``text`` as names are compared: `fold`-ed, its words joined
    by one space. Made for many names at once (the work is done in C)."""
    return [line.strip() for line in _NOT_WORDS.sub(" ", fold(text)).split("\n")]


def plain(text: str) -> str:
    """``text`` as names are compared (see `plain_lines`), on one line."""
    return plain_lines(text.replace("\n", " "))[0]


def name_closeness(similarity: float) -> float:
    """Closeness of a name from its similarity (0 to 100) to what was written."""
    return 2 * (similarity / 100 - 0.45) if similarity >= _NAME_CUTOFF else 0.0


class Scored(NamedTuple):
    """A candidate for a broken link: the note's path, its score, what to write
    in the link for it (its id, title or alias), and why it is a candidate."""

    path: str
    score: float
    write: str
    reasons: tuple[str, ...]


def clear_winner(scores: Mapping[str, float]) -> str | None:
    """The key of the best score when it is at least `THRESHOLD` and `MARGIN`
    ahead of the next: the rule of "did you mean" (and of ``zettel fix --apply``)."""
    if not scores:
        return None
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < THRESHOLD or (len(ranked) > 1 and ranked[0] - ranked[1] < MARGIN):
        return None
    return max(scores, key=scores.__getitem__)


def _why(closeness: float, by_id: bool, name: str, note: Note, what: str) -> str:
    """Why a note is a candidate: how close its id or name is to the link's ``what``."""
    if by_id:
        return "its id is one typo away" if closeness >= 1 else "its id is two typos away"
    similarity = round((closeness / 2 + 0.45) * 100)
    kind = "title" if name == note.title else "alias"
    return f"its {kind} '{name}' is {similarity}% like the link's {what}"


class IdNeighbours:
    """Finds the notes whose id is a typo or two away from a mistyped one.

    An edit leaves either the first or the last `HALF` characters of a
    timestamp intact, so the ids one edit away from a target share its head
    or its tail: two dictionaries find them without comparing the target with
    every id. Ids two edits away are found when they share the head or the
    tail too.
    """

    HALF = 6

    def __init__(self, notes: Mapping[str, Note]) -> None:
        self._ids: dict[str, str] = {}
        self._heads: dict[str, str | list[str]] = {}
        self._tails: dict[str, str | list[str]] = {}
        for path, note in notes.items():
            if note.id:
                key = self._ids[path] = normalize(note.id)
                file_under(self._heads, key[: self.HALF], path)
                file_under(self._tails, key[-self.HALF :], path)

    def near(self, key: str) -> list[tuple[str, int]]:
        """(path, edits) of the notes whose id is 1 or 2 edits from ``key`` (normalised)."""
        paths = {*values_under(self._heads, key[: self.HALF]),
                 *values_under(self._tails, key[-self.HALF :])}
        found = [(p, OSA.distance(key, self._ids[p], score_cutoff=MAX_EDITS)) for p in paths]
        return [(p, edits) for p, edits in found if 0 < edits <= MAX_EDITS]


class _Paragraph:
    """The paragraph of a link, without the link itself, read when first needed."""

    def __init__(self, source: Note, link: Link) -> None:
        self._source = source
        self._link = link
        self._folded: str | None = None
        self._plain: str | None = None
        self._seen: dict[str, bool] = {}

    def names(self, form: str) -> bool:
        """Whether the paragraph holds ``form`` (a `plain` name) as whole words."""
        seen = self._seen.get(form)
        if seen is None:
            seen = self._seen[form] = self._holds(form)
        return seen

    def _holds(self, form: str) -> bool:
        if self._folded is None:
            context = self._source.context(self._link)
            link = self._link  # its own text: the [name] at its offset for a reference
            start, end = link.uses[0] if link.uses else link.span
            if start < end:
                context = context.replace(self._source.body[start:end], " ")
            self._folded = fold(context)
        if not all(word in self._folded for word in form.split(" ")):
            return False  # the usual answer, found without splitting the paragraph into words
        if self._plain is None:
            self._plain = " " + " ".join(_NOT_WORDS.sub(" ", self._folded).split()) + " "
        return f" {form} " in self._plain


class Suggester:
    """The "did you mean" of broken links, over the notes of a vault.

    Its tables are built on first use, so a vault with no broken link, or with
    broken links of one kind only, pays for nothing else.
    """

    def __init__(self, notes: Mapping[str, Note]) -> None:
        self._notes = notes
        self._ids: IdNeighbours | None = None
        self._names: dict[str, str | list[str]] = {}  # plain name -> paths
        self._written: dict[str, str] = {}  # plain name -> as written
        self._forms: dict[str, list[str]] = {}  # path -> its plain names
        self._choices: list[str] | None = None
        self._near: dict[str, Found] = {}
        self._similar: dict[str, Found] = {}

    def suggest(self, source: Note, link: Link) -> str | None:
        """What ``link`` (a broken link written in ``source``) probably meant, as the
        text to write in the link, or None when no candidate is clearly best."""
        key = normalize(link.target)
        by_id = key.isdigit()
        written = "" if by_id else plain(key)
        label = plain(link.label) if link.label else ""
        found = self.near_ids(key) if by_id else self.similar_names(written)
        by_label = self.similar_names(label) if label and label != written else {}
        paths = (found.keys() | by_label.keys()) - {source.path}  # never the note itself
        if not paths:
            return None
        nothing = (0.0, "")
        base = {p: found.get(p, nothing)[0] + by_label.get(p, nothing)[0] for p in paths}
        best = max(base.values())
        if best + NAMED < THRESHOLD:
            return None
        paragraph = _Paragraph(source, link) if len(paths) > 1 or best < THRESHOLD else None
        scores: dict[str, float] = {}
        for path in paths:
            guess = found.get(path, nothing)[1]
            if not guess:
                note = self._notes[path]
                guess = (note.id or note.title) if by_id else by_label[path][1]
            score = base[path]
            if paragraph and path != source.path and any(
                    map(paragraph.names, self._plain_names(path))):
                score += NAMED
            scores[guess] = max(score, scores.get(guess, 0.0))
        return clear_winner(scores)

    def candidates(self, source: Note, link: Link) -> list[Scored]:
        """Every candidate of ``link`` (a broken link written in ``source``), with
        its score and the reasons for it, best first (then by path): what
        `suggest` chooses from, each note on its own (`suggest` takes the best
        score of the notes that would be written alike)."""
        key = normalize(link.target)
        by_id = key.isdigit()
        written = "" if by_id else plain(key)
        label = plain(link.label) if link.label else ""
        found = self.near_ids(key) if by_id else self.similar_names(written)
        by_label = self.similar_names(label) if label and label != written else {}
        paragraph = _Paragraph(source, link)
        scored = []
        for path in (found.keys() | by_label.keys()) - {source.path}:
            note = self._notes[path]
            score, reasons = 0.0, []
            if path in found:
                closeness, guess = found[path]
                score += closeness
                reasons.append(_why(closeness, by_id, guess, note, "target"))
            else:
                guess = (note.id or note.title) if by_id else by_label[path][1]
            if path in by_label:
                closeness, name = by_label[path]
                score += closeness
                reasons.append(_why(closeness, False, name, note, "label"))
            if any(map(paragraph.names, self._plain_names(path))):
                score += NAMED
                reasons.append("the link's paragraph names it")
            scored.append(Scored(path, score, guess, tuple(reasons)))
        scored.sort(key=lambda item: (-item.score, item.path))
        return scored

    def near_ids(self, key: str) -> Found:
        """The notes whose id is an edit or two from ``key``, with their closeness."""
        if key not in self._near:
            self._ids = self._ids or IdNeighbours(self._notes)
            near = sorted(self._ids.near(key), key=lambda found: (found[1], found[0]))
            self._near[key] = {path: (_ID_CLOSENESS[edits], self._notes[path].id or "")
                               for path, edits in near[:CANDIDATES]}
        return self._near[key]

    def similar_names(self, written: str) -> Found:
        """The notes with a title or alias at least 60% similar to ``written`` (in
        `plain` form), with the closeness of their nearest name, and that name."""
        if written not in self._similar:
            if self._choices is None:
                self._load_names()
            from rapidfuzz import fuzz, process  # noqa: PLC0415 - only for names

            found: Found = {}
            for form, similarity, _ in process.extract(
                    written, self._choices or [], scorer=fuzz.ratio, processor=None,
                    score_cutoff=_NAME_CUTOFF, limit=CANDIDATES):
                for path in values_under(self._names, form):
                    if path not in found and len(found) < CANDIDATES:  # the best first
                        found[path] = (name_closeness(similarity), self._written[form])
            self._similar[written] = found
        return self._similar[written]

    def _load_names(self) -> None:
        """Fold every title and alias at once."""
        texts = [(path, name) for path, note in self._notes.items()
                 for name in (note.title, *note.aliases)]
        forms = plain_lines("\n".join(name.replace("\n", " ") for _, name in texts))
        for (path, name), form in zip(texts, forms, strict=True):
            if form:
                file_under(self._names, form, path)
                self._written.setdefault(form, name)
                self._forms.setdefault(path, []).append(form)
        self._choices = list(self._names)

    def _plain_names(self, path: str) -> list[str]:
        """The title and aliases of the note at ``path``, in `plain` form."""
        if path not in self._forms:
            note = self._notes[path]
            self._forms[path] = [form for form in map(plain, (note.title, *note.aliases))
                                 if form]
        return self._forms[path]
