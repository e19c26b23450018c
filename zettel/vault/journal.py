"""Writing a `zettel.core.plan.Plan` into the vault, journaled, and undoing it.

`apply_plan` first records the batch in ``.zettel/journal/pending`` (durably:
the bytes before of every file it changes, the digests before and after,
the moves, the files it creates), then writes the edits
(`zettel.vault.write.apply_edits`), the moves (`move_exclusive`) and the new
files, then renames the entry ``<batch>.done`` (``<batch>.undo.done`` for an
undo). A batch that fails half-way is rolled back at once; one whose process
was killed (the entry is still ``pending``) is rolled back by the next
`apply_plan`, `recover` or `undo`. Rolling back, or undoing, a file is safe:
a file with its bytes after gets its bytes before, one with its bytes before
is left, one with other bytes (edited since) is left as it is and named.
`undo` reverts the last batch not undone yet; it is itself a journaled batch,
which is never undone. The last `KEEP` batches are kept (and their undos).
One batch at a time per vault: an flock on ``.zettel/journal/lock`` (without
flock, on Windows, nothing is locked). Entries are signed with the user's key
(`zettel.vault.journal_key`): a *foreign* one (not signed with it) is listed
but never rolled back nor undone; a foreign ``pending`` is set aside as
``pending.foreign`` by the next batch. docs/editing.md says it for people.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from zettel.core.plan import Plan
from zettel.vault.journal_entry import (
    NAME,
    Entry,
    FileRecord,
    JournalError,
    Stored,
    encode,
    entry_name,
    read_entry,
)
from zettel.vault.journal_key import load_key, own_key
from zettel.vault.reversal import Refusal, Removal, Reversal, reverse
from zettel.vault.scan import content_digest
from zettel.vault.statedir import (
    PENDING,
    STATE_DIR,
    UnsafeStateDir,
    pending_entry,
    state_path,
)
from zettel.vault.write import (
    Edit,
    EditRefused,
    EditsInterrupted,
    FileEdits,
    Fingerprint,
    WriteError,
    apply_edits,
    atomic_write,
)
from zettel.vault.write_paths import (
    check_move,
    create_in_vault,
    move_exclusive,
    remove_hard_link,
    remove_temporaries_of,
    remove_unchanged,
    replace_durably,
)

__all__ = ["KEEP", "Applied", "BatchRolledBack", "Entry", "JournalError", "PlanOutdated", "Refusal",
           "Removal", "Reversal", "apply_plan", "history", "plan_undo", "recover", "undo",
           "waiting"]

#: How many finished batches the journal keeps (the oldest are removed).
KEEP = 100
#: Test hook: stop after writing this many files (0: after the journal entry)
#: and wait for a byte on stdin (or its end), so a test can kill the process.
PAUSE_ENV = "ZETTEL_TEST_PAUSE_AFTER"
#: Where the next batch sets a foreign ``pending`` entry aside.
SET_ASIDE = "pending.foreign"


@dataclass(frozen=True)
class Applied:
    """What `apply_plan` wrote: the paths edited, moved (old, new), created and
    removed; the batch's number in the journal; notices for the person (a
    batch rolled back first); the files an undo refused."""

    edited: tuple[str, ...]
    moved: tuple[tuple[str, str], ...]
    created: tuple[str, ...]
    removed: tuple[str, ...] = ()
    batch: int | None = None
    notices: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()


class PlanOutdated(EditRefused):
    """An interrupted batch was rolled back before this plan could be written,
    and it had written files: the plan, made from them, is refused."""


class BatchRolledBack(WriteError):
    """Writing a batch failed half-way; what it had written was rolled back
    (but for the files named, changed meanwhile by another program)."""


def apply_plan(root: Path | str, plan: Plan) -> Applied:
    """Write ``plan`` into the vault at ``root``, journaled (see the module doc).

    Raises `zettel.vault.write.WriteError`: `EditRefused` with nothing written
    when a file changed since it was read or a path is refused;
    `BatchRolledBack` when writing failed half-way (the batch is rolled back);
    `PlanOutdated` when an interrupted batch had to be rolled back first (the
    plan was made from files it had written: make it again, `recover` first);
    `JournalError` when a waiting interrupted batch cannot be read. A plan
    that writes nothing is not journaled (but an undo always is). The plan
    `plan_undo` makes when an interrupted batch waits (action ``rollback``)
    is carried out as `recover` does (its notices say what was done)."""
    root = Path(root)
    key = own_key()
    with _locked(root) as folder:
        notices, reverted, _ = _recover(root, folder, key)
        if isinstance(plan, Reversal) and plan.action == "rollback":  # from plan_undo
            return Applied(tuple(c.path for c in plan.changes), (), (), notices=tuple(notices),
                           refused=tuple(r.path for r in plan.refused))
        if reverted:
            raise PlanOutdated("", "; ".join(notices) + ": files changed after this plan "
                               "was made; nothing of it was written (run the command again)")
        return _apply(root, folder, plan, tuple(notices), key)


def recover(root: Path | str) -> list[str]:
    """Roll back an interrupted batch, if one waits; returns notices saying what
    was done (and which files were left as they were)."""
    root = Path(root)
    if not os.path.lexists(pending_entry(root)):
        return []
    key = own_key()
    with _locked(root) as folder:
        return _recover(root, folder, key)[0]


def waiting(root: Path | str) -> str | None:
    """A notice when an interrupted batch waits to be rolled back (one stat when
    none does), for ``zettel check`` and the TUI; None for a foreign one."""
    root = Path(root)
    if not os.path.lexists(pending_entry(root)):
        return None
    try:
        folder = state_path(root, "journal")
        if _under_way(folder):
            return None  # another zettel is writing it now
        entry, _ = read_entry(folder / PENDING, "interrupted", load_key())
        if entry.state == "foreign":
            return None  # never rolled back: set aside by the next batch
        what = f"batch {entry.seq} ({entry.action}: {entry.summary})"
    except (JournalError, UnsafeStateDir, OSError) as err:
        what = f"batch (its journal entry: {err})"
    return (f"an interrupted write {what} waits: the next zettel command that writes, "
            "or `zettel undo`, rolls it back")


def history(root: Path | str) -> list[Entry]:
    """The batches of the journal, newest first (headers only; a damaged entry is
    listed with state ``damaged``, one not signed with the user's key with state
    ``foreign``). `JournalKeyError` when the user's key cannot be used."""
    return _history(root, load_key())


