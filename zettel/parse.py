"""Turning the bytes of one file into a `Note`: a pure function, never raising.

Whatever the file holds (no front matter, malformed YAML, a list instead of a
mapping, bytes that are not UTF-8), the result is a `Note`; what was wrong is
carried in ``Note.problems``. See docs/format.md for the rules.
"""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Any

import yaml

from zettel.body import first_heading, scan_body
from zettel.model import Note, Problem

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar text -> its implicit tag


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, remembering the tag of each plain scalar it resolved.

    For a plain (unquoted) scalar the safe resolver's answer depends on the
    text alone, and a vault repeats its tags, types and field values a lot.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < 50_000:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

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
_FILENAME_ID = re.compile(r"^(\d{12,14})(?!\d)")
_TIMESTAMP_ID = re.compile(r"^\d{14}$")
_ID_VALUE = re.compile(r"^id[ \t]*:[ \t]*([^\s#]+)", re.M)


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
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    data: dict[str, Any] = {}
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

    stem = path.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
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


_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map"))


class _Unusual(Exception):
    """A YAML document the fast construction leaves to PyYAML's constructor."""


def load_yaml(text: str) -> Any:
    """``yaml.load(text, CSafeLoader)``, with the same result, built faster.

    libyaml composes the node tree; plain strings, lists and mappings (nearly
    all of a note's front matter) are then built here directly, and every
    other node (numbers, dates, booleans, null, ``!!binary``, ...) by
    PyYAML's own safe constructors. Merge keys, recursive aliases and keys
    that cannot be dict keys go to PyYAML's full construction.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _construct(node, loader, set())
        except (_Unusual, TypeError):
            pass
    finally:
        loader.dispose()
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def _construct(node: yaml.Node, loader: Any, active: set[int]) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag != _SEQ and tag != _MAP:
        return loader.construct_object(node, deep=True)
    if id(node) in active:
        raise _Unusual("recursive alias")
    active.add(id(node))
    if tag == _SEQ:
        built: Any = [_construct(item, loader, active) for item in node.value]
    else:
        built = {}
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                raise _Unusual("merge key")
            built[_construct(key, loader, active)] = _construct(value, loader, active)
    active.discard(id(node))
    return built


def _load_yaml(path: str, yaml_text: str, problems: list[Problem]) -> dict[str, Any]:
    if not yaml_text.strip():
        return {}
    try:
        loaded = load_yaml(yaml_text)
    except yaml.MarkedYAMLError as err:
        problems.append(_yaml_problem(path, err, len(yaml_text)))
        return {}
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as err:
        # PyYAML raises plain ValueError for impossible dates like 2023-13-45.
        problems.append(Problem("yaml-error", path, f"invalid YAML front matter: {err}", line=1))
        return {}
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        problems.append(
            Problem("yaml-error", path, "front matter is a "
                    f"{type(loaded).__name__}, not a mapping of fields; it is ignored", line=2)
        )
        return {}
    return loaded


def _yaml_problem(path: str, err: yaml.MarkedYAMLError, size: int) -> Problem:
    """A yaml-error on the most useful line: where an unclosed construct began,
    when the parser only noticed at the end of the front matter."""
    mark, context = err.problem_mark, err.context_mark
    if mark is None or (context is not None and mark.index >= size):
        mark = context or mark
    line = mark.line + 2 if mark is not None else 1  # +1 for 1-based, +1 for the opening ---
    parts = []
    if err.context:
        where = f" (line {err.context_mark.line + 2})" if err.context_mark else ""
        parts.append(f"{err.context}{where}")
    if err.problem:
        parts.append(str(err.problem))
    return Problem("yaml-error", path, "invalid YAML front matter: " + ", ".join(parts), line=line)


def _key_line(yaml_text: str, key: str) -> int | None:
    m = re.search(r"^" + re.escape(key) + r"[ \t]*:", yaml_text, re.M)
    return yaml_text.count("\n", 0, m.start()) + 2 if m else None


def _read_fields(
    path: str, data: dict[str, Any], yaml_text: str, problems: list[Problem]
) -> dict[str, Any]:
    """Split front matter into known fields (normalised) and ``meta``."""
    out: dict[str, Any] = {"meta": {}}
    meta: dict[str, Any] = out["meta"]
    for key, value in data.items():
        name = key if isinstance(key, str) else str(key)
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
        # Take the digits as written: YAML 1.1 reads 0123 as octal 83.
        pattern = _ID_VALUE if key == "id" else re.compile(
            r"^" + re.escape(key) + r"[ \t]*:[ \t]*([^\s#]+)", re.M)
        m = pattern.search(yaml_text)
        raw = m.group(1) if m else str(value)
        return raw or None
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
