"""Completion: notes after ``[[`` and in ``[text](``, headings after ``[[note#``,
Cosma link types after ``[[``, tags after ``#`` and in the front matter's
``tags:``, types in its ``types:``.

Notes are matched by title, alias, id and path (`zettel.lsp.matcher`), best
first, notes linked to in this session or changed lately a little higher.
Choosing one replaces what was typed, from the ``[[`` to the closing ``]]`` if
the editor already put one, with a link in the vault's link style
(`zettel.core.linkstyle`). The answer is marked incomplete: the editor asks
again as the person types, and the server filters and orders.
"""

from __future__ import annotations

import heapq
import posixpath
import re
import time
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import quote, unquote

from lsprotocol import types

from zettel.core.body import mask_code
from zettel.core.linkstyle import LinkStyle, count_styles, format_link, most_used
from zettel.core.model import Note, count
from zettel.core.suggest import fold
from zettel.lsp.cursor import body_offset, front_matter_lines, headings
from zettel.lsp.markup import Content, first_line, first_paragraph
from zettel.lsp.matcher import Matcher
from zettel.lsp.state import VaultState
from zettel.lsp.workspace import Buffer
from zettel.vault.config import ConfigError, read_inside

#: At most this many items are sent (the editor asks again as the person types).
LIMIT = 50
#: Score added for a note linked to in this session, and at most for one changed lately.
LINKED_BONUS, RECENT_BONUS = 12.0, 8.0
#: How many of the latest changed notes get a bonus.
RECENT = 200
#: Past this many notes renamed since the names to complete were gathered, they are
#: gathered again (until then, those notes are matched apart).
RENAMED = 200
TRIGGERS = ["[", "(", "#", ":", "/"]
#: The most wiki links whose style is counted to find the vault's link style.
STYLE_SAMPLE = 4000

_WIKI = re.compile(r"\[\[([^\[\]]*)$")
_MARKDOWN = re.compile(r"\]\(([^()\s]*)$")
_TAG = re.compile(r"(?<![\w#/&\[(=])#([\w/-]*)$")
_TYPED = re.compile(r"^([\w-]+):(.*)$")
_KEY = re.compile(r"^([^\s:#-][^:]*?)[ \t]*:(.*)$")
_ITEM = re.compile(r"^[ \t]*-[ \t]*(.*)$")
_TAG_KEYS, _TYPE_KEYS = {"tags", "tag", "keywords"}, {"types", "type"}
_URL_SAFE = "/!$&'*+,;=:@-._~"


class Typed(NamedTuple):
    """What is being completed: ``kind``, the text typed so far (``query``), and
    the text offsets it replaces (``start:end``)."""

    kind: str  # wiki, markdown, heading, tag, types
    query: str
    start: int
    end: int
    prefix: str = ""  # a Cosma link type (``type:``), or the note of a heading
    embed: bool = False


def context(buffer: Buffer, offset: int) -> Typed | None:
    """What the cursor at ``offset`` completes, if anything."""
    lines = buffer.lines
    line = lines.line_of(offset)
    start, end = lines.starts[line], lines.line_end(line)
    before, after = buffer.text[start:offset], buffer.text[offset:end]
    if line in front_matter_lines(buffer):
        return _front_matter(buffer, line, before, offset)
    body = body_offset(buffer, offset)
    if body is None:
        return None
    wiki = _WIKI.search(before)
    if wiki:
        return _wiki(buffer, start + wiki.start(), wiki.group(1), offset, after)
    markdown = _MARKDOWN.search(before)
    if markdown and _in_text(buffer, start + markdown.start()):
        close = 1 if after.startswith(")") else 0
        return Typed("markdown", unquote(markdown.group(1)), start + markdown.start(1),
                     offset + close)
    tag = _TAG.search(before)
    if tag and (tag.group(1) or tag.start() > 0) and _in_text(buffer, start + tag.start()):
        return Typed("tag", tag.group(1), start + tag.start(1), offset)
    return None


def _in_text(buffer: Buffer, offset: int) -> bool:
    """False when ``offset`` is in code (a fence or a code span)."""
    at = body_offset(buffer, offset)
    masked = buffer.masked
    return at is not None and at < len(masked) and masked[at] != " "


def _wiki(buffer: Buffer, start: int, inner: str, offset: int, after: str) -> Typed | None:
    if "|" in inner or not _in_text(buffer, start):
        return None  # a label is being typed
    embed = start > 0 and buffer.text[start - 1] == "!"
    close = 2 if after.startswith("]]") else 1 if after.startswith("]") else 0
    if "#" in inner:
        target = inner[: inner.index("#")]
        return Typed("heading", inner[len(target) + 1 :], offset - len(inner) + len(target) + 1,
                     offset, prefix=target)
    typed = _TYPED.match(inner)
    state = buffer.vault
    if typed and state is not None and typed.group(1) in link_types(state):
        return Typed("wiki", typed.group(2), start, offset + close, prefix=typed.group(1),
                     embed=embed)
    return Typed("wiki", inner, start, offset + close, embed=embed)


