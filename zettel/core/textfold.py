"""How text becomes search terms: words, case and accent folding, light stemming.

Pure functions, no Whoosh: the search index (`zettel.search.keeper`) and anything
that filters by text (the TUI's note filter) fold text the same way.

- A *word* is a run of letters, digits and underscores; a number keeps its
  inner dots (``3.14``, ``2.7.5``), while any other dot, an apostrophe or a
  hyphen splits (``www.insee.fr`` is ``www``, ``insee``, ``fr``; ``l'index``
  is ``l`` and ``index``).
- *Folding* lowercases (``casefold``) and drops accents, so ``donnees`` and
  ``données``, ``Œuvre`` and ``oeuvre`` are the same term.
- *Stemming* is deliberately light: plurals only, in a way that is safe for
  both French and English (``notes`` → ``note``, ``réseaux`` → ``reseau``,
  ``journaux`` → ``journal``, ``studies`` → ``study``). Full stemmers (Porter,
  Snowball) are per language: an English stemmer applied to French notes, or
  the reverse, conflates unrelated words, and notes mix both languages.
  Prefix (``modél*``) and fuzzy (``modele~``) queries cover the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

#: A word, over text that may hold decomposed accents (NFD, as macOS writes names).
WORD = re.compile(r"\d+(?:\.\d+)+(?![\w\u0300-\u036f])|[\w\u0300-\u036f]+")

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})
_CACHE_LIMIT = 200_000
_terms: dict[str, str] = {}


class _FoldTable(dict[int, str]):
    """``str.translate`` table folding one character at a time, filled as
    characters are met (the lookups then run in C)."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).casefold().translate(_LIGATURES))
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lowercase ``text`` and drop its accents: ``Élève`` → ``eleve``."""
    return text.translate(_FOLD)


def stem(word: str) -> str:
    """The singular of a folded word (plural endings of French and English only)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith(("eaux", "eux")):
        return word[:-1]
    if word.endswith("aux"):
        return word[:-3] + "al"
    if word.endswith("ies") and not word.endswith(("aies", "eies")):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def term(word: str) -> str:
    """The index term of one word: folded, then stemmed (memoised)."""
    found = _terms.get(word)
    if found is None:
        if len(_terms) >= _CACHE_LIMIT:
            _terms.clear()
        found = _terms[word] = stem(fold(word))
    return found


def words(text: str) -> Iterator[re.Match[str]]:
    """Every word of ``text``, with its place (``match.start()``, ``match.end()``)."""
    return WORD.finditer(text)


def term_positions(text: str) -> dict[str, list[int]]:
    """Each term of ``text`` with the positions (word numbers) where it occurs."""
    found: dict[str, list[int]] = {}
    get = _terms.get
    for position, word in enumerate(WORD.findall(text)):
        key = get(word) or term(word)
        places = found.get(key)
        if places is None:
            found[key] = [position]
        else:
            places.append(position)
    return found


def field_key(name: str) -> str:
    """A front-matter key as a search field name: ``Kézako`` → ``kezako``."""
    return re.sub(r"\W+", "_", fold(name)).strip("_")

