"""Edits of a note's title, aliases and id, in its front matter or its first heading.

Each function returns `zettel.core.plan.TextEdit`\\ s on the file's text (BOM and
CRLF as in the file) that change one thing and keep every other byte: the
value of a ``title:`` line (its comment kept), the text of the ``# Heading``
the title comes from, an item added to ``aliases:`` in the form it is
written (block list, flow list, comma-separated string), a new line in the
front matter (front matter added when there is none). Values are written
plain when YAML reads them back as the same string, else double-quoted.

Every edit is checked by parsing the edited text again: the note must read
as before but for the one change. A front matter this module cannot edit so
(a value spread over lines in an odd way, a key written twice) is refused
with `FrontEditError` rather than guessed at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Literal, NamedTuple

import yaml_rs

from zettel.core.body import mask_code
from zettel.core.model import Note
from zettel.core.parse import body_to_file, parse_text
from zettel.core.plan import TextEdit, apply_text_edits

TitleSource = Literal["front", "heading", "name"]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_CLOSE = re.compile(r"(?:---|\.\.\.)[ \t]*")
_HEADING = re.compile(r"#(?<![^\n]#)[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.M)  # as zettel.core.body
_DOUBLE = re.compile(r'"(?:[^"\\\n\r]|\\.)*"')
_SINGLE = re.compile(r"'(?:[^'\n\r]|'')*'")
_COMMENT = re.compile(r"[ \t]#")
_ITEM = re.compile(r"[ \t]*-(?:[ \t]+|$)")
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`~ \t")
_FLOW_CHARS = frozenset(",[]{}")
# Characters YAML does not accept raw, or that a terminal obeys (JSON escapes C0 itself;
# a plain or single-quoted value cannot escape them: written double-quoted).
_ESCAPE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f"
                     "\u202a-\u202e\u2066-\u2069\ufeff]")


class FrontEditError(ValueError):
    """The front matter is written in a form this module does not edit."""


class _Line(NamedTuple):
    start: int  # where the line starts in the text
    end: int  # where its content ends (before the line break)
    next: int  # where the next line starts


class _Front(NamedTuple):
    lines: list[_Line]  # the front matter's lines, opening and closing ones included
    newline: str


def _lines(text: str, start: int) -> list[_Line]:
    found = []
    for m in _LINE.finditer(text, start):
        if m.start() == m.end():
            break
        content = m.group().rstrip("\r\n")
        found.append(_Line(m.start(), m.start() + len(content), m.end()))
    return found


def _newline(text: str) -> str:
    m = re.search(r"\r\n|\r|\n", text)
    return m.group() if m else "\n"


def _front(note: Note, text: str) -> _Front | None:
    """Where the front matter is in ``text`` (None when the note has none)."""
    if not note.has_front_matter:
        return None
    lines = _lines(text, 1 if text.startswith("\ufeff") else 0)
    for number, line in enumerate(lines[1:], 1):
        if _CLOSE.fullmatch(text, line.start, line.end):
            return _Front(lines[: number + 1], _newline(text))
    return None


def yaml_scalar(value: str, *, flow: bool = False, like: str = "") -> str:
    """``value`` as a YAML scalar: plain when YAML reads it back as the same
    string (in a flow list too, with ``flow``), else double-quoted with JSON's
    escapes (YAML reads them). Quoted as ``like`` (the value it replaces) is
    when it was quoted by choice (it could have been plain): ``'Old'`` becomes
    ``'New'``; ``"A: b"``, quoted by need, becomes ``New``."""
    if like[:1] in ("'", '"') and _plain(_read_scalar(like), flow):
        if like[0] == "'" and not _ESCAPE.search(value) and not any(c in value for c in "\n\r\t"):
            return "'" + value.replace("'", "''") + "'"
        if like[0] == '"':
            return _double(value)
    return value if _plain(value, flow) else _double(value)


def _read_scalar(written: str) -> str:
    try:
        value = yaml_rs.loads(f"k: {written}")
    except (ValueError, RecursionError):
        return ""
    return value.get("k", "") if isinstance(value, dict) and isinstance(value.get("k"), str) \
        else ""


def _double(value: str) -> str:
    quoted = json.dumps(value, ensure_ascii=False)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _plain(value: str, flow: bool) -> bool:
    """Whether YAML reads ``value`` written plain as that very string."""
    if (value and value[0] not in _PLAIN_START and value == value.strip()
            and ": " not in value and " #" not in value and not value.endswith(":")
            and not _ESCAPE.search(value) and "\n" not in value and "\r" not in value
            and "\t" not in value and not (flow and _FLOW_CHARS.intersection(value))):
        try:
            return bool(yaml_rs.loads(f"k: {value}") == {"k": value})
        except (ValueError, RecursionError):
            return False
    return False


def _key_line(front: _Front, text: str, key: re.Pattern[str]) -> int | None:
    """The index of the first top-level line of the front matter whose key matches."""
    for number, line in enumerate(front.lines[1:-1], 1):
        if key.match(text, line.start, line.end):
            return number
    return None


def _continuation(front: _Front, text: str, number: int) -> int:
    """The last line of the value that starts on line ``number`` (its indented lines)."""
    last = number
    for later in range(number + 1, len(front.lines) - 1):
        line = front.lines[later]
        content = text[line.start:line.end]
        if not content.strip():
            continue
        if content[0] not in " \t" and not _ITEM.match(content):
            break
        last = later
    return last


def _value_span(front: _Front, text: str, number: int, key: re.Pattern[str]) -> tuple[int, int]:
    """Where the value of the key on line ``number`` is written (its comment left out)."""
    line = front.lines[number]
    m = key.match(text, line.start, line.end)
    assert m is not None
    start = m.end()
    while start < line.end and text[start] in " \t":
        start += 1
    last = _continuation(front, text, number)
    first = text[start:line.end]
    if first[:1] in ('"', "'"):
        quoted = (_DOUBLE if first[0] == '"' else _SINGLE).match(text, start, line.end)
        if quoted is None:
            raise FrontEditError("a quoted value spread over several lines")
        return start, quoted.end()
    if last != number or not first or first[0] in "|>":
        return start, front.lines[last].end
    comment = _COMMENT.search(text, start, line.end)
    end = comment.start() if comment else line.end
    return start, len(text[:end].rstrip(" \t"))


def _check(note: Note, text: str, edits: list[TextEdit],
           same: Callable[[Note, Note], bool], what: str) -> list[TextEdit]:
    """``edits`` when the note parsed from the edited text passes ``same``."""
    after = parse_text(note.path, apply_text_edits(text, edits))
    keep = (note.id, note.types, note.tags, note.meta, len(after.problems) <= len(note.problems))
    if (after.id, after.types, after.tags, after.meta, True) != keep or not same(note, after):
        raise FrontEditError(f"'{note.path}': zettel cannot write the {what} there so that the "
                             "note reads back the same (a form of front matter it does not "
                             "edit, or a # tag in a heading); nothing was written")
    return edits


# -- the title

_TITLE_KEY = re.compile(r"(?i:title)[ \t]*:(?=[ \t]|$)", re.M)


def _front_title(front: _Front | None, text: str) -> int | None:
    """The line of a ``title:`` that gives the note its title (a non-empty scalar)."""
    if front is None:
        return None
    number = _key_line(front, text, _TITLE_KEY)
    if number is None:
        return None
    body = text[front.lines[1].start:front.lines[-1].start] if len(front.lines) > 2 else ""
    try:
        data = yaml_rs.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    for key, value in data.items():
        if isinstance(key, str) and key.lower() == "title":
            ok = value is not None and not isinstance(value, (list, dict)) and str(value).strip()
            return number if ok else None
    return None


def title_source(note: Note, text: str) -> TitleSource:
    """Where the note's title comes from: ``front`` matter, its first ``heading``,
    or its file ``name``."""
    if _front_title(_front(note, text), text) is not None:
        return "front"
    return "heading" if _HEADING.search(mask_code(note.body)) else "name"


def title_edits(note: Note, text: str, title: str) -> list[TextEdit]:
    """Edits giving the note the title ``title`` where its title comes from:
    the ``title:`` value, the first ``# Heading``, or a ``title:`` line added."""
    return front_edits(note, text, title=title)