def _history(root: Path | str, key: bytes | None) -> list[Entry]:
    folder = state_path(root, "journal")
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    entries = []
    for name in names:
        found = NAME.fullmatch(name)
        if name in (PENDING, SET_ASIDE) or found:
            state = "interrupted" if name == PENDING else "foreign" if name == SET_ASIDE \
                else found[3].replace("-", " ")  # type: ignore[index]
            try:
                entry, _ = read_entry(folder / name, state, key)
            except JournalError as err:
                seq = int(found[1]) if found else _MAX_SEQ
                entry = Entry(seq, "?", "", "", "damaged", name=name, problem=str(err))
            entries.append(entry)
    entries.sort(key=lambda e: e.seq, reverse=True)
    undone = {e.reverts: e.seq for e in entries  # (an undo comes after what it reverts)
              if e.action == "undo" and e.state == "done" and e.reverts is not None
              and e.reverts < e.seq}
    return [replace(e, state="undone", undone_by=undone[e.seq])
            if e.state == "done" and e.seq in undone and e.action != "undo" else e
            for e in entries]


def plan_undo(root: Path | str) -> Reversal | None:
    """What `undo` would do now (None: nothing to undo): roll back the interrupted
    batch when one waits (action ``rollback``), else revert the last batch not
    undone (action ``undo``). Files that cannot be reverted safely are in the
    plan's ``refused``. Foreign batches (not signed with the user's key) are
    passed over. `JournalError` when that batch's entry is damaged."""
    return _plan_undo(Path(root), load_key())


def _plan_undo(root: Path, key: bytes | None) -> Reversal | None:
    folder = state_path(root, "journal")
    for entry in _history(root, key):
        if entry.state == "damaged":
            raise JournalError(entry.name, f"{entry.problem}; remove "
                               f"'{STATE_DIR}/journal/{entry.name}' to undo earlier batches")
        if entry.state == "interrupted" or (entry.state == "done" and entry.action != "undo"):
            entry, stored = read_entry(folder / entry.name, entry.state, key, with_bytes=True)
            if entry.state == "foreign":  # replaced since it was listed
                continue
            action = "rollback" if entry.state == "interrupted" else "undo"
            return reverse(root, entry, stored, action=action)
    return None


def undo(root: Path | str) -> Applied | None:
    """Roll back the interrupted batch if one waits, else revert the last batch
    not undone (journaled, as batch ``undo``); None when there is nothing to undo."""
    root = Path(root)
    key = own_key()
    with _locked(root) as folder:
        notices, _, rolled_back = _recover(root, folder, key)
        if rolled_back:
            return Applied((), (), (), notices=tuple(notices))
        plan = _plan_undo(root, key)
        if plan is None:
            return None
        return _apply(root, folder, plan, tuple(notices), key)


# -- the batch


_MAX_SEQ = 99_999_999