def _front_matter(buffer: Buffer, line: int, before: str, offset: int) -> Typed | None:
    key, values = None, before
    field = _KEY.match(before)
    if field:
        key, values = field.group(1), field.group(2)
    else:
        item = _ITEM.match(before)
        if not item:
            return None
        values = item.group(1)
        lines = buffer.lines
        for above in range(line - 1, 0, -1):
            text = buffer.text[lines.starts[above]:lines.line_end(above)]
            if text[:1] not in (" ", "\t", "-", ""):
                found = _KEY.match(text)
                key = found.group(1) if found else None
                break
    if key is None:
        return None
    kind = "tag" if key.lower() in _TAG_KEYS else "types" if key.lower() in _TYPE_KEYS else None
    if kind is None:
        return None
    partial = re.split(r"[,\[]", values)[-1]
    query = partial.strip().strip("'\"").lstrip("#")
    return Typed(kind, query, offset - len(partial.lstrip().lstrip("'\"").lstrip("#")), offset)


def complete(buffer: Buffer, position: types.Position,
             markdown: bool = True) -> types.CompletionList | None:
    """The completion list at ``position``, or None when nothing is completed there."""
    state = buffer.vault
    if state is None or not buffer.in_vault:
        return None
    typed = context(buffer, buffer.lines.offset(position))
    if typed is None:
        return None
    typed_range = buffer.lines.range(typed.start, typed.end)
    filter_text = buffer.text[typed.start : buffer.lines.offset(position)]
    if typed.kind in ("tag", "types"):
        items = _names(state, buffer, typed, typed_range, filter_text)
    elif typed.kind == "heading":
        items = _headings(state, buffer, typed, typed_range, filter_text)
    else:
        items = _notes(state, buffer, typed, typed_range, filter_text, markdown)
    return types.CompletionList(is_incomplete=True, items=items)


# -- notes


def _names_of(state: VaultState, paths: Iterable[str]) -> list[tuple[str, str]]:
    """The names a note is completed by: title, aliases, id, path without extension."""
    names = []
    for path in paths:
        note = state.notes.get(path)
        if note is not None:
            for name in {note.title, *note.aliases, note.id or "", path.rsplit(".", 1)[0]}:
                if name:
                    names.append((name, path))
    return names


def matcher(state: VaultState) -> tuple[Matcher[str], set[str]]:
    """The notes' names (title, aliases, id, path) as they were when it was built,
    and the notes renamed since (built again when names changed everywhere, or for
    more than `RENAMED` notes)."""
    found = state.memo.get(("matcher",))
    renamed = state.renamed_since(found[1], RENAMED) if found is not None else None
    if found is None or renamed is None:
        found = state.memo[("matcher",)] = (Matcher(_names_of(state, state.notes)),
                                            state.names_version)
        renamed = set()
    return found[0], renamed


def search(state: VaultState, query: str, prefer: dict[str, float],
           limit: int) -> dict[str, float]:
    """The notes whose names match ``query``, with their scores (`Matcher.search`);
    the notes renamed since the matcher was built are matched by their names now."""
    names, renamed = matcher(state)
    found = names.search(query, prefer, limit)
    if renamed:
        for path in renamed:
            found.pop(path, None)
        found.update(Matcher(_names_of(state, renamed)).search(query, prefer, limit))
    return found


def ranked(state: VaultState, query: str, exclude: str | None = None,
           limit: int = LIMIT) -> list[tuple[str, float]]:
    """The notes best matching ``query`` (the latest changed when it is empty),
    best first, with their scores."""
    now = time.monotonic()
    recent = heapq.nlargest(RECENT, state.changed.items(), key=lambda item: item[1])
    bonus = {path: RECENT_BONUS * (1 - rank / RECENT) for rank, (path, _) in enumerate(recent)}
    for path, when in state.linked.items():
        bonus[path] = bonus.get(path, 0.0) + LINKED_BONUS / (1 + (now - when) / 3600)
    scores = search(state, query, bonus, limit) if query.strip() else {}
    if not query.strip():
        scores = dict.fromkeys(bonus, 0.0)
    final = [(path, score + bonus.get(path, 0.0)) for path, score in scores.items()
             if path != exclude and path in state.notes]
    return heapq.nsmallest(limit, final, key=lambda item: (-item[1], item[0]))