def alias_edits(note: Note, text: str, alias: str) -> list[TextEdit]:
    """Edits adding ``alias`` to the note's aliases, in the form its ``aliases:``
    is written (none when the note already has it)."""
    return front_edits(note, text, alias=alias)


def id_edits(note: Note, text: str, note_id: str) -> list[TextEdit]:
    """Edits writing ``id: "<note_id>"`` into the front matter (added when there
    is none); for a note whose id comes from its file name, before a move."""
    return front_edits(note, text, note_id=note_id)


_ALIAS_KEY = re.compile(r"(?i:alias(?:es)?)[ \t]*:(?=[ \t]|$)", re.M)
_ID_KEY = re.compile(r"(?i:id)[ \t]*:(?=[ \t]|$)", re.M)


def front_edits(note: Note, text: str, *, title: str | None = None, alias: str | None = None,
                note_id: str | None = None) -> list[TextEdit]:
    """The edits of `title_edits`, `alias_edits` and `id_edits` at once: the lines
    each adds go into one front matter (``title:``, ``id:``, then ``aliases:``),
    added once when there is none. Checked by parsing the result again."""
    if title is not None and (not title.strip() or title != title.strip()
                              or "\n" in title or "\r" in title):
        raise FrontEditError(f"'{title}' is not a title (one line, no spaces around it)")
    front = _front(note, text)
    nl = front.newline if front else _newline(text)
    edits: list[TextEdit] = []
    first: list[str] = []  # lines added at the top of the front matter
    title_line = None if front is None else _key_line(front, text, _TITLE_KEY)
    if title is not None and title != note.title:
        number = _front_title(front, text)
        if front is not None and number is not None:
            start, end = _value_span(front, text, number, _TITLE_KEY)
            edits.append(TextEdit(start, end, yaml_scalar(title, like=text[start:end])))
        elif (heading := _HEADING.search(mask_code(note.body))) is not None:
            to_file = body_to_file(text, note.body_line)
            edits.append(TextEdit(to_file(heading.start(1)), to_file(heading.end(1)), title))
        else:
            first.append(f"title: {yaml_scalar(title)}")
    if note_id is not None:
        if front is not None and _key_line(front, text, _ID_KEY) is not None:
            raise FrontEditError("an id: line that gives no id")
        first.append(f"id: {json.dumps(note_id)}")
    if alias is not None and alias not in note.aliases:
        number = None if front is None else _key_line(front, text, _ALIAS_KEY)
        if front is not None and number is not None:
            edits.append(_alias_item(front, text, number, alias))
        elif front is not None and title_line is not None:  # after the title: line
            at = front.lines[_continuation(front, text, title_line)].next
            edits.append(TextEdit(at, at, f"aliases:{nl}  - {yaml_scalar(alias)}{nl}"))
        else:
            first.append(f"aliases:{nl}  - {yaml_scalar(alias)}")
    if first:
        lines = "".join(f"{line}{nl}" for line in first)
        if front is None:
            at = 1 if text.startswith("\ufeff") else 0
            edits.append(TextEdit(at, at, f"---{nl}{lines}---{nl}"))
        else:
            at = front.lines[0].next
            edits.append(TextEdit(at, at, lines))

    def same(before: Note, after: Note) -> bool:
        aliases = before.aliases if alias is None or alias in before.aliases else (
            *before.aliases, alias)
        return (after.title == (before.title if title is None else title)
                and after.aliases == aliases
                and (note_id is None or (after.id == note_id and not after.id_from_filename)))

    what = " and ".join(n for n, v in (("title", title), ("aliases", alias), ("id", note_id))
                        if v is not None)
    return _check(note, text, edits, same, what) if edits else []


