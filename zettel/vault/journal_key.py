"""The user's journal key: the secret that signs the journal entries this user's
zettel writes, so that only those are ever rolled back or undone.

A vault may come from someone else, its ``.zettel/journal/`` with it: an entry
zettel did not write could make it delete or overwrite notes.
`zettel.vault.journal_entry` signs every entry with this key (HMAC-SHA256) and
treats an entry without a valid signature as *foreign*. The key is 32 random
bytes, in hex, in ``journal.key`` in the user's settings folder (beside
``config.yaml``, `zettel.vault.config.user_config_path`), made on first need
with mode 0600. It is refused (`JournalKeyError`) when it is a symbolic link,
not a regular file, not the user's own, open to other users, or not a key.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from zettel.vault.config import user_config_path
from zettel.vault.journal_entry import JournalError
from zettel.vault.write import _sync_folder, create_exclusive

#: The name of the key's file in the user's settings folder.
KEY_FILE = "journal.key"
#: The length of the key, in bytes.
KEY_BYTES = 32
_KEY = re.compile(rb"([0-9a-f]{%d})\n?" % (2 * KEY_BYTES))
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(
    os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class JournalKeyError(JournalError):
    """The user's journal key cannot be used (a link, another user's, unreadable...)."""


def key_path() -> Path:
    """Where the user's journal key is: ``journal.key`` beside the user's settings."""
    return user_config_path().parent / KEY_FILE


def load_key() -> bytes | None:
    """The user's journal key; None when there is none yet (every entry is then
    foreign). `JournalKeyError` when it cannot be used."""
    return _read(key_path())


def own_key() -> bytes:
    """The user's journal key, made when there is none yet (to sign a batch).
    `JournalKeyError` when it cannot be used or made."""
    path = key_path()
    key = _read(path)
    if key is None:
        try:
            _make(path)
        except OSError as err:
            raise _refused(path, f"cannot be made ({err.strerror or err})") from err
        key = _read(path)
        if key is None:  # removed at once by another program
            raise _refused(path, "cannot be made (it vanished)")
    return key


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        if not os.path.islink(path):
            return None
        raise _refused(path, "is a symbolic link; zettel does not follow it") from None
    except OSError as err:
        if os.path.islink(path):
            raise _refused(path, "is a symbolic link; zettel does not follow it") from err
        raise _refused(path, f"cannot be read ({err.strerror or err})") from err
    found = os.fstat(fd)
    if not stat.S_ISREG(found.st_mode):
        os.close(fd)
        raise _refused(path, "is not a regular file")
    with open(fd, "rb") as stream:
        if os.name == "posix":
            if found.st_uid != os.geteuid():
                raise _refused(path, "belongs to another user")
            if found.st_mode & 0o077:
                raise _refused(path, f"is open to other users (mode "
                               f"{stat.S_IMODE(found.st_mode):04o}; make it 0600)")
        try:
            data = stream.read(2 * KEY_BYTES + 2)
        except OSError as err:
            raise _refused(path, f"cannot be read ({err.strerror or err})") from err
    found_key = _KEY.fullmatch(data)
    if found_key is None:
        raise _refused(path, f"is not a key ({2 * KEY_BYTES} hex digits)")
    return bytes.fromhex(found_key[1].decode("ascii"))


def _make(path: Path) -> None:
    """Write a new key at ``path``, never replacing one made meanwhile by another
    zettel: written whole beside it (mode 0600), then linked to its name."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = secrets.token_hex(KEY_BYTES).encode("ascii") + b"\n"
    temporary = folder / f".{KEY_FILE}.{secrets.token_hex(4)}.tmp"
    create_exclusive(temporary, data, mode=0o600)
    try:
        os.link(temporary, path, follow_symlinks=False)
    except FileExistsError:
        pass  # another zettel's key (or something refused when read)
    except OSError:  # no hard links on this file system
        with contextlib.suppress(FileExistsError):
            create_exclusive(path, data, mode=0o600)
    finally:
        os.unlink(temporary)
    _sync_folder(folder)


def _refused(path: Path, why: str) -> JournalKeyError:
    return JournalKeyError(KEY_FILE, f"zettel's journal key '{path}' {why}: zettel "
                           "writes no batch and undoes none with it (remove it to get a new "
                           "key; the journal's entries then become foreign)")
