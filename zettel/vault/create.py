"""Creating notes (written through `zettel.vault.write`, the one module that writes files).

A new note gets a timestamp id (local time, ``YYYYMMDDHHMMSS``). When that id
is taken in the vault, or reserved by another ``zettel new`` running at the
same moment, or its file name is taken, the next free second is used, so two
notes created in the same second get distinct ids. An id is reserved by
creating ``.zettel/ids/<id>`` exclusively; the file is created with
``O_CREAT | O_EXCL``: an existing file is never overwritten, even when another
process creates the same name at the same moment.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath, PureWindowsPath

import yaml

from zettel.vault.config import (
    STATE_DIR,
    Config,
    ConfigError,
    UserSettings,
    load_user_settings,
    read_inside,
    user_config_path,
)
from zettel.vault.statedir import UnsafeStateDir, state_path
from zettel.vault.write import create_exclusive

#: How many seconds past "now" (or names, for a ``{slug}`` pattern) are tried before giving up.
MAX_TRIES = 10_000
#: The folder, under ``.zettel/``, of the ids being given to new notes.
IDS_DIR = "ids"
#: Reservations of ids this much older than "now" are removed.
KEEP_RESERVATIONS = timedelta(days=1)
_ID_NAME = re.compile(r"\d{14}")
_FIELD = re.compile(r"\{\{(title|id|date)\}\}")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}
#: Characters a file name never gets from a title: controls (C0, DEL, C1), bidi
#: and line separators, and what file systems refuse or shells and links mind.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069<>:"/\\|?*#\[\]^]+')


class CreateError(Exception):
    """A note could not be created (bad title, unusable template, no free name)."""


class EditorError(CreateError):
    """The editor setting cannot be used (it cannot be split into words)."""


class _IndentedDumper(yaml.SafeDumper):
    """Writes lists indented under their key, as Cosma's notes do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def slugify(title: str, max_length: int = 80) -> str:
    """A file-name-safe form of ``title`` that keeps accented letters.

    Lower case, words joined by ``-``; path separators, ``..``, characters
    file systems refuse, and names Windows reserves are removed.
    """
    text = unicodedata.normalize("NFC", title).lower()
    text = _UNSAFE.sub(" ", text)
    text = re.sub(r"[\s_-]+", "-", text).strip("-.")
    text = re.sub(r"\.{2,}", ".", text)
    text = text[:max_length].rstrip("-.")
    if not text:
        return "note"
    if text.split(".")[0] in _RESERVED:
        text += "-note"
    return text


def front_matter(title: str, note_id: str, types: Iterable[str], tags: Iterable[str]) -> str:
    """The YAML front matter of a new note: title, id (a string), types, tags."""
    data = {"title": title, "id": note_id, "types": list(types), "tags": list(tags)}
    text = yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1000)
    return f"---\n{text}---\n"


