"""A planned write: what `zettel mv`, ``retitle``, ``fix``, ``mentions`` and
``undo`` (and the TUI and the editor server) will change, before anything is written.

A `Plan` is pure data computed from the text of the files it changes: each
`FileChange` holds the text as read, the edits on it (character offsets of
that text, BOM and CRLF included, as `zettel.vault.write.apply_edits` takes
them) and, for a move, the new path. `Plan.diff` shows it as a unified diff
(``--dry-run``); `Plan.to_json` is the ``--json`` shape. Writing it, journaled
so it can be undone, is `zettel.vault.journal.apply_plan`'s job.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from zettel.core.model import count


class TextEdit(NamedTuple):
    """Replace the characters ``start:end`` of a file's text with ``replacement``."""

    start: int
    end: int
    replacement: str


def apply_text_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """``text`` with ``edits`` applied (they must not overlap; checked by the writer)."""
    pieces: list[str] = []
    done = 0
    for start, end, replacement in sorted(edits, key=lambda e: (e.start, e.end)):
        pieces += (text[done:start], replacement)
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


@dataclass(frozen=True)
class FileChange:
    """One file of a plan: edited (``edits``), moved (``new_path``), or both.

    ``path`` is the vault-relative path now; ``before`` its text as read
    (decoded UTF-8, nothing normalised); ``digest`` the digest of its bytes
    when read (`zettel.vault.scan.content_digest`), so the writer refuses a
    file changed since. ``links`` counts the links this change rewrites.
    """

    path: str
    before: str
    digest: str
    edits: tuple[TextEdit, ...] = ()
    new_path: str | None = None
    links: int = 0

    @property
    def after(self) -> str:
        """The file's text once the edits are applied."""
        return apply_text_edits(self.before, self.edits) if self.edits else self.before


@dataclass(frozen=True)
class NewFile:
    """A file the plan creates (never overwriting one): a stub note for a broken link."""

    path: str
    text: str


@dataclass(frozen=True)
class Plan:
    """Every change of one write, applied together and undone together.

    ``action`` names the command (``mv``, ``retitle``, ``fix``, ``mentions``,
    ``undo``); ``summary`` says in one line what it does; ``warnings`` say
    what it leaves as it was and why (a link it could not rewrite, ...).
    """

    action: str
    summary: str
    changes: tuple[FileChange, ...] = ()
    creates: tuple[NewFile, ...] = ()
    warnings: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def empty(self) -> bool:
        """True when the plan writes nothing."""
        return not self.creates and not any(
            c.new_path or c.after != c.before for c in self.changes)

    @property
    def links(self) -> int:
        """How many links the plan rewrites."""
        return sum(c.links for c in self.changes)

    def diff(self) -> str:
        """The plan as a unified diff (``a/old`` and ``b/new`` paths, as git shows them)."""
        out: list[str] = []
        for change in self.changes:
            new = change.new_path or change.path
            if change.new_path:
                out.append(f"rename from {change.path}\nrename to {new}\n")
            out.extend(difflib.unified_diff(
                change.before.splitlines(keepends=True), change.after.splitlines(keepends=True),
                f"a/{change.path}", f"b/{new}"))
        for created in self.creates:
            out.extend(difflib.unified_diff(
                [], created.text.splitlines(keepends=True), "/dev/null", f"b/{created.path}"))
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in out)

    def describe(self) -> str:
        """``3 files changed, 12 links rewritten, 1 moved``; ``1 created``: what
        the plan does, the counts that are not zero (``nothing changed`` when all are)."""
        return ", ".join(self.describe_parts()) or "nothing changed"

    def describe_parts(self) -> list[str]:
        """The parts of `describe`: files changed and links rewritten (when a file
        changes), files moved, files created."""
        parts = []
        edited = sum(1 for c in self.changes if c.after != c.before)
        if edited:
            parts += [f"{count(edited, 'file')} changed", f"{count(self.links, 'link')} rewritten"]
        moved = sum(1 for c in self.changes if c.new_path)
        if moved:
            parts.append(f"{moved} moved")
        if self.creates:
            parts.append(f"{len(self.creates)} created")
        return parts

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` shape of a plan (docs/json.md)."""
        return {
            "action": self.action,
            "summary": self.summary,
            "files": [{"path": c.path, "new_path": c.new_path, "links": c.links,
                       "edits": len(c.edits)} for c in self.changes],
            "created": [c.path for c in self.creates],
            "warnings": list(self.warnings),
            **self.details,
        }