def _alias_item(front: _Front, text: str, number: int, alias: str) -> TextEdit:
    line = front.lines[number]
    start, end = _value_span(front, text, number, _ALIAS_KEY)
    value = text[start:end]
    last = _continuation(front, text, number)
    if last != number and not text[start:line.end].strip():  # a block list
        first = front.lines[number + 1]
        item = _ITEM.match(text, first.start, first.end)
        prefix = item.group() if item else "  - "
        if not prefix.rstrip().endswith("-"):
            prefix = "  - "
        at = front.lines[last].end
        return TextEdit(at, at, f"{front.newline}{prefix.rstrip()} {yaml_scalar(alias)}")
    if not value:
        return TextEdit(line.end, line.end, f"{front.newline}  - {yaml_scalar(alias)}")
    if value.startswith("["):
        close = value.rstrip().rfind("]")
        if close < 0:
            raise FrontEditError("a flow list spread over several lines")
        inner = value[1:close].strip()
        at = start + close
        return TextEdit(at, at, (", " if inner else "") + yaml_scalar(alias, flow=True))
    if value[0] in "\"'|>" or "," in alias or not _plain(f"{value}, {alias}", False):
        return TextEdit(start, end, f"[{value}, {yaml_scalar(alias, flow=True)}]")
    return TextEdit(end, end, f", {alias}")