def render_template(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{{title}}``, ``{{id}}`` and ``{{date}}`` in a template body (in one pass:
    a title holding ``{{id}}`` stays as written)."""
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def new_note(
    root: Path,
    title: str,
    *,
    config: Config,
    taken_ids: Iterable[str] = (),
    types: Iterable[str] = (),
    tags: Iterable[str] = (),
    now: datetime | None = None,
) -> Path:
    """Create a note in ``root``; returns its path. Never overwrites a file.

    ``taken_ids`` are the ids already in the vault. Raises `CreateError`.
    """
    title = " ".join(title.split())
    if not title:
        raise CreateError("a note needs a title")
    types, tags = [t.strip() for t in types if t.strip()], [t.strip() for t in tags if t.strip()]
    template = _read_template(root, config)
    taken = {t.lower() for t in taken_ids}
    moment = (now or datetime.now()).replace(microsecond=0)
    reservations = _reservations(root, moment)
    slug = slugify(title)
    for _ in range(MAX_TRIES):
        note_id = moment.strftime("%Y%m%d%H%M%S")
        if note_id not in taken and _reserve(reservations, note_id):
            body = render_template(template, {"title": title, "id": note_id,
                                              "date": moment.strftime("%Y-%m-%d")})
            text = front_matter(title, note_id, types, tags) + ("\n" + body if body else "")
            for name in _names(config, note_id, slug):
                path = root / name
                if _create(path, text):
                    return path
            if "{id}" not in config.filename:
                break  # every name for this slug is taken: another id would not help
        moment += timedelta(seconds=1)
    raise CreateError(f"no free id or file name for '{title}' after {MAX_TRIES} tries")


def _names(config: Config, note_id: str, slug: str) -> Iterator[str]:
    """File names to try for the note: one with an ``{id}`` pattern (a taken name
    means the next id), else ``slug.md``, ``slug-2.md``, …"""
    name = config.filename.replace("{id}", note_id).replace("{slug}", slug)
    if not config.is_note_name(name):
        name += ".md"
    yield name
    if "{id}" not in config.filename:
        stem, _, ext = name.rpartition(".")
        for counter in range(2, MAX_TRIES):
            yield f"{stem}-{counter}.{ext}"


def _create(path: Path, text: str) -> bool:
    """Write ``text`` to the new file ``path``; False when the name is taken."""
    try:
        create_exclusive(path, text.encode("utf-8"))
    except FileExistsError:
        return False
    except OSError as err:
        raise CreateError(f"cannot create '{path}': {err.strerror or err}") from err
    return True


def _reservations(root: Path, moment: datetime) -> Path:
    """The checked ``.zettel/ids/`` folder, made if needed, with the reservations of
    ids older than `KEEP_RESERVATIONS` before ``moment`` removed."""
    try:
        folder = state_path(root, IDS_DIR, create=True)
        _create(folder / ".gitignore", "# ids being given to new notes (zettel new)\n*\n")
        oldest = (moment - KEEP_RESERVATIONS).strftime("%Y%m%d%H%M%S")
        with os.scandir(folder) as entries:
            stale = [e.name for e in entries if _ID_NAME.fullmatch(e.name) and e.name < oldest
                     and e.is_file(follow_symlinks=False)]  # only what zettel made
        for name in stale:
            with contextlib.suppress(FileNotFoundError):  # removed by another process
                os.unlink(folder / name)
    except UnsafeStateDir as err:
        raise CreateError(str(err)) from err
    except OSError as err:
        raise CreateError(f"cannot create a note in '{root}': {err.strerror or err} "
                          f"({STATE_DIR}/{IDS_DIR})") from err
    return folder


def _reserve(folder: Path, note_id: str) -> bool:
    """Reserve ``note_id`` for this process; False when another one has it."""
    try:
        create_exclusive(folder / note_id, b"")
    except FileExistsError:
        return False
    except OSError as err:
        raise CreateError(f"cannot reserve id {note_id} in '{folder}': "
                          f"{err.strerror or err}") from err
    return True


def _read_template(root: Path, config: Config) -> str:
    """The template's text ('' when there is none): a regular file inside ``.zettel/``."""
    if not _is_plain_relative(config.template):
        raise CreateError(f"{STATE_DIR}/config.yaml: 'template' must be a path inside "
                          f"{STATE_DIR}/, such as 'templates/default.md' (not an absolute "
                          "path, no '..')")
    try:
        folder = state_path(root)
        text = read_inside(folder / config.template, folder,
                           f"template '{STATE_DIR}/{config.template}'")
    except (ConfigError, UnsafeStateDir) as err:
        raise CreateError(str(err)) from err
    return text or ""


def _is_plain_relative(path: str) -> bool:
    """A non-empty relative path with no ``..`` (in POSIX or Windows spelling)."""
    posix, windows = PurePosixPath(path), PureWindowsPath(path)
    return (bool(path.strip()) and not posix.is_absolute() and not windows.drive
            and not windows.root and ".." not in posix.parts and ".." not in windows.parts)


@dataclass(frozen=True)
class Editor:
    """The editor to run (None: none is set) and, when the vault's settings name
    one that was ignored because the vault is not trusted, a notice saying so."""

    command: list[str] | None
    notice: str | None = None


def choose_editor(config: Config, root: Path, environ: Mapping[str, str] = os.environ,
                  user: UserSettings | None = None) -> Editor:
    """The editor: the vault's ``editor`` if the user trusts the vault, else the
    user's ``editor`` setting, else ``$VISUAL``, else ``$EDITOR``.

    Split as a shell would split it (``code --wait`` is two words) but never
    run through a shell. Raises `EditorError` when it cannot be split, and
    `zettel.vault.config.ConfigError` when the user's settings cannot be read.
    """
    user = load_user_settings() if user is None else user
    notice = None
    candidates: list[tuple[str, str | None]] = []
    if config.editor and config.editor.strip():
        if user.trusts(root):
            candidates.append((f"'editor' in {STATE_DIR}/config.yaml", config.editor))
        else:
            notice = (f"this vault's {STATE_DIR}/config.yaml sets an editor; it is ignored "
                      "because you have not trusted this vault (to trust it: zettel trust "
                      f"{shlex.quote(str(Path(root).resolve()))})")
    candidates += [(f"'editor' in {user_config_path()}", user.editor),
                   ("$VISUAL", environ.get("VISUAL")), ("$EDITOR", environ.get("EDITOR"))]
    for source, value in candidates:
        if value and value.strip():
            try:
                return Editor(shlex.split(value), notice)
            except ValueError as err:  # an unbalanced quote
                raise EditorError(f"the editor in {source} cannot be split into words: "
                                  f"{str(err).lower()}") from err
    return Editor(None, notice)


def open_in_editor(command: list[str], path: Path) -> int:
    """Run the editor on ``path`` and wait for it; returns its exit status."""
    return subprocess.run([*command, str(path)], check=False).returncode
