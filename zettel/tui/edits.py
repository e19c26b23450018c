"""What the TUI's editing asks of the engines, without Textual: plans for a
move, a retitle, a fix, linking mentions and an undo, the link to a note in
the vault's style, and writing a plan.

Every function reads the disk and may be slow on a large vault: the TUI calls
them from workers. The engines (`zettel.vault.editing`, `zettel.vault.journal`,
`zettel.vault.repair`) load when first used, not when the TUI starts.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from zettel.vault.scan import open_vault

if TYPE_CHECKING:
    from zettel.core.mentions import Mention
    from zettel.core.model import Note, Problem
    from zettel.core.plan import Plan


class Choice(NamedTuple):
    """One way to fix a link: ``label`` and ``reason`` shown; ``value`` what
    `plan_fix_choice` takes (``("link", fix, path)``, ``("create", fix)``), or
    ``("open", path, line)`` to open the note at the link."""

    label: str
    reason: str
    value: tuple[Any, ...]


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


def mentions_of(root: Path, note: Note) -> list[Mention]:
    """The unlinked mentions of ``note`` in the other notes."""
    from zettel.vault.repair import find_mentions  # noqa: PLC0415 - when first used

    return list(find_mentions(root, note))


def plan_link_mentions(root: Path, mentions: list[Mention], note: Note) -> Plan:
    """The plan that turns ``mentions`` (of ``note``) into links to it."""
    from zettel.vault.repair import plan_link_mentions as plan  # noqa: PLC0415

    return plan(root, mentions, {note.path: note})


def fix_choices(root: Path, problem: Problem, titles: dict[str, str]
                ) -> tuple[str, list[Choice]]:
    """The paragraph around the link of ``problem`` (a broken or ambiguous link)
    and the ways to fix it: its candidates, best first, with their reasons (as
    ``zettel fix`` ranks them, the words of the context searched too); creating
    the note it names (a broken link); opening the note at the link."""
    from zettel.search.context import ContextFinder  # noqa: PLC0415 - when first used
    from zettel.vault.repair import find_fixes  # noqa: PLC0415
    from zettel.vault.sketches import load_sketches  # noqa: PLC0415
    from zettel.vault.stubs import stub_target  # noqa: PLC0415

    vault = open_vault(root)
    finder = ContextFinder(root, lambda: load_sketches(root)[0])  # loaded if there is an index
    try:
        fixes = find_fixes(root, context=finder, vault=vault)
    finally:
        finder.close()
    fix = next((f for f in fixes if f.source == problem.path and f.link.line == problem.line
                and f.link.target == problem.target), None)
    if fix is None:
        raise LookupError("this link is not broken or ambiguous any more (the vault changed)")
    choices = []
    for candidate in fix.ranking.candidates:
        reason = "; ".join(candidate.reasons)
        if candidate.path == fix.ranking.winner and fix.edits:
            reason += " (the clear choice: zettel fix --apply writes it)"
        choices.append(Choice(f"{titles.get(candidate.path, candidate.path)}  "
                              f"({candidate.path})", reason, ("link", fix, candidate.path)))
    if fix.status == "broken" and stub_target(fix.link.target) != (None, None):
        choices.append(Choice(f"Create the note '{fix.link.target}'",
                              "a new note, as zettel new makes it, that the link reaches",
                              ("create", fix)))
    choices.append(Choice("Open the note at the link", "to fix it by hand",
                          ("open", problem.path, problem.line)))
    return fix.context, choices


def plan_fix_choice(root: Path, choice: Choice) -> Plan:
    """The plan that writes ``choice``: the link rewritten to reach the candidate
    chosen (as ``zettel fix --apply`` writes a winner), or the note it names created."""
    from zettel.core.plan import Plan  # noqa: PLC0415 - when first used

    kind, fix = choice.value[0], choice.value[1]
    where = f"{fix.source}:{fix.link.line}"
    vault = open_vault(root)
    if kind == "create":
        from zettel.vault.stubs import plan_stubs  # noqa: PLC0415 - PyYAML, to write notes

        created, _ = plan_stubs(root, [fix], [n.id for n in vault.notes if n.id])
        if not created:
            raise ValueError(f"no note can be created for '{fix.link.target}'")
        return Plan("fix", f"create {created[0].path} for the link of {where}",
                    creates=tuple(created))
    from zettel.core import fix as fixing  # noqa: PLC0415 - when first used
    from zettel.core.resolve import Resolver  # noqa: PLC0415
    from zettel.core.suggest import Suggester  # noqa: PLC0415
    from zettel.vault.repair import link_edits, plan_fix  # noqa: PLC0415

    notes = {note.path: note for note in vault.notes}
    resolver = Resolver(vault.notes, vault.files, vault.config.extensions)
    source, path = notes.get(fix.source), choice.value[2]
    link = next((link for link in source.links if link.span == fix.link.span
                 and link.target == fix.link.target), None) if source else None
    if source is None or link is None or path not in notes:
        raise LookupError(f"{where} changed since: look again (p)")
    broken = fix.status == "broken"
    target = fixing.new_target(
        source, link, notes[path], resolver,
        suggestion=Suggester(notes).suggest(source, link) if broken else None,
        ambiguous=None if broken else resolver.resolve_link(link, source.path).step)
    if target is None:
        raise ValueError(f"no link can reach {path} from {fix.source}")
    chosen = replace(fix, link=link, edits=link_edits(source, link, target))
    plan = plan_fix(root, fixes=[chosen])
    return replace(plan, summary=f"fix {where}: '{fix.link.target}' now reaches {path}")
