"""Turning the bytes of one file into a `Note`: a pure function, never raising.

Whatever the file holds (no front matter, malformed YAML, a list instead of a
mapping, bytes that are not UTF-8), the result is a `Note`; what was wrong is
carried in ``Note.problems``. See docs/format.md for the rules.
"""

from __future__ import annotations

import ast
import functools
import math
import re
import sys
from bisect import bisect_left
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import yaml_rs

from zettel.core.body import first_heading, scan_body
from zettel.core.model import Note, Problem, is_utf8, stem_of

#: Front-matter keys read as known fields (matched case-insensitively) and the
#: field each one fills.
KNOWN_FIELDS: dict[str, str] = {
    "id": "id",
    "title": "title",
    "type": "types",
    "types": "types",
    "tags": "tags",
    "tag": "tags",
    "keywords": "tags",
    "aliases": "aliases",
    "alias": "aliases",
    "thumbnail": "thumbnail",
}

_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_LINE_BREAK = re.compile(r"\r\n?|\n")  # what `parse_text` makes a "\n"
_FILENAME_ID = re.compile(r"^(\d{12,14})(?!\d)")
_TIMESTAMP_ID = re.compile(r"^\d{14}$")
_DUPLICATE_KEY = re.compile(r"duplicate mapping key: (.*)", re.S)  # the key's repr()
_LAST_WINS = yaml_rs.DuplicateKeyPolicy.LastWins

#: The deepest nesting of a front-matter value that is kept (a list is one level,
#: a list in it two, ...): deeper ones are a yaml-error, so that nothing that
#: walks values later (the cache's pickle, JSON output, search) recurses without end.
MAX_DEPTH = 64
#: Front matter with a line indented (by spaces and ``- `` marks) more than this
#: is refused before the YAML parser sees it: that parser recurses once per level
#: of a block and would overflow the stack on a few kilobytes of ``- - - …``.
MAX_INDENT = 4 * MAX_DEPTH
_DEEP_LINE = re.compile(r"^(?:[ \t]|[-?:][ \t])" + f"{{{MAX_INDENT + 1}}}", re.M)
#: A key written as a plain scalar without spaces (``1``, ``true``, ``~``, ``0x1F``).
_PLAIN_KEY = re.compile(r"^([ \t]*(?:[-?][ \t]+)*)([^\s#:,'\"\[\]{}&*!|>%@`][^\s:,\[\]{}]*)"
                        r"([ \t]*:(?:[ \t]|$))", re.M)
_BLOCK_SCALAR = re.compile(r"(?:^|[ \t])[|>][-+0-9]*[ \t]*(?:#.*)?$")
_KEY_MARK = "\0"  # marks a key that `_quote_scalar_keys` turned into a string


class _TooDeep(Exception):
    """A front-matter value nested more than `MAX_DEPTH` levels deep."""


