"""The entries of the write journal (``.zettel/journal/``): one file per batch.

An entry is one line of JSON (the header: the batch's action, summary, time
and, for each file, its paths and the digests of its bytes before and after),
then the bytes before of every file whose text the batch changes, and of
every file it removes, one after the other (their sizes are in the header).
Nothing else: no pickle, no code. An entry is read back as untrusted input:
a header that is not what `encode` writes, a path that is not plainly
vault-relative, stored bytes that do not have their digest, make the entry
*damaged* (`JournalError`); the paths are checked again by the writer when
used.

Each entry is signed with the user's key (`zettel.vault.journal_key`): a first
line ``zettel-journal 2 <header MAC> <entry MAC>``, HMAC-SHA256 of the header
line and of the header line with the stored bytes. An entry without a valid
signature (made by another user or on another machine, planted in a vault
from elsewhere, a link, written before entries were signed) is read as
*foreign*: listed, never acted on. The header's MAC tells it from an own
entry by reading the header alone; the entry's MAC is checked when the
stored bytes are read.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import stat
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from zettel.vault.scan import content_digest
from zettel.vault.write import WriteError

#: The version of the entry format (the header's ``zettel-journal``; 1: not signed).
FORMAT = 2
#: The name of the entry of a batch being written (or interrupted).
#: The names of finished entries: the batch number, ``undo.`` for an undo, its state.
NAME = re.compile(r"([0-9]{8})\.(undo\.)?(done|rolled-back)")


def entry_name(seq: int, action: str, state: str) -> str:
    """The name of a finished entry: ``00000042.done``, ``00000043.undo.rolled-back``."""
    return f"{seq:08d}.{'undo.' if action == 'undo' else ''}{state}"
#: The longest header read (a batch of 100,000 files has a header of ~20 MB).
MAX_HEADER = 64 * 1024 * 1024
_DIGEST = re.compile(r"[0-9a-f]{32}")
_SEAL_START = b"zettel-journal 2 "
_SEAL = re.compile(rb"zettel-journal 2 ([0-9a-f]{64}) ([0-9a-f]{64})\n")
_SEAL_SIZE = len(_SEAL_START) + 2 * 64 + 2
_FOREIGN = "not written by you on this machine"
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(
    os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class JournalError(WriteError):
    """A journal entry cannot be read (damaged, planted, of a newer zettel)."""


@dataclass(frozen=True)
class FileRecord:
    """A file a batch edits or moves: ``before`` and ``after`` are digests of its
    bytes; ``size`` is the length of the bytes before stored in the entry (None:
    not stored, the batch only moves the file)."""

    path: str
    new_path: str | None
    before: str
    after: str
    size: int | None
    links: int = 0


@dataclass(frozen=True)
class Stored:
    """A file a batch creates (``size`` None) or removes (its bytes stored, ``size``)."""

    path: str
    digest: str
    size: int | None = None


@dataclass(frozen=True)
class Entry:
    """One batch of the journal. ``state``: ``done``, ``undone`` (a later undo
    reverted it: ``undone_by``), ``interrupted`` (its writer stopped before the
    end: it waits to be rolled back), ``rolled back``, ``damaged`` (the
    entry cannot be read: ``problem`` says why) or ``foreign`` (not signed
    with the user's key: never acted on; ``problem`` says why). An ``undo`` batch names the
    batch it reverts (``reverts``) and the files it refused (``refused``)."""

    seq: int
    action: str
    summary: str
    time: str
    state: str
    files: tuple[FileRecord, ...] = ()
    created: tuple[Stored, ...] = ()
    removed: tuple[Stored, ...] = ()
    reverts: int | None = None
    refused: tuple[str, ...] = ()
    undone_by: int | None = None
    name: str = ""
    problem: str | None = None
    header_size: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``zettel undo --list --json`` shape of the entry (docs/json.md)."""
        return {
            "batch": self.seq, "action": self.action, "summary": self.summary,
            "time": self.time, "state": self.state, "reverts": self.reverts,
            "undone_by": self.undone_by, "refused": list(self.refused),
            "files": [{"path": f.path, "new_path": f.new_path,
                       "edited": f.before != f.after, "links": f.links} for f in self.files],
            "created": [c.path for c in self.created],
            "removed": [r.path for r in self.removed],
            "problem": self.problem,
        }


def encode(entry: Entry, stored: list[bytes], key: bytes) -> bytes:
    """The bytes of an entry file: its signature line (`sign`, with ``key``), its
    header, a newline, then ``stored`` (the bytes before of the files with a
    ``size``, then of the removed files)."""
    header = {
        "zettel-journal": FORMAT, "seq": entry.seq, "action": entry.action,
        "summary": entry.summary, "time": entry.time, "reverts": entry.reverts,
        "refused": list(entry.refused),
        "files": [[f.path, f.new_path, f.before, f.after, f.size, f.links] for f in entry.files],
        "created": [[c.path, c.digest] for c in entry.created],
        "removed": [[r.path, r.digest, r.size] for r in entry.removed],
    }
    # ASCII JSON: no newline inside, and any text (even a lone surrogate) survives.
    line = json.dumps(header, separators=(",", ":")).encode("ascii") + b"\n"
    data = b"".join(stored)
    return sign(key, line, data) + line + data


def sign(key: bytes, line: bytes, stored: bytes) -> bytes:
    """The signature line of an entry whose header line is ``line`` (with its
    newline) and whose stored bytes are ``stored``."""
    return b"%s%s %s\n" % (_SEAL_START, _mac(key, b"header", line).hexdigest().encode(),
                           _mac(key, b"entry", line, stored).hexdigest().encode())


def _mac(key: bytes, what: bytes, *parts: bytes) -> hmac.HMAC:
    mac = hmac.new(key, what + b"\0", hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac


def read_entry(path: Path, state: str, key: bytes | None, *, with_bytes: bool = False
               ) -> tuple[Entry, list[bytes]]:
    """The entry in the file ``path`` (and with ``with_bytes``, the bytes it
    stores, each checked against its digest). An entry not signed with ``key``
    (None: every entry) is returned with state ``foreign`` (and no bytes); one
    signed but damaged raises `JournalError`, as does a file that cannot be read."""
    name = path.name
    try:
        fd = os.open(path, _READ)
    except OSError as err:
        if os.path.islink(path):
            return _foreign(name, b"", "a symbolic link"), []
        raise JournalError(name, f"journal entry '{name}' cannot be read "
                           f"({err.strerror or err})") from err
    found = os.fstat(fd)
    if not stat.S_ISREG(found.st_mode):  # (open() refuses a folder's fd)
        os.close(fd)
        return _foreign(name, b"", "not a regular file"), []
    with open(fd, "rb") as stream:
        first = stream.readline(_SEAL_SIZE)
        seal = _SEAL.fullmatch(first)
        if seal is None:
            line = first if first.endswith(b"\n") or not first.startswith(b"{") else (
                first + stream.readline(MAX_HEADER + 1))  # (an entry of format 1)
            return _foreign(name, line, "not signed"), []
        line = stream.readline(MAX_HEADER + 1)
        if key is None or not hmac.compare_digest(
                _mac(key, b"header", line).hexdigest().encode(), seal[1]):
            return _foreign(name, line, "signed with another key"), []
        entry = _parse(name, line, state, (FORMAT,))
        if (own := NAME.fullmatch(name)) and (
                int(own[1]) != entry.seq or bool(own[2]) != (entry.action == "undo")):
            return replace(entry, state="foreign", problem=_FOREIGN + " (renamed)"), []
        total = sum(f.size or 0 for f in entry.files) + sum(r.size or 0 for r in entry.removed)
        if found.st_size != len(first) + len(line) + total:
            raise JournalError(name, f"journal entry '{name}' is damaged ({found.st_size} "
                               f"bytes, not {len(first) + len(line) + total})")
        if not with_bytes:
            return entry, []
        stored, mac = [], _mac(key, b"entry", line)
        for size, digest in [(f.size, f.before) for f in entry.files if f.size is not None] + [
                (r.size, r.digest) for r in entry.removed]:
            data = stream.read(size)
            if content_digest(data) != digest:
                raise JournalError(name, f"journal entry '{name}' is damaged (stored bytes "
                                   "do not match their digest)")
            stored.append(data)
            mac.update(data)
        if not hmac.compare_digest(mac.hexdigest().encode(), seal[2]):
            raise JournalError(name, f"journal entry '{name}' is damaged (stored bytes "
                               "do not match its signature)")
        return entry, stored


def _foreign(name: str, line: bytes, why: str) -> Entry:
    """A foreign entry, with what its header says when it can be read (for the list)."""
    if line.endswith(b"\n"):
        with contextlib.suppress(JournalError):
            entry = _parse(name, line, "foreign", (1, FORMAT))
            unsigned = "written before entries were signed" if line.startswith(
                b'{"zettel-journal":1,') else why
            return replace(entry, problem=f"{_FOREIGN} ({unsigned})")
    found = NAME.fullmatch(name)
    return Entry(int(found[1]) if found else 0, "?", "", "", "foreign", name=name,
                 problem=f"{_FOREIGN} ({why})")


def _parse(name: str, line: bytes, state: str, formats: tuple[int, ...]) -> Entry:
    try:
        header = json.loads(line)
    except (ValueError, RecursionError) as err:
        raise JournalError(name, f"journal entry '{name}' is damaged (not JSON)") from err
    try:
        if not isinstance(header, dict) or header.get("zettel-journal") not in formats:
            raise ValueError("not an entry of this zettel's format")
        files = tuple(FileRecord(_path(f[0]), _path(f[1], none=True), _digest(f[2]),
                                 _digest(f[3]), _size(f[4], none=f[2] == f[3]), _size(f[5]))
                      for f in _rows(header["files"], 6))
        created = tuple(Stored(_path(c[0]), _digest(c[1])) for c in _rows(header["created"], 2))
        removed = tuple(Stored(_path(r[0]), _digest(r[1]), _size(r[2]))
                        for r in _rows(header["removed"], 3))
        reverts = header["reverts"]
        return Entry(
            seq=_size(header["seq"]), action=_text(header["action"]),
            summary=_text(header["summary"]), time=_text(header["time"]), state=state,
            files=files, created=created, removed=removed,
            reverts=None if reverts is None else _size(reverts),
            refused=tuple(_path(p) for p in _rows(header["refused"], None)),
            name=name, header_size=len(line))
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise JournalError(name, f"journal entry '{name}' is damaged ({err})") from err


def _rows(value: object, width: int | None) -> list[Any]:
    if not isinstance(value, list) or (width is not None and not all(
            isinstance(row, list) and len(row) == width for row in value)):
        raise ValueError("a list of the wrong shape")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _size(value: object, *, none: bool = False) -> Any:
    if value is None and none:
        return None
    if type(value) is not int or value < 0:
        raise ValueError("not a size")
    return value


def _digest(value: object) -> str:
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise ValueError("not a digest")
    return value


def _path(value: object, *, none: bool = False) -> Any:
    """A vault-relative path, refused unless plainly inside (the writer checks links)."""
    if value is None and none:
        return None
    text = _text(value)
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if (not text or "\0" in text or posix.is_absolute() or windows.drive or windows.root
            or ".." in posix.parts or ".." in windows.parts or text != posix.as_posix()):
        raise ValueError(f"{text!r} is not a path inside the vault")
    return text
