"""Reverting a journaled batch: the plan that gives its files their bytes before.

`reverse` looks at each file of a batch (`zettel.vault.journal_entry.Entry`)
as it is now: a file with the bytes the batch wrote gets its bytes before
(and its old path back), a file that already has its bytes before is left
(or only moved back), a file with other bytes (edited since) is refused:
left as it is and named. Files the batch created are removed when
unchanged; files it removed (an undo removing a created file) are made
again. The result is a `Reversal`, a `zettel.core.plan.Plan` that also
removes files, shown and written like any plan.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from zettel.core.plan import FileChange, NewFile, Plan, TextEdit
from zettel.vault.journal_entry import Entry, JournalError
from zettel.vault.scan import content_digest
from zettel.vault.write import EditRefused, FileChanged, read_for_edit


class Removal(NamedTuple):
    """A file a plan removes (one a batch created), with its text and digest now."""

    path: str
    text: str
    digest: str


class Refusal(NamedTuple):
    """A file a reversal leaves as it is, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Reversal(Plan):
    """A plan reverting batch ``reverts`` (action ``undo``, or ``rollback`` for an
    interrupted batch): it also removes files (``removes``) and names the files
    it leaves (``refused``). It is never `empty`: written, even when every file
    is refused, it marks its batch undone (or rolled back)."""

    reverts: int = 0
    removes: tuple[Removal, ...] = ()
    refused: tuple[Refusal, ...] = ()

    @property
    def empty(self) -> bool:
        """Never: even with no file to revert, the journal records it (the batch
        undone, the interrupted batch rolled back)."""
        return False

    def diff(self) -> str:
        out = [super().diff()]
        for removal in self.removes:
            lines = difflib.unified_diff(removal.text.splitlines(keepends=True), [],
                                         f"a/{removal.path}", "/dev/null")
            out.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)
        return "".join(out)

    def describe_parts(self) -> list[str]:
        parts = super().describe_parts()
        if self.removes:
            parts.append(f"{len(self.removes)} removed")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return parts

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "reverts": self.reverts,
                "removed": [r.path for r in self.removes],
                "refused": [{"path": r.path, "reason": r.reason} for r in self.refused]}


class _Now(NamedTuple):
    text: str
    digest: str


def reverse(root: Path | str, entry: Entry, stored: list[bytes], *, action: str) -> Reversal:
    """The `Reversal` of ``entry`` (whose stored bytes are ``stored``) as the files are now."""
    changes: list[FileChange] = []
    creates: list[NewFile] = []
    removes: list[Removal] = []
    refused: list[Refusal] = []
    pieces = iter(stored)
    for created in entry.created:
        now = _look(root, created.path, refused)
        if now is None:
            continue
        if now.digest == created.digest:
            removes.append(Removal(created.path, now.text, now.digest))
        elif action == "undo":  # (an interrupted batch may not have made it: not named)
            refused.append(Refusal(created.path, "changed since zettel created it"))
    for record in entry.files:
        before_text = _text(entry, next(pieces)) if record.size is not None else None
        places = [p for p in (record.new_path, record.path) if p]
        found: tuple[str, _Now] | None = None
        for place in places:
            now = _look(root, place, refused)
            if now is not None and now.digest in (record.before, record.after):
                found = (place, now)
                break
        if found is None:
            here = next((p for p in places if _exists(root, p)), None)
            if here is not None and not any(r.path == here for r in refused):
                refused.append(Refusal(here, "changed since the batch wrote it"))
            elif here is None:
                refused.append(Refusal(record.path, "gone (removed since the batch)"))
            continue
        here, now = found
        back = record.path if here != record.path else None
        if back and _exists(root, back):
            refused.append(Refusal(here, f"'{back}' exists again; not moved back"))
            continue
        edits = () if now.digest == record.before or before_text is None else _restore(
            now.text, before_text)
        if edits or back:
            changes.append(FileChange(here, now.text, now.digest, edits, back, record.links))
    for removed in entry.removed:
        data = _text(entry, next(pieces))
        now = _look(root, removed.path, refused)
        if now is None and not any(r.path == removed.path for r in refused):
            creates.append(NewFile(removed.path, data))
        elif now is not None and now.digest != removed.digest:
            refused.append(Refusal(removed.path, "made again since it was removed"))
    what = "roll back interrupted batch" if action == "rollback" else "undo batch"
    return Reversal(
        action=action, summary=f"{what} {entry.seq} ({entry.action}: {entry.summary})",
        changes=tuple(changes), creates=tuple(creates),
        warnings=tuple(f"'{r.path}' not reverted: {r.reason}" for r in refused),
        reverts=entry.seq, removes=tuple(removes), refused=tuple(refused))


def _look(root: Path | str, path: str, refused: list[Refusal]) -> _Now | None:
    """The file ``path`` now (None: missing, or refused and added to ``refused``)."""
    try:
        text, _ = read_for_edit(root, path)
    except FileChanged:
        return None
    except EditRefused as err:
        if _exists(root, path):
            refused.append(Refusal(path, str(err).removesuffix("; nothing was written")))
        return None
    return _Now(text, content_digest(text.encode("utf-8")))


def _exists(root: Path | str, path: str) -> bool:
    return os.path.lexists(os.path.join(root, path))


def _text(entry: Entry, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JournalError(entry.name, f"journal entry '{entry.name}' is damaged "
                           "(stored bytes are not UTF-8)") from err


def _restore(now: str, before: str) -> tuple[TextEdit, ...]:
    """One edit turning ``now`` into ``before``: the part between their common
    beginning and their common end."""
    if now == before:
        return ()
    low, high = 0, min(len(now), len(before))
    while low < high:  # the longest common prefix, compared in C by halves
        mid = (low + high + 1) // 2
        if now[:mid] == before[:mid]:
            low = mid
        else:
            high = mid - 1
    prefix = low
    low, high = 0, min(len(now), len(before)) - prefix
    while low < high:
        mid = (low + high + 1) // 2
        if now[len(now) - mid:] == before[len(before) - mid:]:
            low = mid
        else:
            high = mid - 1
    return (TextEdit(prefix, len(now) - low, before[prefix:len(before) - low]),)