def decode(data: bytes) -> tuple[str, str | None]:
    """Decode file bytes as UTF-8 (or UTF-16 with a BOM), never failing.

    Returns the text and, when bytes had to be replaced, a message saying where.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        message = (
            f"not valid UTF-8 (first bad byte 0x{data[err.start]:02x} on line {line}); "
            "undecodable bytes are shown as \ufffd"
        )
        return data.decode("utf-8", errors="replace"), message


def body_to_file(text: str, body_line: int) -> Callable[[int], int]:
    """A function turning an offset in a note's body into the offset of the
    same character in ``text``, the file's text as `decode` returns it.

    Body offsets (`Link.offset`, the ends of a `Link`'s spans) count in
    `Note.body`, the text after the front matter once `parse_text` has
    removed a UTF-8 BOM and made every ``\\r\\n`` and lone ``\\r`` a
    ``\\n``; ``text`` keeps them as in the file. ``body_line`` is the
    note's `Note.body_line`. The result counts characters: for a byte
    offset, encode ``text[:offset]`` as the file is encoded.
    """
    start = 1 if text.startswith("\ufeff") else 0
    breaks = _LINE_BREAK.finditer(text, start)
    for _ in range(body_line - 1):
        found = next(breaks, None)
        if found is None:  # front matter closed on the last line: an empty body
            start = len(text)
            break
        start = found.end()
    crlf: list[int] = []  # the body offset of the "\n" that each "\r\n" became
    at = text.find("\r\n", start)
    while at != -1:
        crlf.append(at - start - len(crlf))
        at = text.find("\r\n", at + 2)
    if not crlf:
        return lambda offset: start + offset
    return lambda offset: start + offset + bisect_left(crlf, offset)


def is_timestamp_id(value: str) -> bool:
    """True for a 14-digit id that is a real date and time, ``YYYYMMDDHHMMSS``."""
    if not _TIMESTAMP_ID.match(value):
        return False
    try:
        datetime(int(value[:4]), int(value[4:6]), int(value[6:8]),
                 int(value[8:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return True


def id_from_filename(stem: str) -> str | None:
    """The 12 to 14 digit timestamp that starts a file name, if there is one."""
    m = _FILENAME_ID.match(stem)
    return m.group(1) if m else None


def parse_bytes(path: str, data: bytes) -> Note:
    """Parse a file's raw bytes; see `parse_text`."""
    text, bad_encoding = decode(data)
    extra = [Problem("bad-encoding", path, bad_encoding, line=None)] if bad_encoding else []
    return parse_text(path, text, extra)


def parse_text(path: str, text: str, extra_problems: list[Problem] | None = None) -> Note:
    """Parse one note. ``path`` is vault-relative with ``/`` separators."""
    problems: list[Problem] = list(extra_problems or ())
    if not is_utf8(path):
        problems.append(Problem("bad-encoding", path, "the file name is not valid UTF-8 (shown "
                                "with \\udcXX escapes); rename the file so links can name it"))
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    data: dict[Any, Any] = {}
    yaml_text = ""
    body, body_line, has_fm = text, 1, False
    if text.startswith("---"):
        nl = text.find("\n")
        if (text if nl == -1 else text[:nl]).rstrip() == "---":
            close = _FM_CLOSE.search(text, nl + 1) if nl != -1 else None
            if close is None:
                problems.append(
                    Problem("yaml-error", path, "front matter opened on line 1 is never "
                            "closed by a line '---' or '...'; the file is read as body", line=1)
                )
            else:
                has_fm = True
                yaml_text = text[nl + 1 : close.start()]
                body_start = min(close.end() + 1, len(text))
                body = text[body_start:]
                body_line = yaml_text.count("\n") + 3 if yaml_text else 3
                data = _load_yaml(path, yaml_text, problems)

    stem = stem_of(path)
    fields = _read_fields(path, data, yaml_text, problems)
    links, inline_tags, masked = scan_body(body, body_line)

    note_id = fields.get("id")
    from_filename = False
    if note_id is None:
        note_id = id_from_filename(stem)
        from_filename = note_id is not None
    title = fields.get("title") or first_heading(masked) or stem
    tags = _unique(fields.get("tags", []) + inline_tags)
    return Note(
        path=path,
        title=title,
        id=note_id,
        types=tuple(_unique(fields.get("types", []))),
        tags=tuple(tags),
        aliases=tuple(_unique(fields.get("aliases", []))),
        thumbnail=fields.get("thumbnail"),
        meta=fields["meta"],
        body=body,
        links=tuple(links),
        problems=tuple(problems),
        has_front_matter=has_fm,
        body_line=body_line,
        id_from_filename=from_filename,
    )


_YAML_WHERE = re.compile(r"line (\d+), column (\d+)")


def _load_yaml(path: str, yaml_text: str, problems: list[Problem]) -> dict[Any, Any]:
    """Load front matter with yaml-rs (YAML 1.2, the YAML of Cosma and Obsidian).

    Never runs code: tags such as ``!!python/object`` are inert, and alias
    bombs are stopped by yaml-rs's limits. A field given twice is reported
    and its last value kept. Keys that Python takes for equal although YAML
    does not (``1``, ``1.0`` and ``true``) are not duplicates.
    """
    if not yaml_text.strip():
        return {}
    deep = _deep_line(yaml_text)
    if deep:
        problems.append(Problem("yaml-error", path, f"invalid YAML front matter: line {deep} is "
                                f"indented more than {MAX_INDENT} columns (nesting this deep is "
                                "not read); the front matter is ignored", line=deep))
        return {}
    try:
        loaded, duplicate = _loads(yaml_text)
    except yaml_rs.YAMLDecodeError as err:
        problems.append(_yaml_problem(path, str(err)))
        return {}
    except (ValueError, RecursionError) as err:
        problems.append(Problem("yaml-error", path, f"invalid YAML front matter: {err}", line=1))
        return {}
    if duplicate is not None:
        problems.append(_duplicate_problem(path, duplicate, yaml_text))
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        problems.append(
            Problem("yaml-error", path, "front matter is a "
                    f"{type(loaded).__name__}, not a mapping of fields; it is ignored", line=2)
        )
        return {}
    return loaded


def _loads(yaml_text: str) -> tuple[Any, str | None]:
    """What yaml-rs reads, and the key given twice if one is (its last value is kept)."""
    try:
        return yaml_rs.loads(yaml_text), None
    except yaml_rs.YAMLDecodeError as err:
        key, is_text = _duplicate_key(str(err))
        if key is None:
            raise
    if not is_text:  # perhaps 1 and true: one key to Python (1 == True), two to YAML
        yaml_text = _quote_scalar_keys(yaml_text)
        try:
            return yaml_rs.loads(yaml_text), None
        except yaml_rs.YAMLDecodeError as err:
            key, _ = _duplicate_key(str(err))
            if key is None:
                raise
    return yaml_rs.loads(yaml_text, duplicate_key_policy=_LAST_WINS), key


def _deep_line(yaml_text: str) -> int | None:
    """The file line of the first line of front matter indented more than
    `MAX_INDENT` (see there), if any."""
    if yaml_text.count(" ") + yaml_text.count("\t") <= MAX_INDENT:  # the usual case, at once
        return None
    m = _DEEP_LINE.search(yaml_text)
    return yaml_text.count("\n", 0, m.start()) + 2 if m else None


_REPR_TEXT = {"True": "true", "False": "false", "None": "null"}


def _duplicate_key(message: str) -> tuple[str | None, bool]:
    """The key a yaml-rs "duplicate mapping key" error names, as `key_text`,
    and whether it is a string (None for another error)."""
    m = _DUPLICATE_KEY.match(message)
    if m is None:
        return None, False
    written = m.group(1).strip()
    if written[:1] in ("'", '"'):
        try:
            key = ast.literal_eval(written)
        except (ValueError, SyntaxError):
            return written, True
        if isinstance(key, str):
            return key_text(key), True
    return _REPR_TEXT.get(written, written), False


def _quote_scalar_keys(yaml_text: str) -> str:
    """Front matter with each block key that YAML reads as a number, a boolean
    or null (``1:``, ``true:``, ``~:``) written as a string instead, marked
    with `_KEY_MARK` and in the form `key_text` gives (so ``1`` and ``01``
    stay one key, ``1`` and ``true`` two). Block scalars are left as they are."""
    out: list[str] = []
    block_indent = -1
    for line in yaml_text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent >= 0 and (not line.strip() or indent > block_indent):
            out.append(line)
            continue
        block_indent = indent if _BLOCK_SCALAR.search(line) else -1
        out.append(_PLAIN_KEY.sub(_quoted_key, line, count=1))
    return "\n".join(out)


def _quoted_key(m: re.Match[str]) -> str:
    try:
        value = yaml_rs.loads(m.group(2))
    except (ValueError, RecursionError):
        return m.group()
    if value is not None and not isinstance(value, (bool, int, float)):
        return m.group()
    return f'{m.group(1)}"\\0{key_text(value)}"{m.group(3)}'


def key_text(key: Any) -> str:
    """A front-matter key as the text ``meta`` holds: strings as they are,
    ``true``/``false``/``null`` as YAML writes them, numbers as digits."""
    if isinstance(key, str):
        return key[1:] if key.startswith(_KEY_MARK) else key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and not math.isfinite(key):
        return ".nan" if math.isnan(key) else ("-.inf" if key < 0 else ".inf")
    return str(key)


def plain_value(value: Any, depth: int = 1) -> Any:
    """A front-matter value with every mapping key as its `key_text`; raises
    `_TooDeep` when it is nested more than `MAX_DEPTH` levels deep."""
    if isinstance(value, dict):
        if depth > MAX_DEPTH:
            raise _TooDeep
        return {key_text(k): plain_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        if depth > MAX_DEPTH:
            raise _TooDeep
        return type(value)(plain_value(v, depth + 1) for v in value)
    return value


def _duplicate_problem(path: str, key: str, yaml_text: str) -> Problem:
    """yaml-rs names the key given twice; find its lines, top-level keys first."""
    lines: list[int] = []
    nested = re.compile(r"^[ \t]*" + re.escape(key) + r"[ \t]*:", re.M)
    for pattern in (_field(key), nested):
        lines = [yaml_text.count("\n", 0, m.start()) + 2 for m in pattern.finditer(yaml_text)]
        if len(lines) > 1:
            break
    where = f" (lines {', '.join(map(str, lines))})" if len(lines) > 1 else ""
    return Problem("yaml-error", path, f"invalid YAML front matter: field '{key}' is given "
                   f"more than once{where}; the last value is used",
                   line=lines[-1] if lines else None, target=key)


def yaml_reason(message: str) -> str:
    """The reason in a yaml-rs error message: its last line, after the excerpt
    of the document that points at the place."""
    lines = [part.strip() for part in message.splitlines() if part.strip()]
    return lines[-1] if lines else message


def _yaml_problem(path: str, message: str) -> Problem:
    """A yaml-error from yaml-rs's message, on the file line it points at."""
    where = _YAML_WHERE.search(message)
    line = int(where.group(1)) + 1 if where else 1  # +1 for the opening ---
    return Problem("yaml-error", path, f"invalid YAML front matter: {yaml_reason(message)}",
                   line=line)


@functools.lru_cache(maxsize=64)
def _field(key: str) -> re.Pattern[str]:
    """A top-level ``key:`` line of front matter; group 1 is its value as written."""
    return re.compile(r"^" + re.escape(key) + r"[ \t]*:[ \t]*([^\s#]*)", re.M)


def _key_line(yaml_text: str, key: str) -> int | None:
    m = _field(key).search(yaml_text)
    return yaml_text.count("\n", 0, m.start()) + 2 if m else None


_SCALARS = frozenset({str, int, float, bool, type(None), date, datetime})


def _read_fields(
    path: str, data: dict[Any, Any], yaml_text: str, problems: list[Problem]
) -> dict[str, Any]:
    """Split front matter into known fields (normalised) and ``meta``."""
    out: dict[str, Any] = {"meta": {}}
    meta: dict[str, Any] = out["meta"]
    for key, value in data.items():
        name = key if type(key) is str and not key.startswith(_KEY_MARK) else key_text(key)
        if type(value) not in _SCALARS:
            try:
                value = plain_value(value)
            except _TooDeep:
                problems.append(Problem("yaml-error", path, f"invalid YAML front matter: field "
                                        f"'{name}' is nested more than {MAX_DEPTH} levels deep; "
                                        "it is ignored", line=_key_line(yaml_text, name),
                                        target=name))
                continue
        lower = name.lower()
        field = KNOWN_FIELDS.get(lower)
        if field is None:
            meta[name] = value
            continue
        if name != lower:
            problems.append(
                Problem("key-case", path, f"field '{name}' is read as '{lower}'; "
                        f"write it in lower case", line=_key_line(yaml_text, name), target=name)
            )
        if field in ("types", "tags", "aliases"):
            out[field] = out.get(field, []) + _as_list(value)
        elif field in out:
            meta[name] = value  # a second id/title/thumbnail is kept, not used
        elif field == "id":
            note_id = _as_id(path, name, value, yaml_text, problems)
            if note_id is not None:
                out["id"] = note_id
        elif value is not None and not isinstance(value, (list, dict)):
            text = str(value).strip()
            if text:
                out[field] = text
    return out


def _as_id(
    path: str, key: str, value: Any, yaml_text: str, problems: list[Problem]
) -> str | None:
    """An id is a string; YAML's int (or float, or octal) reading is undone."""
    if value is None:
        return None
    if isinstance(value, (list, dict)):
        problems.append(
            Problem("malformed-id", path, f"id is a {type(value).__name__}, not a single "
                    "value; the note has no id", line=_key_line(yaml_text, key))
        )
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Take the digits as written: YAML reads 0123 as the number 123.
        m = _field(key).search(yaml_text)
        return (m.group(1) if m else "") or str(value)
    text = str(value).strip()
    return text or None


def _as_list(value: Any) -> list[str]:
    """A list field may be a YAML list or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, (list, tuple, set)):
        items = list(value)
    else:
        items = [value]
    out = []
    for item in items:
        if type(item) is not str:
            if item is None or isinstance(item, (list, dict)):
                continue
            item = str(item)
        text = item.strip()
        if text.startswith("#"):
            text = text.lstrip("#").strip()
        if text:
            out.append(text)
    return out


def _unique(items: list[str]) -> list[str]:
    """Items without repeats, interned: a vault repeats its tags and types a lot."""
    return [sys.intern(item) for item in dict.fromkeys(items)]