def _apply(root: Path, folder: Path, plan: Plan, notices: tuple[str, ...], key: bytes
           ) -> Applied:
    if plan.empty and not isinstance(plan, Reversal):
        return Applied((), (), (), notices=notices)
    entry, stored = _record(root, folder, plan)
    atomic_write(folder / PENDING, encode(entry, stored, key))
    hook = _pause_hook()
    done: list[str] = []  # what was written so far

    def written(path: str) -> None:
        done.append(path)
        if hook:
            hook(path)

    if hook:
        hook("")
    try:
        applied = _write(root, plan, written)
        replace_durably(folder / PENDING, folder / entry_name(entry.seq, entry.action, "done"))
    except BaseException as err:  # a Ctrl-C, a bug: rolled back all the same
        if not done and (isinstance(err, EditRefused) or (
                isinstance(err, EditsInterrupted) and not err.written)):
            os.unlink(folder / PENDING)  # refused before its first write: nothing to undo
            raise
        # Anything else may have come between a file's write and its report (a Ctrl-C):
        # rolled back, which leaves alone a file that still has its bytes before.
        _fail(root, folder, entry, stored, err)
        raise  # _fail raises, but for other errors than WriteError and OSError
    _prune(folder)
    refused = tuple(r.path for r in plan.refused) if isinstance(plan, Reversal) else ()
    return Applied(*applied, batch=entry.seq, notices=notices, refused=refused)


def _record(root: Path, folder: Path, plan: Plan) -> tuple[Entry, list[bytes]]:
    """The journal entry of ``plan`` and the bytes it stores; `EditRefused` for a
    plan whose text is not what its digest says, or a move that cannot be made."""
    files, stored = [], []
    for change in plan.changes:
        before, after = _encoded(change.path, change.before), _encoded(change.path, change.after)
        digest = content_digest(before)
        if digest != change.digest:
            raise EditRefused(change.path, f"the planned text of '{change.path}' is not the "
                              "text it was read as; nothing was written")
        after_digest = content_digest(after) if change.edits else digest
        keep = after_digest != digest
        files.append(FileRecord(change.path, change.new_path, digest, after_digest,
                                len(before) if keep else None, change.links))
        if keep:
            stored.append(before)
        if change.new_path:
            check_move(root, change.path, change.new_path)
    removed = []
    for removal in plan.removes if isinstance(plan, Reversal) else ():
        data = removal.text.encode("utf-8")
        removed.append(Stored(removal.path, removal.digest, len(data)))
        stored.append(data)
    created = tuple(Stored(c.path, content_digest(_encoded(c.path, c.text)))
                    for c in plan.creates)
    reversal = plan if isinstance(plan, Reversal) else None
    entry = Entry(
        seq=_next_seq(folder), action=plan.action, summary=plan.summary,
        time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), state="interrupted",
        files=tuple(files), created=created, removed=tuple(removed),
        reverts=reversal.reverts if reversal and reversal.action == "undo" else None,
        refused=tuple(r.path for r in reversal.refused) if reversal else ())
    return entry, stored


def _encoded(path: str, text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise EditRefused(path, f"'{path}': the planned text is not valid "
                          f"({err.reason}); nothing was written") from err


def _write(root: Path, plan: Plan, on_written: Callable[[str], None] | None
           ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...],
                      tuple[str, ...]]:
    """Write ``plan`` (no journal): removals, edits, moves, new files, in that order;
    ``on_written`` is called with each path once it is written."""
    def wrote(path: str) -> None:
        if on_written is not None:
            on_written(path)

    removed = []
    for removal in plan.removes if isinstance(plan, Reversal) else ():
        remove_unchanged(root, removal.path, removal.digest)
        removed.append(removal.path)
        wrote(removal.path)
    apply_edits(root, [FileEdits(c.path, Fingerprint(0, 0, c.digest),
                                 [Edit(*e) for e in c.edits]) for c in plan.changes],
                on_written=wrote)
    moved = []
    for change in plan.changes:
        if change.new_path:
            move_exclusive(root, change.path, change.new_path)
            moved.append((change.path, change.new_path))
            wrote(change.new_path)
    for created in plan.creates:
        create_in_vault(root, created.path, created.text.encode("utf-8"))
        wrote(created.path)
    return (tuple(c.path for c in plan.changes if c.after != c.before), tuple(moved),
            tuple(c.path for c in plan.creates), tuple(removed))


def _fail(root: Path, folder: Path, entry: Entry, stored: list[bytes],
          err: BaseException) -> None:
    """Roll back a batch whose writing failed half-way; raise what to say about it
    (but for errors other than `WriteError` and `OSError`, such as a
    KeyboardInterrupt, re-raised by the caller)."""
    try:
        notices, _ = _roll_back(root, folder, entry, stored)
    except (WriteError, OSError) as again:
        raise BatchRolledBack(getattr(err, "path", ""), (
            f"{err}; rolling the batch back failed too ({again}): the next zettel command "
            "that writes, or `zettel undo`, tries again")) from err
    if not isinstance(err, WriteError | OSError):
        return
    path = err.path if isinstance(err, WriteError) else ""
    reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    left = "; ".join(notices[1:])
    raise BatchRolledBack(path, f"{reason}; the batch was rolled back"
                          + (f" ({left})" if left else ": no file is changed")) from err


