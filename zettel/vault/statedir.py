"""zettel's own folders inside a vault (``.zettel/``, its ``cache/`` and ``index/``),
checked before anything is read from or written into them.

A vault may come from someone else (a clone, an archive). A ``.zettel`` folder,
or one of its sub-folders, that is a symbolic link could make zettel write, or
delete, files outside the vault; one owned by another user could be changed
behind zettel's back. Such a folder is refused with `UnsafeStateDir`, which the
commands report in one line (exit 2) and the TUI as a notice.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

#: The folder, inside a vault, where zettel keeps its settings and caches.
STATE_DIR = ".zettel"
#: The journal's folder in it, and the name of the entry of a batch under way or
#: interrupted (`zettel.vault.journal`).
JOURNAL_DIR, PENDING = "journal", "pending"


class UnsafeStateDir(Exception):
    """A folder zettel keeps its state in is a symbolic link, not a folder, or
    belongs to another user: zettel will not read or write through it."""


def _owner_ok(st: os.stat_result) -> bool:
    getuid = getattr(os, "geteuid", None)
    return getuid is None or st.st_uid == getuid()


def checked(path: Path, *, create: bool = False) -> bool:
    """Check that ``path`` is a real folder owned by this user (not a link).

    Returns False when it does not exist and ``create`` is False; creates it
    (mode 0o755, the parent must already be checked) when ``create`` is True.
    Raises `UnsafeStateDir` otherwise.
    """
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return False
        with contextlib.suppress(FileExistsError):  # made by another process meanwhile
            os.mkdir(path, 0o755)
        st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeStateDir(f"'{path}' is a symbolic link; zettel does not read or write "
                             "through it (remove the link, zettel makes the folder again)")
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeStateDir(f"'{path}' is not a folder; zettel keeps its state there")
    if not _owner_ok(st):
        raise UnsafeStateDir(f"'{path}' belongs to another user; zettel does not use it")
    return True


def state_path(vault: Path | str, *parts: str, create: bool = False) -> Path:
    """``<vault>/.zettel/<parts...>``, every folder on the way checked by `checked`.

    With ``create``, missing folders are made. Without it, the path is returned
    even when a folder on the way is missing (reading it then finds nothing).
    """
    folder = Path(vault) / STATE_DIR
    if not checked(folder, create=create):
        return folder.joinpath(*parts)
    for i, part in enumerate(parts):
        folder = folder / part
        if not checked(folder, create=create):
            return folder.joinpath(*parts[i + 1 :])
    return folder


def pending_entry(vault: Path | str) -> Path:
    """Where the journal keeps the entry of a batch under way or interrupted: one
    stat of it tells whether a batch may wait, without loading the journal's code."""
    return Path(vault) / STATE_DIR / JOURNAL_DIR / PENDING