def style(state: VaultState) -> LinkStyle:
    """The vault's link style: its setting, else the style most of its wiki links
    use (counted over at most `STYLE_SAMPLE` of them, spread evenly over the vault)."""
    if state.config.link_style is not None:
        return state.config.link_style
    found = state.memo.get(("style",))
    if found is None:
        written = [(path, link) for path, note in state.notes.items() for link in note.links
                   if link.kind in ("wiki", "embed")]
        step = max(1, len(written) // STYLE_SAMPLE)
        links = ((link, state.resolve(link, path)) for path, link in written[::step])
        found = state.memo[("style",)] = most_used(count_styles(links))
    return found  # type: ignore[no-any-return]


def link_types(state: VaultState) -> dict[str, int]:
    """The Cosma link types: those of the vault's typed links, and those the
    ``link_types`` of a Cosma ``config.yml`` at the vault's top names."""
    found = dict(state.link_types())
    listed = state.memo.get(("cosma",))
    if listed is None:
        listed = state.memo[("cosma",)] = _cosma_link_types(state)
    for name in listed:
        found.setdefault(name, 0)
    return found


def _cosma_link_types(state: VaultState) -> tuple[str, ...]:
    import yaml_rs  # noqa: PLC0415 - only for typed links

    try:
        text = read_inside(state.root / "config.yml", state.root, "config.yml")
        data = yaml_rs.loads(text) if text else None
    except (ConfigError, ValueError, RecursionError):
        return ()
    kinds = data.get("link_types") if isinstance(data, dict) else None
    if not isinstance(kinds, dict):
        return ()
    return tuple(str(k) for k in kinds if str(k) != "undefined" and _TYPED.match(f"{k}:x"))


def _notes(state: VaultState, buffer: Buffer, typed: Typed, where: types.Range,
           filter_text: str, markdown: bool) -> list[types.CompletionItem]:
    items: list[types.CompletionItem] = []
    if typed.kind == "wiki" and not typed.prefix and typed.query.strip():
        query = fold(typed.query.strip())
        for name, uses in sorted(link_types(state).items(), key=lambda kv: (-kv[1], kv[0])):
            if fold(name).startswith(query):
                items.append(types.CompletionItem(
                    label=f"{name}:", kind=types.CompletionItemKind.Keyword,
                    detail=f"Cosma link type ({uses} links)" if uses else "Cosma link type",
                    text_edit=types.TextEdit(range=where, new_text=f"[[{name}:"),
                    filter_text=filter_text, sort_text="0000"))
    chosen = style(state)
    for rank, (path, _) in enumerate(ranked(state, typed.query, exclude=buffer.rel)):
        note = state.notes[path]
        if typed.kind == "markdown":
            text = _relative(buffer.rel or "", path)
        else:
            text = format_link(chosen, note, resolver=state.resolver)
            if typed.prefix:
                text = f"[[{typed.prefix}:{text[2:]}"
        items.append(types.CompletionItem(
            label=note.title, kind=types.CompletionItemKind.File,
            label_details=types.CompletionItemLabelDetails(description=path),
            detail=detail(note),
            documentation=documentation(note, markdown),
            text_edit=types.TextEdit(range=where, new_text=text),
            filter_text=filter_text, sort_text=f"{rank + 1:04d}"))
    return items


def _relative(source: str, target: str) -> str:
    """A Markdown link's URL from the note ``source`` to ``target``, and its ``)``."""
    path = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return quote(path, safe=_URL_SAFE) + ")"


def detail(note: Note) -> str:
    """One line: the note's types, tags and first line."""
    parts = [", ".join(note.types), " ".join(f"#{t}" for t in note.tags), first_line(note.body)]
    return " · ".join(" ".join(p.split()) for p in parts if p)


def documentation(note: Note, markdown: bool) -> types.MarkupContent:
    content = Content(markdown).text(note.title, strong=True)
    if note.id:
        content.own(" · ").text(note.id)
    paragraph = first_paragraph(note.body)
    if paragraph:
        content.rule().text(paragraph)
    return content.build()


# -- headings, tags, types


def _headings(state: VaultState, buffer: Buffer, typed: Typed, where: types.Range,
              filter_text: str) -> list[types.CompletionItem]:
    target = state.resolver.resolve(typed.prefix) if typed.prefix.strip() else None
    if target is None:
        note: Note | None = buffer.note  # [[#heading]]: this note
    else:
        note = state.notes.get(target.path or "")
    if note is None:
        return []
    query = fold(typed.query)
    found = [h for h in headings(mask_code(note.body)) if query in fold(h.text)]
    return [types.CompletionItem(label=h.text, kind=types.CompletionItemKind.Reference,
                                 detail="#" * h.level,
                                 text_edit=types.TextEdit(range=where, new_text=h.text),
                                 filter_text=filter_text, sort_text=f"{i:04d}")
            for i, h in enumerate(found[:LIMIT])]


def _names(state: VaultState, buffer: Buffer, typed: Typed, where: types.Range,
           filter_text: str) -> list[types.CompletionItem]:
    tags, kinds = state.counts()
    counts = tags if typed.kind == "tag" else kinds
    own = buffer.note.tags if typed.kind == "tag" else buffer.note.types
    if typed.query in own:  # the name being typed counts itself: not once it is alone
        counts = counts.copy()
        counts[typed.query] -= 1
    query = fold(typed.query)
    found = [(0 if fold(name).startswith(query) else 1, -n, name) for name, n in counts.items()
             if n > 0 and query in fold(name)]
    return [types.CompletionItem(
        label=name, kind=types.CompletionItemKind.Keyword if typed.kind == "tag"
        else types.CompletionItemKind.Class,
        detail=count(-n, "note"),
        text_edit=types.TextEdit(range=where, new_text=name),
        filter_text=filter_text, sort_text=f"{i:04d}")
        for i, (_, n, name) in enumerate(sorted(found)[:LIMIT])]
