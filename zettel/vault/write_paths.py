"""Moving, creating and removing notes for a planned write (`zettel.vault.journal`):
part of the one writer (`zettel.vault.write`), with its path checks.

Every vault-relative path is refused (`EditRefused`) unless it is plainly
inside the vault: not absolute, no ``..``, no symbolic link leading out. A
move or a creation never overwrites anything; a removal removes a file only
while it has the bytes expected.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from pathlib import Path

from zettel.vault.scan import content_digest
from zettel.vault.write import (
    EditRefused,
    FileChanged,
    _read,
    _real_path,
    _sync_folder,
    _temp_name,
    create_exclusive,
    is_temp_name,
)


def _make_folders(root: Path | str, path: str) -> None:
    """Make the folders of the vault-relative ``path`` that are missing, each checked
    to be inside the vault."""
    parent = posixpath.dirname(path)
    if parent:
        _real_path(root, parent)  # refuses '..', absolute paths, links out
        os.makedirs(os.path.join(os.path.realpath(root), parent), exist_ok=True)


def _free(root: Path | str, path: str) -> str:
    """The real path of ``path``, refused when anything (even a dangling link) is there."""
    target = _real_path(root, path)
    if os.path.lexists(target) or os.path.lexists(os.path.join(os.path.realpath(root), path)):
        raise EditRefused(path, f"'{path}' already exists; zettel does not overwrite it")
    return target


def _regular(root: Path | str, path: str, what: str) -> str:
    """The real path of the regular file ``path`` (itself not a link)."""
    source = _real_path(root, path)
    try:
        found = os.lstat(os.path.join(os.path.realpath(root), path))
    except FileNotFoundError as err:
        raise FileChanged(path, f"'{path}' does not exist (removed since it was read?); "
                          f"nothing was {what}") from err
    if not stat.S_ISREG(found.st_mode):
        raise EditRefused(path, f"'{path}' is not a regular file (a link, a folder...); "
                          f"nothing was {what}")
    return source


def check_move(root: Path | str, old: str, new: str) -> None:
    """Raise what `move_exclusive` would raise before moving anything: a path not
    plainly inside the vault, ``old`` not a regular file, something at ``new``."""
    _regular(root, old, "moved")
    _free(root, new)


def move_exclusive(root: Path | str, old: str, new: str) -> None:
    """Move the note ``old`` to ``new`` (vault-relative paths), creating folders
    as needed and never overwriting anything at ``new``.

    Both paths must be plainly inside the vault (`EditRefused` otherwise, as for
    `apply_edits`); ``old`` must be a regular file, not a link (`FileChanged`
    when it is gone). The move is a hard link then an unlink where the file
    system allows (so a file made at ``new`` meanwhile is never replaced), else
    a rename after a check. A process killed between the two leaves the file
    under both names (`zettel.vault.journal` recognises it). Folders made for
    the move are left when it is undone. A folder in the way, or another
    failure of the system, raises `OSError`.
    """
    source = _regular(root, old, "moved")
    _make_folders(root, new)
    target = _free(root, new)
    try:
        os.link(source, target, follow_symlinks=False)
    except FileExistsError as err:
        raise EditRefused(new, f"'{new}' already exists; zettel does not overwrite it") from err
    except OSError:  # no hard links here (some file systems): rename after the check above
        os.rename(source, target)
    else:
        try:
            os.unlink(source)
        except BaseException:  # the note stays where it was: not under two names
            os.unlink(target)
            raise
    _sync_folder(Path(target).parent)
    if os.path.dirname(source) != os.path.dirname(target):
        _sync_folder(Path(source).parent)


def create_in_vault(root: Path | str, path: str, data: bytes) -> None:
    """Create the new file ``path`` (vault-relative) holding ``data``, making its
    folders as needed, with `create_exclusive` (never overwriting anything);
    `EditRefused` for a path not plainly inside the vault or already taken."""
    _make_folders(root, path)
    target = _free(root, path)
    try:
        create_exclusive(target, data)
    except FileExistsError as err:
        raise EditRefused(path, f"'{path}' already exists; zettel does not overwrite it") from err


def remove_unchanged(root: Path | str, path: str, digest: str) -> None:
    """Remove the file ``path`` (vault-relative) if its bytes still have ``digest``;
    `FileChanged` (nothing removed) when they do not or it is gone. A link is
    refused, never followed. Another program writing the file between the
    check and the removal is not guarded against."""
    real = _regular(root, path, "removed")
    data, _ = _read(path, real)
    if content_digest(data) != digest:
        raise FileChanged(path, f"'{path}' changed since zettel wrote it; not removed")
    os.unlink(real)
    _sync_folder(Path(real).parent)


def remove_temporaries_of(root: Path | str, path: str) -> list[str]:
    """Remove the temporaries `atomic_write` left beside the file ``path`` (a
    killed process); returns their vault-relative paths. Call only while no
    other zettel writes that file (`zettel.vault.journal` holds its lock)."""
    name = posixpath.basename(path)
    prefix = _temp_name(name)[: -len("12345678.tmp")]
    folder = posixpath.dirname(path)
    try:
        real = _real_path(root, folder) if folder else os.path.realpath(root)
        names = os.listdir(real)
    except (EditRefused, OSError):
        return []
    removed = []
    for found in names:
        if found.startswith(prefix) and is_temp_name(found) and len(found) == len(prefix) + 12:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(real, found))
                removed.append(posixpath.join(folder, found))
    return removed


def replace_durably(source: Path | str, target: Path | str) -> None:
    """Rename ``source`` to ``target`` in the same checked folder (``.zettel/``),
    replacing it, and fsync the folder so the rename survives a crash."""
    os.replace(source, target)
    _sync_folder(Path(target).parent)


def remove_hard_link(root: Path | str, path: str, twin: str) -> bool:
    """Remove the name ``path`` when it and ``twin`` are one file (hard links:
    what a move killed between its link and its unlink leaves); True if removed.
    `EditRefused` for a path not plainly inside the vault."""
    _real_path(root, path)
    _real_path(root, twin)
    top = os.path.realpath(root)
    try:
        found = os.lstat(os.path.join(top, path))
        other = os.lstat(os.path.join(top, twin))
    except FileNotFoundError:
        return False
    if not (stat.S_ISREG(found.st_mode) and (found.st_dev, found.st_ino) == (
            other.st_dev, other.st_ino)):
        return False
    os.unlink(os.path.join(top, path))
    _sync_folder(Path(top, path).parent)
    return True
