"""What the TUI's editing asks of the engines, without Textual: plans for a
move, a retitle, a fix, linking mentions and an undo, the link to a note in
the vault's style, and writing a plan.

Every function reads the disk and may be slow on a large vault: the TUI calls
them from workers. The engines (`zettel.vault.editing`, `zettel.vault.journal`,
`zettel.vault.repair`) load when first used, not when the TUI starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zettel.core.mentions import Mention
    from zettel.core.model import Note
    from zettel.core.plan import Plan


def plan_move(root: Path, path: str, new_path: str) -> Plan:
    """The plan that moves the note ``path`` to ``new_path`` (vault-relative)
    and rewrites the links that reached it by path or file name."""
    from zettel.vault.editing import plan_move as plan  # noqa: PLC0415 - when first used

    new_path = new_path.strip()
    if not new_path:
        raise ValueError("type the note's new path")
    return plan(root, path, new_path)


def plan_retitle(root: Path, path: str, title: str, *, alias: bool = False,
                 rename_file: bool = False) -> Plan:
    """The plan that gives the note ``path`` the title ``title`` (and rewrites
    the links by its old title, or keeps that title as an alias)."""
    from zettel.vault.editing import plan_retitle as plan  # noqa: PLC0415 - when first used

    title = title.strip()
    if not title:
        raise ValueError("type the note's new title")
    return plan(root, path, title, alias=alias, rename_file=rename_file)


def link_to(root: Path, note: Note) -> str:
    """A link to ``note`` written in the vault's link style (``[[id]]``, ...)."""
    from zettel.core.linkstyle import format_link  # noqa: PLC0415 - when first used
    from zettel.vault.editing import link_style  # noqa: PLC0415

    return format_link(link_style(root), note)


def plan_undo(root: Path) -> Plan | None:
    """The plan that reverts the last write zettel made, or None when there is none."""
    from zettel.vault.journal import plan_undo as plan  # noqa: PLC0415 - when first used

    return plan(root)


def write(root: Path, plan: Plan) -> list[str]:
    """Write ``plan`` (journaled: it can be undone); returns what the person
    should know besides (an interrupted write rolled back first, files an undo
    left as they were). Raises `zettel.vault.write.WriteError` when refused or
    rolled back: nothing of the plan is written then."""
    from zettel.vault.journal import Reversal, apply_plan  # noqa: PLC0415 - when first used

    applied = apply_plan(root, plan)
    refused = plan.refused if isinstance(plan, Reversal) else ()
    return [*applied.notices, *(f"'{r.path}' was left as it is: {r.reason}" for r in refused)]


def waiting(root: Path) -> str | None:
    """A notice when an interrupted write waits to be rolled back."""
    from zettel.vault.journal import waiting as said  # noqa: PLC0415 - when first used

    return said(root)


def moved_to(plan: Plan, path: str) -> str:
    """Where ``plan`` puts the file ``path`` (``path`` itself when it stays)."""
    return next((c.new_path for c in plan.changes if c.path == path and c.new_path), path)


def mentions_of(root: Path, path: str) -> list[Mention]:
    """The unlinked mentions of the note ``path`` in the other notes."""
    from zettel.vault.repair import find_mentions  # noqa: PLC0415 - when first used

    return list(find_mentions(root, path))


def plan_link_mentions(root: Path, mentions: list[Mention]) -> Plan:
    """The plan that turns ``mentions`` into links (in the vault's link style)."""
    from zettel.vault.repair import plan_link_mentions as plan  # noqa: PLC0415

    return plan(root, mentions)
