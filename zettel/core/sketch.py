"""A note's sketch: a Bloom filter of its words, pairs and threes of adjacent
words, folded as mentions are compared (`zettel.core.mentions`), from the text
that can hold a mention (code, links, URLs, tags left out); and the hashes of
its distinct words. Pure: `zettel.vault.sketches` keeps the sketches of a
vault, and finds with them the notes that may mention a name.

The filter is *blocked*: each term (a word, or two or three words joined by a
space) sets `HASHES` bits in one 64-bit block that a hash of it chooses, so a
note's filter is made with one operation a term. The hashes are the same in
every process (CRC-32, mixed by Fibonacci hashing), whatever ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from zettel.core.mentions import mention_text, words
from zettel.core.model import Note

#: Bits of the filter per word (or two or three words), and bits set for each (in one
#: 64-bit block of the filter, chosen by a hash): about one false pass in 300 per
#: term looked for.
BITS_PER_TERM = 16
HASHES = 6
#: The sizes of filters, in bits: 256, then each about 1.19 times the one before,
#: in whole 64-bit words (a filter is the first size with `BITS_PER_TERM` per term).
SIZES = tuple(sorted({-(-int(256 * 2 ** (k / 4)) // 64) * 64 for k in range(84)}))
_HASHED_UP_TO = 500_000
_hashed: dict[str, tuple[int, int]] = {}


class Sketch(NamedTuple):
    """One note's filter and the hashes of its distinct words (``array('I')``)."""

    bloom: bytes
    words: bytes


def term_hash(term: str) -> tuple[int, int]:
    """Where a term goes in a filter (the same in every process), remembered: a
    hash choosing its 64-bit block, and the `HASHES` bits it sets in the block."""
    found = _hashed.get(term)
    if found is None:
        if len(_hashed) >= _HASHED_UP_TO:
            _hashed.clear()
        data = term.encode("utf-8", "surrogatepass")
        first = zlib.crc32(data)
        # 36 bits for the 6 bits set in the block, mixed from all of the hash
        # (Fibonacci hashing): the block is its remainder, so its low bits are taken
        bits = ((first * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 28
        mask = 0
        for _ in range(HASHES):
            mask |= 1 << (bits & 63)
            bits >>= 6
        found = _hashed[term] = (first, mask)
    return found


def size_for(count: int) -> int:
    return SIZES[min(bisect_left(SIZES, count * BITS_PER_TERM), len(SIZES) - 1)]


def places(terms: Iterable[str], bits: int) -> list[tuple[int, int]]:
    """The (byte, bit) a filter of ``bits`` bits has set when it holds ``terms``."""
    found = set()
    for term in terms:
        block, mask = term_hash(term)
        base = (block % (bits // 64)) * 64
        for bit in range(64):
            if mask >> bit & 1:
                at = base + bit
                found.add((at >> 3, 1 << (at & 7)))
    return sorted(found)


def name_terms(name_words: Sequence[str]) -> set[str]:
    """What a note must hold to mention a name of these words: the word, the pair
    of words, or each three adjacent words (joined by spaces)."""
    if len(name_words) < 3:
        return {" ".join(name_words)}
    return {" ".join(name_words[i : i + 3]) for i in range(len(name_words) - 2)}


def sketch(note: Note) -> Sketch:
    """The sketch of ``note`` (see the module doc)."""
    found = words(mention_text(note, code=True))
    distinct = set(found)
    pairs = [f"{a} {b}" for a, b in zip(found, found[1:], strict=False)]
    terms = distinct.union(pairs, [f"{p} {c}" for p, c in zip(pairs, found[2:], strict=False)])
    blocks = size_for(len(terms)) // 64
    filled = [0] * blocks
    for term in terms:
        block, mask = _hashed.get(term) or term_hash(term)
        filled[block % blocks] |= mask
    bloom = array("Q", filled)
    if sys.byteorder == "big":
        bloom.byteswap()  # bit b of a block is bit b % 8 of its byte b // 8
    hashes = array("I", sorted({term_hash(word)[0] for word in distinct}))
    return Sketch(bloom.tobytes(), hashes.tobytes())
