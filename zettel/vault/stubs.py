"""Stub notes for broken links that name a note nobody wrote yet (``zettel fix
--create-stubs``), planned as `zettel new` would write them, never overwriting.

A broken link gets a stub when it has no candidate by id, name or file name (a
note found only by the words of its context does not count) and its target is
a **14-digit id** (``[[20240105093000]]``, or ``[[cite:20240105093000]]``: the
stub gets that id, and the link's label, else the id, as title) or a
**title** (``[[Project Xanadu]]``: the stub gets that title and a new
timestamp id, the next second free in the vault and in the plan). A target
that looks like a path (a ``/``, a file extension) or a number that is no id
gets none. Links naming the same note share one stub. The file is named by
the vault's ``filename`` setting, with the template of `zettel new`; a name
taken already means the next id (or, for an id stub, no stub: its name is
fixed). Created files are part of the plan (`zettel.core.plan.NewFile`), so
undoing it removes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from zettel.core.plan import NewFile
from zettel.core.resolve import normalize
from zettel.vault.config import ConfigError, load_config, read_inside
from zettel.vault.statedir import UnsafeStateDir, state_path

if TYPE_CHECKING:
    from zettel.vault.repair import Fix

_ID = re.compile(r"(?:[\w-]+:)?(\d{14})")
_PATH_LIKE = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,5}$|^\d+$|^[\w-]+:")
_TRIES = 10_000


def stub_target(target: str) -> tuple[str | None, str | None]:
    """(id, title) a stub for a link to ``target`` would have; (None, None)
    when the target names no note to create (see the module doc)."""
    m = _ID.fullmatch(target)
    if m:
        return m.group(1), None
    if not target.strip() or _PATH_LIKE.search(target):
        return None, None
    return None, target


def plan_stubs(root: Path, fixes: Sequence[Fix], taken_ids: Iterable[str] = (),
               now: datetime | None = None) -> tuple[list[NewFile], set[tuple[str, int]]]:
    """The stubs for ``fixes`` (broken links with no candidate), and the links
    they make work, as (source path, link offset)."""
    from zettel.vault.create import front_matter, render_template, slugify  # noqa: PLC0415 - PyYAML

    config = load_config(root)
    template = _template(root, config.template)
    taken = {normalize(i) for i in taken_ids}
    names: set[str] = set()
    moment = (now or datetime.now()).replace(microsecond=0)
    made: dict[str, NewFile | None] = {}
    stubbed: set[tuple[str, int]] = set()
    for item in fixes:
        link = item.link
        note_id, title = stub_target(link.target)
        if note_id is None and title is None:
            continue
        key = normalize(note_id or title or "")
        if key not in made:
            made[key] = None
            for _ in range(_TRIES if note_id is None and "{id}" in config.filename else 1):
                given = note_id or moment.strftime("%Y%m%d%H%M%S")
                moment += timedelta(seconds=0 if note_id else 1)
                if note_id is None and normalize(given) in taken:
                    continue
                shown = title or link.label or given
                name = next((n for n in _names(config.filename, given, slugify(shown),
                                               config.is_note_name)
                             if normalize(n) not in names and not (root / n).exists()), None)
                if name is None:
                    continue
                body = render_template(template, {"title": shown, "id": given,
                                                  "date": moment.strftime("%Y-%m-%d")})
                text = front_matter(shown, given, (), ()) + ("\n" + body if body else "")
                made[key] = NewFile(name, text)
                taken.add(normalize(given))
                names.add(normalize(name))
                break
        if made[key] is not None:
            stubbed.add((item.source, link.offset))
    return [stub for stub in made.values() if stub is not None], stubbed


def _names(pattern: str, note_id: str, slug: str, is_note: Callable[[str], bool]
           ) -> Iterator[str]:
    """File names to try, as `zettel new` does: the pattern filled, then for a
    pattern without ``{id}``, ``slug-2.md``, ``slug-3.md``, …"""
    name = pattern.replace("{id}", note_id).replace("{slug}", slug)
    if not is_note(name):
        name += ".md"
    yield name
    if "{id}" not in pattern:
        stem, _, ext = name.rpartition(".")
        yield from (f"{stem}-{n}.{ext}" for n in range(2, 100))


def _template(root: Path, name: str) -> str:
    """The template of `zettel new` ('' when there is none or it cannot be used)."""
    if not name.strip() or name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
        return ""
    try:
        folder = state_path(root)
        return read_inside(folder / name, folder, f"template '{name}'") or ""
    except (ConfigError, UnsafeStateDir, OSError):
        return ""