def _recover(root: Path, folder: Path, key: bytes) -> tuple[list[str], int, bool]:
    """Roll back the interrupted batch if one waits: notices, how many files it
    had written (now reverted), and whether one was rolled back. A foreign one
    is set aside (`SET_ASIDE`), never rolled back."""
    if not os.path.lexists(folder / PENDING):
        return [], 0, False
    try:
        entry, stored = read_entry(folder / PENDING, "interrupted", key, with_bytes=True)
    except JournalError as err:
        raise JournalError(err.path, f"an interrupted batch waits but {err}: its files are "
                           f"left as they are; remove '{STATE_DIR}/journal/{PENDING}' "
                           "to go on") from err
    if entry.state == "foreign":
        replace_durably(folder / PENDING, folder / SET_ASIDE)
        return [f"the journal entry '{STATE_DIR}/journal/{PENDING}' is foreign "
                f"({entry.problem}): it was not rolled back but set aside as "
                f"'{STATE_DIR}/journal/{SET_ASIDE}'"], 0, False
    return (*_roll_back(root, folder, entry, stored), True)


def _roll_back(root: Path, folder: Path, entry: Entry, stored: list[bytes]
               ) -> tuple[list[str], int]:
    """Give the files of the interrupted batch ``entry`` their bytes before; the
    entry becomes ``<batch>.rolled-back``. Returns notices (the first says what
    was done, the others name each file left as it was) and how many files
    were reverted."""
    for record in entry.files:
        if record.new_path:  # killed between a move's link and its unlink
            remove_hard_link(root, record.new_path, record.path)
        for path in (record.path, record.new_path):
            if path:
                remove_temporaries_of(root, path)
    plan = reverse(root, entry, stored, action="rollback")
    _write(root, plan, None)
    replace_durably(folder / PENDING, folder / entry_name(entry.seq, entry.action, "rolled-back"))
    reverted = len(plan.changes) + len(plan.removes) + len(plan.creates)
    label = "undo" if entry.action == "undo" else "write"
    notices = [f"an interrupted {label} batch ({entry.seq}, {entry.action}: {entry.summary}) "
               f"was rolled back: {reverted} file(s) restored"]
    return notices + [f"'{r.path}' was left as it is: {r.reason}" for r in plan.refused], reverted


def _next_seq(folder: Path) -> int:
    """The number of a new batch: one more than the journal's last; `JournalError`
    when that is the last number there is (a planted entry: the new batch would
    replace it)."""
    last = max((int(found[1]) for name in os.listdir(folder) if (found := NAME.fullmatch(name))),
               default=0)
    if last >= _MAX_SEQ:
        raise JournalError(PENDING, f"the journal's last batch is numbered {last}, the last "
                           f"number there is: remove the folder '{STATE_DIR}/journal' to "
                           "go on (its batches can then no longer be undone)")
    return last + 1


def _prune(folder: Path) -> None:
    """Remove the batches beyond the newest `KEEP` (undos aside: their names say
    ``undo``), and the undos older than the batches kept."""
    names = sorted((found for n in os.listdir(folder) if (found := NAME.fullmatch(n))),
                   key=lambda found: found[1], reverse=True)
    kept = 0
    for found in names:
        if kept >= KEEP:
            with contextlib.suppress(OSError):  # removed meanwhile: kept a little longer
                os.unlink(folder / found[0])
        elif not found[2]:
            kept += 1


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[Path]:
    """Hold the journal's lock (waiting for another zettel's batch); yield its folder."""
    folder = state_path(root, "journal", create=True)
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows: not locked
        yield folder
        return
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(folder / "lock", flags, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield folder
    finally:
        os.close(fd)


def _under_way(folder: Path) -> bool:
    """True when another process holds the journal's lock (writes a batch now)."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows: no lock to look at
        return False
    try:
        fd = os.open(folder / "lock", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _pause_hook() -> Callable[[str], None] | None:
    """The test hook of `PAUSE_ENV` (see there), or None."""
    value = os.environ.get(PAUSE_ENV, "")
    if not value.isdigit():
        return None
    after, written = int(value), [-1]

    def hook(_path: str) -> None:
        written[0] += 1
        if written[0] == after:
            os.write(2, f"zettel: paused after {after} file(s) ({PAUSE_ENV})\n".encode())
            os.read(0, 1)

    return hook
