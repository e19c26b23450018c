"""Unlinked mentions: where a note's title or an alias is written as plain text.

Pure functions of notes (the vault layer, `zettel.vault.repair`, reads them;
the editor server calls these on an open document). The rule, also in
docs/editing.md (Mentions):

- a **name** is a note's title or one of its aliases; it is compared with
  case and accents folded (``Données`` = ``donnees``, ``Straße`` =
  ``strasse``, ``İ`` = ``i``, ``’`` = ``'``);
- it must be written as **whole words**: not preceded nor followed by a
  letter, digit or underscore (``graph`` is not in ``graphs``, it is in
  ``méta-graph``);
- between its words, any run of spaces or tabs with at most **one line break**
  (a title wrapped at the end of a line is found; across a blank line, in two
  paragraphs, it is not); other characters between words (``Jean-Paul``,
  ``A: b``) must be written as in the name;
- only in **text**: not in code (fenced or inline), in any existing link (its
  whole span: ``[[x|name]]``, ``[name](x.md)``, a reference's ``[name]`` and
  its definition), in a URL (bare or ``<autolink>``), an e-mail address, an
  HTML tag or comment, an inline ``#tag``, nor in the front matter;
- a note's mention of itself is not a mention; where two names of one note
  overlap (a title and an alias that begins it), the longer is kept;
- a mention is **flagged** (still found) when its name is `SHORT` (at most two
  letters or digits): ``short``; when several notes have that name:
  ``ambiguous``; the vault layer adds ``common`` for a one-word name found in
  many notes. ``zettel mentions --link`` links flagged mentions only when they
  are picked by number.

Folding changes lengths (``ß`` → ``ss``, a decomposed accent disappears): the
text is folded with a map back to the original offsets, so a mention's span is
exact in the body, and `Mention.text` is the text as written.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate
from typing import Any, NamedTuple

from zettel.core.body import mask_code
from zettel.core.model import Note
from zettel.core.resolve import Named
from zettel.core.textfold import fold as fold_word

#: A name of at most this many letters and digits is flagged ``short``.
SHORT = 2
#: More names than this are found with a table of words, not one pattern each.
_PATTERNS_UP_TO = 24
#: Where a mention cannot be: every character in these spans is made a NUL.
_HIDDEN = "\0"
_URL = re.compile(r"(?<![\w@])(?:[A-Za-z][A-Za-z0-9+.-]{1,31}://|www\.|mailto:)[^\s<>]*")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ANGLED = re.compile(r"<!--.*?(?:-->|\Z)|</?[A-Za-z][^<>\n]*>|<[A-Za-z][A-Za-z0-9+.-]*:[^<>\s]*>",
                     re.S)
_TAG = re.compile(r"#(?<![\w#/&\[(=]#)\w[\w/-]*")
_WORD = re.compile(r"\w+")
_NOT_NEWLINE = re.compile(r"[^\n]")
_SPACE = re.compile(r"[^\S\n]+")
#: Between two words of a name written with white space: spaces or tabs, at most
#: one line break (no blank line).
_GAP = r"(?:[^\S\n]+\n?|\n)[^\S\n]*"
_GAP_RE = re.compile(_GAP)


class _FoldTable(dict[int, str]):
    """``str.translate`` table: each character folded (`zettel.core.textfold.fold`),
    typographic apostrophes made ``'``; filled as characters are met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = "'" if char in "\u2019\u02bc" else fold_word(char)
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """``text`` with case and accents folded, as names and text are compared."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


class Folded(NamedTuple):
    """A text folded (`fold`), and where each folded offset comes from."""

    text: str
    #: Start offset in the folded text of each original character, and its length
    #: at the end; empty when folding kept every offset (the usual case).
    starts: list[int]

    def original(self, at: int) -> int | None:
        """The offset in the original text of folded offset ``at``: the last
        character starting there (so a match ending before a dropped accent
        keeps the accent); None in the middle of a character's folding
        (``ß`` → ``ss``)."""
        if not self.starts:
            return at
        index = bisect_right(self.starts, at) - 1
        return index if index >= 0 and self.starts[index] == at else None


def fold_mapped(text: str) -> Folded:
    """``text`` folded, with the map back to its offsets (see `Folded`)."""
    if text.isascii():
        return Folded(text.lower(), [])
    folded = text.translate(_FOLD)
    table = _FOLD
    odd = [char for char in set(text) if len(table[ord(char)]) != 1]
    if not odd:
        return Folded(folded, [])
    lengths = {char: len(table[ord(char)]) for char in set(text)}
    starts = [0, *accumulate(lengths[char] for char in text)]
    return Folded(folded, starts)


def hidden_spans(note: Note) -> list[tuple[int, int]]:
    """The spans of ``note.body`` where no mention can be, code aside: links
    (and reference uses), URLs, e-mail addresses, HTML tags and comments,
    autolinks, inline tags."""
    body = note.body
    spans = [link.span for link in note.links]
    spans += [use for link in note.links for use in link.uses]
    if "://" in body or "www." in body or "mailto:" in body:
        spans += [m.span() for m in _URL.finditer(body)]
    if "@" in body:
        spans += [m.span() for m in _EMAIL.finditer(body)]
    if "<" in body:
        spans += [m.span() for m in _ANGLED.finditer(body)]
    if "#" in body:
        spans += [m.span() for m in _TAG.finditer(body)]
    return spans


def hide(text: str, spans: Iterable[tuple[int, int]], by: str = _HIDDEN) -> str:
    """``text`` with every character of ``spans`` but newlines replaced by ``by``."""
    pieces: list[str] = []
    done = 0
    for start, end in sorted(spans):
        if end <= done:
            continue
        start = max(start, done)
        pieces += (text[done:start], _NOT_NEWLINE.sub(by, text[start:end]))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def mention_text(note: Note, *, code: bool = False) -> str:
    """``note.body`` with what cannot hold a mention hidden (NUL characters,
    newlines kept, offsets unchanged); code too when ``code`` (else the finder
    checks it match by match)."""
    body = note.body
    if code:
        masked = mask_code(body)
        if masked is not body:
            body = _hide_masked(body, masked)
    return hide(body, hidden_spans(note))


def _hide_masked(body: str, masked: str) -> str:
    """``masked`` (`mask_code` of ``body``) with each blanked run of code as NULs."""
    out: list[str] = []
    done = 0
    for m in _SPACE.finditer(masked):
        start, end = m.span()
        if masked[start:end] != body[start:end]:
            out += (masked[done:start], _NOT_NEWLINE.sub(_HIDDEN, body[start:end]))
            done = end
    out.append(masked[done:])
    return "".join(out)


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return _WORD.findall(fold(text))


def name_key(name: str) -> str:
    """The form in which two names are the same name: folded, white space as one space."""
    return " ".join(fold(name).split())


class Name(NamedTuple):
    """A name to look for: its key (`name_key`), the notes that have it (paths),
    the name as the first of them writes it, its words, its pattern."""

    key: str
    paths: tuple[str, ...]
    written: str
    words: tuple[str, ...]

    @property
    def short(self) -> bool:
        return sum(map(len, self.words)) <= SHORT

    @property
    def pattern(self) -> re.Pattern[str]:
        """The name as a pattern over folded text (compiled when first used)."""
        return _pattern(self.key)

    @property
    def gaps(self) -> tuple[str, ...] | None:
        """What the name writes between its words (one space for white space),
        when it is only words and what is between them; else None."""
        return _gaps(self.key)


@functools.lru_cache(maxsize=1 << 16)
def _gaps(key: str) -> tuple[str, ...] | None:
    pieces = _WORD.split(key)
    return tuple(pieces[1:-1]) if pieces[0] == pieces[-1] == "" else None


@functools.lru_cache(maxsize=1 << 16)
def _pattern(key: str) -> re.Pattern[str]:
    """The pattern of a name key over folded text (see the module doc)."""
    parts: list[str] = []
    for piece in re.split(r"(\s+)", key):
        if piece.isspace():
            parts.append(_GAP)
        elif piece:
            parts.append(re.escape(piece))
    head = r"(?<!\w)" if re.match(r"\w", key) else ""
    tail = r"(?!\w)" if re.search(r"\w$", key) else ""
    return re.compile(head + "".join(parts) + tail)


def names_of(notes: Iterable[Named]) -> list[Name]:
    """The names (titles and aliases) of ``notes``, one `Name` per key; names
    without a letter or digit are left out."""
    found: dict[str, tuple[list[str], str]] = {}
    for note in notes:
        for written in (note.title, *note.aliases):
            key = name_key(written)
            if not _WORD.search(key):
                continue
            paths, _ = found.setdefault(key, ([], written))
            if note.path not in paths:
                paths.append(note.path)
    return [Name(key, tuple(paths), written, tuple(_WORD.findall(key)))
            for key, (paths, written) in found.items()]


class Mention(NamedTuple):
    """A name of note ``target`` written as text in note ``source``.

    ``start`` and ``end`` are offsets in the source's body
    (`zettel.core.parse.body_to_file` maps them into its file); ``line`` and
    ``column`` are 1-based, in the file; ``text`` is the mention as written;
    ``name`` the title or alias it matched, as the target note writes it;
    ``line_text`` the body line it starts on; ``flag`` is None, ``short``,
    ``ambiguous`` or ``common`` (see the module doc).
    """

    source: str
    target: str
    start: int
    end: int
    line: int
    column: int
    text: str
    name: str
    line_text: str
    flag: str | None = None


class MentionFinder:
    """Finds the mentions of some notes (all of a vault's, or one) in notes."""

    def __init__(self, targets: Iterable[Named]) -> None:
        self.names = names_of(targets)
        self._trie: dict[str, Any] | None = None

    def find(self, source: Note, text: str | None = None) -> list[Mention]:
        """The mentions in ``source`` of every target but itself, in body order
        (of two names of one target overlapping, the longer). ``text``: its
        `mention_text`, when the caller has it."""
        if not self.names:
            return []
        folded = fold_mapped(text if text is not None else mention_text(source))
        body = source.body
        masked = mask_code(body)
        found: list[tuple[int, int, Name]] = []
        for start, end, name in self._matches(folded.text):
            a, b = folded.original(start), folded.original(end)
            if a is None or b is None or (masked is not body and masked[a:b] != body[a:b]):
                continue
            found.append((a, b, name))
        return list(_mentions(source, found))

    def may_hold(self, text: str) -> bool:
        """Whether ``text`` (a whole file, say) holds a name anywhere: False means
        no mention can be found in it (a quick look before parsing it)."""
        folded = fold(text)
        return any(name.words[0] in folded and name.pattern.search(folded)
                   for name in self.names)

    def _matches(self, folded: str) -> Iterator[tuple[int, int, Name]]:
        if len(self.names) <= _PATTERNS_UP_TO:
            for name in self.names:
                if name.words[0] in folded:
                    for m in name.pattern.finditer(folded):
                        yield m.start(), m.end(), name
            return
        trie = self._trie if self._trie is not None else self._build_trie()
        found = _WORD.findall(folded)
        spans: list[tuple[int, int]] | None = None
        get = trie.get
        for i, word in enumerate(found):
            node = get(word)
            j = i + 1
            while node is not None:
                names = node.get("")
                if names:
                    if spans is None:
                        spans = [m.span() for m in _WORD.finditer(folded)]
                    yield from _at(folded, spans, i, j, names)
                if j == len(found):
                    break
                node = node.get(found[j])
                j += 1

    def _build_trie(self) -> dict[str, Any]:
        trie: dict[str, Any] = {}
        for name in self.names:
            node = trie
            for word in name.words:
                node = node.setdefault(word, {})
            node.setdefault("", []).append(name)  # "" is no word: the names ending here
        self._trie = trie
        return trie


def _at(folded: str, spans: list[tuple[int, int]], first: int, last: int,
        names: list[Name]) -> Iterator[tuple[int, int, Name]]:
    """The names of ``names`` (all of the words ``first`` to ``last`` of
    ``folded``) written there, with what is between their words."""
    start, end = spans[first][0], spans[last - 1][1]
    between = [folded[spans[k][1] : spans[k + 1][0]] for k in range(first, last - 1)]
    for name in names:
        gaps = name.gaps
        if gaps is None:
            m = name.pattern.match(folded, start)
            if m:
                yield start, m.end(), name
        elif all(written == want or (want == " " and _GAP_RE.fullmatch(written))
                 or (want != " " and _gap_pattern(want).fullmatch(written))
                 for written, want in zip(between, gaps, strict=True)):
            yield start, end, name


@functools.lru_cache(maxsize=256)
def _gap_pattern(want: str) -> re.Pattern[str]:
    """What is between two words of a name, written ``want``, as a pattern."""
    return re.compile("".join(_GAP if piece.isspace() else re.escape(piece)
                              for piece in re.split(r"(\s+)", want) if piece))


def _mentions(source: Note, found: list[tuple[int, int, Name]]) -> Iterator[Mention]:
    """One mention per (place, target): of overlapping matches for one target,
    the longest (then the first)."""
    body = source.body
    kept: dict[str, int] = {}  # target: end of its last mention
    found.sort(key=lambda item: (item[0], item[0] - item[1]))
    line, line_start, pos = source.body_line, 0, 0
    for start, end, name in found:
        targets = [p for p in name.paths if p != source.path]
        targets = [p for p in targets if kept.get(p, -1) <= start]
        if not targets:
            continue
        newlines = body.count("\n", pos, start)
        if newlines:
            line += newlines
            line_start = body.rfind("\n", pos, start) + 1
        pos = start
        line_end = body.find("\n", start)
        line_text = body[line_start : len(body) if line_end == -1 else line_end]
        flag = "ambiguous" if len(name.paths) > 1 else "short" if name.short else None
        for target in targets:
            kept[target] = end
            yield Mention(source.path, target, start, end, line, start - line_start + 1,
                          body[start:end], name.written, line_text, flag)


def find_mentions(source: Note, target: Named) -> list[Mention]:
    """The mentions of ``target`` (title and aliases) in ``source``."""
    return MentionFinder([target]).find(source)


def link_label(text: str) -> str:
    """The text of a mention as a link's label: its white space (a line break
    included) as single spaces."""
    return " ".join(text.split())


def in_table_row(line_text: str) -> bool:
    """Whether a line is a row of a Markdown table (where a wiki link's ``|``
    must be written ``\\|``)."""
    stripped = line_text.strip()
    return stripped.startswith("|") and stripped.count("|") >= 2
