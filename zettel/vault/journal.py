"""Writing a `zettel.core.plan.Plan` into the vault.

`apply_plan` checks every file of the plan against the digest it was read
with, then writes the edits (`zettel.vault.write.apply_edits`), the moves
(`move_exclusive`) and the new files (`create_exclusive`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zettel.core.plan import Plan
from zettel.vault.write import (
    Edit,
    FileEdits,
    Fingerprint,
    apply_edits,
    create_exclusive,
    move_exclusive,
)


@dataclass(frozen=True)
class Applied:
    """What `apply_plan` wrote: the paths edited, moved (old, new) and created."""

    edited: tuple[str, ...]
    moved: tuple[tuple[str, str], ...]
    created: tuple[str, ...]


def apply_plan(root: Path | str, plan: Plan) -> Applied:
    """Write ``plan`` into the vault at ``root``; raises `zettel.vault.write.WriteError`
    (`EditRefused` with nothing written when a file changed since it was read)."""
    batch = [FileEdits(c.path, Fingerprint(0, 0, c.digest), [Edit(*e) for e in c.edits])
             for c in plan.changes]
    apply_edits(root, batch)
    moved = []
    for change in plan.changes:
        if change.new_path:
            move_exclusive(root, change.path, change.new_path)
            moved.append((change.path, change.new_path))
    for created in plan.creates:
        create_exclusive(Path(root) / created.path, created.text.encode("utf-8"))
    return Applied(tuple(c.path for c in plan.changes if c.after != c.before), tuple(moved),
                   tuple(c.path for c in plan.creates))
