"""Reading a note's Markdown body: links, inline tags and the first heading.

Everything here is a pure function of the body text. Code is masked first
(fenced blocks and inline code spans are blanked out, keeping offsets), so a
``[[link]]`` or ``#tag`` shown inside code is never taken for a real one.
"""

from __future__ import annotations

import functools
import operator
import re
import sys
from bisect import bisect_right
from urllib.parse import unquote

from zettel.core.model import Link, LinkKind, Span

# Patterns start with a literal character, which the regex engine finds quickly
# (a look-behind first would make it try every position of a huge note).
_INLINE_CODE = re.compile(r"(`(?<!``)`*)(?!`)[^\n]*?(?<!`)\1(?!`)")
_NOT_NEWLINE = re.compile(r"[^\n]")
_HEADING = re.compile(r"#(?<![^\n]#)[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)  # at a line start
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")

# Each pattern starts with a literal character, which lets the regex engine
# skip ahead quickly; a body is scanned once for links, and for tags and
# reference definitions only when it holds a '#' or ']:'. In the link pattern
# the wiki form comes first, so ``[[x]]`` is never also read as ``[x]``.
_LINKS = re.compile(
    r"\[(?:\[(?P<wiki>[^\[\]\n]+)\]\]"
    r"|(?P<mtext>(?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\([ \t]*(?P<murl><[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'))?[ \t]*\))"
)
# A reference definition ``[name]: url``; ``[^1]: text`` is a footnote, not a link.
_REF_DEF = re.compile(
    r"^[ ]{0,3}\[(?P<name>[^\[\]\n^][^\[\]\n]*)\]:[ \t]*(?P<url><[^>\n]*>|\S+)", re.M)
# Where a reference name may be used: ``[name]``, not inside ``[[...]]`` nor before ``(``.
_BRACKETED = re.compile(r"\[(?<!\[\[)([^\[\]\n]+)\](?![\](])")  # '[' first: quick to find
_TAG = re.compile(r"#(?<![\w#/&\[(=]#)(\w[\w/-]*)")

_new_link = functools.partial(tuple.__new__, Link)  # Link(...) without its Python __new__
_LINE_COLUMN = operator.itemgetter(2, 3)  # a link's line and column
_INTERN_BELOW = 1_000_000  # characters


def mask_code(body: str) -> str:
    """Return ``body`` with fenced code blocks and inline code blanked out.

    Every masked character but a newline becomes a space, so offsets and line
    numbers in the result are those of ``body``. A fence left open runs to the
    end of the body, as in CommonMark. Inline code is matched within a line.
    """
    if "`" not in body and "~~~" not in body:
        return body
    if "```" in body or "~~~" in body:
        body = _mask_fences(body)
    if "`" in body:
        body = _INLINE_CODE.sub(lambda m: " " * len(m.group()), body)
    return body


def _mask_fences(body: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        found = _fence(body, pos, "`~", 3)
        if found is None:
            out.append(body[pos:])
            return "".join(out)
        start, run_end = found
        fence = body[start:run_end].lstrip(" ")
        line_end = body.find("\n", run_end)
        if fence[0] == "`" and line_end != -1 and "`" in body[run_end:line_end]:
            # A backtick fence's info string may not contain a backtick.
            out.append(body[pos : line_end + 1])
            pos = line_end + 1
            continue
        closed = None if line_end == -1 else _fence(body, line_end + 1, fence[0], len(fence),
                                                     closing=True)
        end = len(body)
        if closed is not None:
            end = body.find("\n", closed[1])
            end = len(body) if end == -1 else end
        out.append(body[pos:start])
        out.append(_NOT_NEWLINE.sub(" ", body[start:end]))
        pos = end


def _fence(body: str, pos: int, chars: str, length: int,
           closing: bool = False) -> tuple[int, int] | None:
    """The next fence from ``pos``: a run of at least ``length`` of one of ``chars``
    that starts a line (after at most three spaces) and, for a closing fence, ends
    it (but for spaces and tabs). Returns where its line starts and where the run
    ends. Runs are found with `str.find`, far quicker than a regex on a huge body."""
    found = {c: body.find(c * length, pos) for c in chars}
    while True:
        char, at = min(((c, i) for c, i in found.items() if i != -1),
                       key=lambda item: item[1], default=("", -1))
        if at == -1:
            return None
        end = at + length
        while end < len(body) and body[end] == char:
            end += 1
        found[char] = body.find(char * length, end)
        start = at
        while start > pos and at - start < 3 and body[start - 1] == " ":
            start -= 1
        if start and body[start - 1] != "\n":
            continue
        if closing:
            line_end = body.find("\n", end)
            if body[end : len(body) if line_end == -1 else line_end].strip(" \t"):
                continue
        return start, end


def first_heading(masked_body: str) -> str | None:
    """The text of the first level-1 ATX heading (``# Title``), if any."""
    m = _HEADING.search(masked_body)
    return m.group(1).strip() if m else None


class _Lines:
    """File line and column (1-based) of offsets in a body, for offsets that
    mostly come in increasing order: each step counts the newlines since the
    previous offset only, so a whole scan is linear in the body's size."""

    __slots__ = ("_body", "_pos", "_line", "_line_start")

    def __init__(self, body: str, first_line: int) -> None:
        self._body = body
        self._pos, self._line, self._line_start = 0, first_line, 0

    def at(self, pos: int) -> tuple[int, int]:
        body = self._body
        if pos < self._pos:  # going back: count again from the top (never in a scan)
            self._line -= body.count("\n", pos, self._pos)
            self._line_start = body.rfind("\n", 0, pos) + 1
        else:
            newlines = body.count("\n", self._pos, pos)
            if newlines:
                self._line += newlines
                self._line_start = body.rfind("\n", self._pos, pos) + 1
        self._pos = pos
        return self._line, pos - self._line_start + 1


def _wiki_link(inner: str, at: int, kind: LinkKind, line: int, col: int, start: int,
               length: int) -> Link:
    """The link of ``[[target#heading|label]]`` written from ``start`` (for
    ``length`` characters), whose inner text ``inner`` starts ``at`` from it."""
    label = heading = None
    label_at = label_length = heading_at = heading_length = 0
    bar = inner.find("|")
    if bar != -1:
        written = inner[bar + 1 :]
        label = written.strip() or None
        if label is not None:
            label_at = at + bar + 1 + len(written) - len(written.lstrip())
            label_length = len(label)
        inner = inner[:bar].rstrip("\\")  # `[[a\|b]]`, the escaped pipe of tables
    hash_at = inner.find("#")
    if hash_at != -1:
        written = inner[hash_at + 1 :]
        heading = written.strip() or None
        if heading is not None:
            heading_at = at + hash_at + 1 + len(written) - len(written.lstrip())
            heading_length = len(heading)
        inner = inner[:hash_at]
    target = inner.strip()
    at += len(inner) - len(inner.lstrip())
    return _new_link((target, kind, line, col, start, label, heading, start, length, at,
                      len(target), label_at, label_length, heading_at, heading_length, ()))


def scan_body(body: str, first_line: int = 1) -> tuple[list[Link], list[str], str]:
    """Find the links and inline tags of a body.

    Returns ``(links, tags, masked)`` where ``masked`` is the body with code
    blanked out (see `mask_code`). ``first_line`` is the file line on which
    the body starts, so that link lines are file lines. Links come in the
    order they are written.
    """
    masked = mask_code(body)
    links: list[Link] = []
    tags: list[str] = []
    if "#" in masked:
        for tag in _TAG.findall(masked):
            tag = tag.rstrip("/-")
            if tag and not tag.isdigit():
                tags.append(tag)
    if "[" not in masked:
        return links, tags, masked
    # The line of each link is counted on from the previous link (see `_Lines`),
    # inline here: a note may hold a million links.
    count, rfind, new_link = masked.count, masked.rfind, _new_link
    # The same notes are linked again and again: one string each, but not for a
    # huge note, whose many targets would only fill the table of interned strings.
    intern = sys.intern if len(masked) < _INTERN_BELOW else str
    pos, line, line_start = 0, first_line, 0
    for m in _LINKS.finditer(masked):
        start, end = m.start(), m.end()
        embed = start > 0 and masked[start - 1] == "!"
        if embed:
            start -= 1
        newlines = count("\n", pos, start)
        if newlines:
            line += newlines
            line_start = rfind("\n", pos, start) + 1
        pos = start
        wiki = m.group(1)
        if wiki is not None:
            kind: LinkKind = "embed" if embed else "wiki"
            if "|" in wiki or "#" in wiki:
                links.append(_wiki_link(wiki, 2 + embed, kind, line, start - line_start + 1,
                                        start, end - start))
                continue
            target = wiki.strip()
            at = 2 + embed  # where the target starts, from the link's start
            if len(target) != len(wiki):
                at += len(wiki) - len(wiki.lstrip())
            links.append(new_link((intern(target), kind, line, start - line_start + 1, start,
                                   None, None, start, end - start, at, len(target), 0, 0, 0, 0,
                                   ())))
            continue
        written = m.group(2)  # the text in brackets
        label = written.strip() or None
        label_at = m.start(2) - start + len(written) - len(written.lstrip())
        link = _url_link(m.group(3), m.start(3) - start, "embed" if embed else "markdown", line,
                         start - line_start + 1, start, start, end - start, label, label_at,
                         len(label) if label else 0, ())
        if link is not None:
            links.append(link)
    if "]:" in masked:
        before = len(links)
        _reference_links(masked, _Lines(body, first_line), links)
        if 0 < before < len(links) and _LINE_COLUMN(links[before - 1]) > _LINE_COLUMN(
                links[before]):  # definitions among the links, not after them all
            links.sort(key=_LINE_COLUMN)  # two sorted runs: a linear merge
    return links, tags, masked


def _reference_links(masked: str, lines: _Lines, links: list[Link]) -> None:
    """Add a link for each reference definition ``[name]: url`` of ``masked``.

    Its span is the definition's, its ``uses`` the spans of each ``[name]``
    written outside every definition (one tuple for all the definitions of a
    name). Its offset, which gives its context, is where the first use starts
    (where the definition's line starts when it is not used).
    """
    defs = _ref_defs(masked)
    if not defs:
        return
    names = {m.group("name") for m in defs}
    starts = [m.start() for m in defs]  # definitions are one a line: in order, apart
    written: dict[str, list[int]] = {}  # where each name is used, in one pass
    for use in _BRACKETED.finditer(masked):
        name, at = use.group(1), use.start()
        if name in names:
            before = bisect_right(starts, at) - 1  # the last definition starting before
            if before < 0 or at >= defs[before].end():
                written.setdefault(name, []).append(at)
    uses = {name: tuple((p, p + len(name) + 2) for p in found) for name, found in written.items()}
    for m in defs:
        name, start, end = m.group("name"), m.start(), m.end()
        line, col = lines.at(start)
        used = uses.get(name, ())
        at = m.start("name") - 1  # the definition's '['
        link = _url_link(m.group("url"), m.start("url") - at, "reference", line, col,
                         used[0][0] if used else start, at, end - at, name, 1, len(name), used)
        if link is not None:
            links.append(link)


def _ref_defs(masked: str) -> list[re.Match[str]]:
    """The reference definitions of ``masked``: `_REF_DEF` tried at the start of
    each line holding ``]:`` only (far quicker than trying every line start)."""
    found = []
    find, rfind, match = masked.find, masked.rfind, _REF_DEF.match
    tried, line_start, before, at = -1, 0, 0, find("]:")
    while at != -1:
        newline = rfind("\n", before, at)  # from the previous ']:' only: linear
        if newline != -1:
            line_start = newline + 1
        if line_start != tried:
            tried = line_start
            m = match(masked, line_start)
            if m:
                found.append(m)
        before, at = at, find("]:", at + 2)
    return found


def _url_link(url: str, at: int, kind: LinkKind, line: int, col: int, offset: int,
              start: int, length: int, label: str | None, label_at: int, label_length: int,
              uses: tuple[Span, ...]) -> Link | None:
    """The link a Markdown URL makes: ``external`` when it has a scheme, else a
    local link of ``kind``; None for an in-page anchor (``#part``). The link
    is written from ``start`` for ``length`` characters, the URL ``at`` from
    its start."""
    if url.startswith("<"):
        if _SCHEME.match(url, 1):
            target = url.strip("<>")
            return _new_link((target, "external", line, col, offset, label, None, start, length,
                              at + len(url) - len(url.lstrip("<")), len(target), label_at,
                              label_length, 0, 0, uses))
        if url.endswith(">"):
            inner = url[1:-1]
            url = inner.strip()
            at += 1 + len(inner) - len(inner.lstrip())
    elif _SCHEME.match(url):
        return _new_link((url, "external", line, col, offset, label, None, start, length, at,
                          len(url), label_at, label_length, 0, 0, uses))
    path, _, fragment = url.partition("#")
    if not path:
        return None
    target_length = len(path)
    heading_length = len(fragment)
    if "%" in url:
        path, fragment = unquote(path), unquote(fragment)
    return _new_link((path, kind, line, col, offset, label, fragment or None, start, length, at,
                      target_length, label_at, label_length, at + target_length + 1,
                      heading_length, uses))
