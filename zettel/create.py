"""Creating notes: the one module that writes into the vault.

A new note gets a timestamp id (local time, ``YYYYMMDDHHMMSS``). When that id
is taken in the vault, or the file name is, the next free second is used, so
two notes created in the same second get distinct ids. The file is created
with ``O_CREAT | O_EXCL``: an existing file is never overwritten, even when
another process creates the same name at the same moment.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from zettel.config import STATE_DIR, Config

#: How many seconds past "now" are tried before giving up.
MAX_TRIES = 10_000
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*#\[\]^]+')


class CreateError(Exception):
    """A note could not be created (bad title, unusable template, no free name)."""


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
    """Fill ``{{title}}``, ``{{id}}`` and ``{{date}}`` in a template body."""
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


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
    slug = slugify(title)
    counter = 1
    for _ in range(MAX_TRIES):
        note_id = moment.strftime("%Y%m%d%H%M%S")
        if note_id in taken:
            moment += timedelta(seconds=1)
            continue
        name = config.filename.replace("{id}", note_id).replace("{slug}", slug)
        if not config.is_note_name(name):
            name += ".md"
        if "{id}" not in config.filename and counter > 1:
            stem, _, ext = name.rpartition(".")
            name = f"{stem}-{counter}.{ext}"
        path = root / name
        body = render_template(template, {"title": title, "id": note_id,
                                          "date": moment.strftime("%Y-%m-%d")})
        text = front_matter(title, note_id, types, tags) + ("\n" + body if body else "")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            moment += timedelta(seconds=1)
            counter += 1
            continue
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        return path
    raise CreateError(f"no free file name for '{title}' after {MAX_TRIES} tries")


def _read_template(root: Path, config: Config) -> str:
    path = root / STATE_DIR / config.template
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as err:
        raise CreateError(f"template {path} cannot be read: {err}") from err


def editor_command(config: Config, environ: Mapping[str, str] = os.environ) -> list[str] | None:
    """The editor to run: the config's, else ``$VISUAL``, else ``$EDITOR``.

    Split as a shell would split it (``code --wait`` is two words) but never
    run through a shell. None when no editor is set.
    """
    for value in (config.editor, environ.get("VISUAL"), environ.get("EDITOR")):
        if value and value.strip():
            return shlex.split(value)
    return None


def open_in_editor(command: list[str], path: Path) -> int:
    """Run the editor on ``path`` and wait for it; returns its exit status."""
    return subprocess.run([*command, str(path)], check=False).returncode
