"""The ``fix`` and ``mentions`` commands: broken and ambiguous links fixed,
unlinked mentions turned into links (docs/editing.md).

What they read and plan is `zettel.vault.repair`; the rules are
`zettel.core.fix` and `zettel.core.mentions`. Imported by every ``zettel``
process (to register the commands), so this module loads nothing more.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from zettel.cli.common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    VAULT_HELP,
    UsageProblem,
    dump,
    json_option,
    show_notices,
    usage_errors,
    vault_argument,
    vault_path,
)
from zettel.cli.writing import carry_out, dry_run_option
from zettel.core.display import clean
from zettel.core.model import count

if TYPE_CHECKING:
    from zettel.core.mentions import Mention
    from zettel.core.resolve import Named
    from zettel.vault.repair import Fix
    from zettel.vault.sketches import Sketches

FIX_HELP = """Find broken and ambiguous links, with their candidates; --apply fixes them.

\b
Each link is shown with its paragraph and its candidates, best first, each
with why: an id a typo or two away, a title or alias like the target (or the
label), a note the paragraph names, a note of the file name a path link
names in another folder, a note holding rare words of the paragraph (when
the vault has a search index). --apply rewrites the links whose winner is
clear: for a broken link exactly the note `zettel check` suggests ("did you
mean"), for an ambiguous one the only match in the linking note's folder;
the label, heading and embed are kept. The others are left for a person.
--create-stubs creates a note (as `zettel new` does, never overwriting) for
each broken link with no candidate that names a 14-digit id or a title.

Exit status: 0 no broken or ambiguous link is left, 1 some are (listed),
2 usage error or a write refused.
"""


@click.command(help=FIX_HELP)
@vault_argument
@click.option("--apply", "apply_rule", is_flag=True,
              help="Rewrite the links whose winner is clear.")
@click.option("--create-stubs", is_flag=True,
              help="Create a note for each broken link naming a note nobody wrote yet.")
@dry_run_option
@json_option
def fix(vault: str | None, apply_rule: bool, create_stubs: bool, dry_run: bool,
        as_json: bool) -> None:
    """`zettel fix` (help: `FIX_HELP`)."""
    from zettel.search.context import ContextFinder  # noqa: PLC0415 - lazy: see module doc
    from zettel.vault.repair import find_fixes, plan_fix  # noqa: PLC0415
    from zettel.vault.scan import open_vault, scan_folder  # noqa: PLC0415
    from zettel.vault.sketches import load_sketches  # noqa: PLC0415

    root = vault_path(vault)
    with usage_errors():
        listing = scan_folder(root)
        opened = open_vault(root, listing=listing)
    show_notices(opened.notices)

    def sketches() -> Sketches:  # loaded only when the vault has a search index
        found, notices = load_sketches(root, listing[1])
        show_notices(notices)
        return found

    finder = ContextFinder(root, sketches)
    try:
        with usage_errors():
            fixes = find_fixes(root, context=finder, vault=opened)
    finally:
        finder.close()
    show_notices(tuple(finder.notices))
    titles = {note.path: note.title for note in opened.notes}
    if not (apply_rule or create_stubs):
        _report_fixes(fixes, titles, as_json)
        sys.exit(EXIT_FINDINGS if fixes else EXIT_CLEAN)
    plan = plan_fix(root, apply_rule=apply_rule, create_stubs=create_stubs, fixes=fixes,
                    vault=opened)
    if as_json:
        plan.details["fixes"] = [f.to_json(titles.get) for f in fixes]
    carry_out(root, plan, dry_run=dry_run, as_json=as_json)
    sys.exit(EXIT_FINDINGS if plan.details.get("left") else EXIT_CLEAN)


def _report_fixes(fixes: list[Fix], titles: dict[str, str], as_json: bool) -> None:
    if as_json:
        dump([f.to_json(titles.get) for f in fixes])
    else:
        lines: list[str] = []
        for item in fixes:
            link = item.link
            lines.append(f"{clean(item.source)}:{link.line}:{link.column}: {item.status} link "
                         + click.style(clean(link.target), fg="red") + f" ({link.kind})")
            lines.append("    " + clean(" ".join(item.context.split())[:200]))
            for number, candidate in enumerate(item.ranking.candidates, 1):
                title = titles.get(candidate.path, "")
                lines.append(f"    {number}. {clean(candidate.path)}  {clean(title)}  "
                             f"{candidate.score:.2f}: {clean('; '.join(candidate.reasons))}")
            if item.replacement is not None:
                lines.append("    --apply writes " + click.style(clean(item.replacement),
                                                                 fg="green")
                             + f" ({clean(item.ranking.why)})")
            else:
                lines.append(f"    left for a person: {clean(item.ranking.why)}")
        if lines:
            click.echo("\n".join(lines))
    clear = sum(1 for f in fixes if f.replacement is not None)
    broken = sum(1 for f in fixes if f.status == "broken")
    click.echo(f"{count(broken, 'broken link')}, {count(len(fixes) - broken, 'ambiguous link')}"
               f": {clear} with a clear winner (--apply), {len(fixes) - clear} left for a person",
               err=True)


MENTIONS_HELP = """List the unlinked mentions of NOTE; --link turns them into links.

\b
A mention is NOTE's title or an alias written as text in another note: whole
words, case and accents folded, its words apart by spaces and at most one
line break; not in code, links, URLs, HTML or front matter (docs/editing.md).
Each is numbered. Flagged ones (short: a name of 1-2 letters; common: a
one-word name in many notes; ambiguous: a name other notes have too) are
linked only when picked by number. NOTE is a path, id, file name, title or
alias; --all lists the mentions of every note instead.

\b
Examples:
  zettel mentions "Zettelkasten"
  zettel mentions "Zettelkasten" --link --dry-run
  zettel mentions "Zettelkasten" --link --pick 1,3-4
  zettel mentions --all --in lectures/a.md --link

Exit status: 0 no mention (or linked), 1 mentions found, 2 usage error.
"""


@click.command(help=MENTIONS_HELP)
@click.argument("note", required=False)
@click.option("--vault", "vault", envvar="ZETTEL_VAULT", help=VAULT_HELP)
@click.option("--all", "every", is_flag=True, help="The mentions of every note.")
@click.option("--link", is_flag=True, help="Turn the mentions into links.")
@click.option("--pick", metavar="N,M-P",
              help="With --link: only these mentions, by number (flagged ones too).")
@click.option("--in", "within", multiple=True, metavar="PATH",
              help="Only the mentions in this note (repeatable).")
@dry_run_option
@json_option
def mentions(note: str | None, vault: str | None, every: bool, link: bool, pick: str | None,
             within: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """`zettel mentions` (help: `MENTIONS_HELP`)."""
    from zettel.vault.repair import find_all_mentions, find_mentions  # noqa: PLC0415
    from zettel.vault.scan import open_vault, scan_folder  # noqa: PLC0415
    from zettel.vault.sketches import load_sketches  # noqa: PLC0415

    if every == (note is not None):
        raise UsageProblem("give a NOTE, or --all (not both)")
    if pick is not None and not link:
        raise UsageProblem("--pick chooses mentions to link: use it with --link")
    root = vault_path(vault)
    rows: dict[str, Named]
    with usage_errors():
        listing = scan_folder(root)
        if every:
            opened = open_vault(root, listing=listing)
            show_notices(opened.notices)
            found = find_all_mentions(root, vault=opened)
            rows = {n.path: n for n in opened.notes}
        else:
            show_notices(listing[0].warnings)
            sketches, notices = load_sketches(root, listing[1])
            show_notices(notices)
            target = _target(sketches, note or "", root, listing[0].extensions)
            found = find_mentions(root, target, sketches=sketches)
            rows = {target.path: target}
    places = {_relative(path, root) for path in within}
    numbered = [(n, m) for n, m in enumerate(found, 1) if not places or m.source in places]
    if not link:
        _report_mentions(numbered, rows, as_json, every)
        sys.exit(EXIT_FINDINGS if numbered else EXIT_CLEAN)
    chosen = _chosen(numbered, pick, len(found))
    from zettel.vault.repair import plan_link_mentions  # noqa: PLC0415

    with usage_errors():
        plan = plan_link_mentions(root, [m for _, m in chosen],
                                  {m.target: rows[m.target] for _, m in chosen})
    if as_json:
        plan.details["mentions"] = [_mention_json(n, m, rows) for n, m in chosen]
    carry_out(root, plan, dry_run=dry_run, as_json=as_json)


def _relative(path: str, root: Path) -> str:
    """A note path given on the command line, vault-relative (as given otherwise)."""
    given = Path(path)
    for candidate in (given, root / given):
        try:
            return candidate.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            continue
    return path


def _chosen(numbered: list[tuple[int, Mention]], pick: str | None,
            total: int) -> list[tuple[int, Mention]]:
    """The mentions to link: those picked by number, else the unflagged ones."""
    if pick is None:
        flagged = [n for n, m in numbered if m.flag]
        if flagged:
            click.echo(f"zettel: {count(len(flagged), 'flagged mention')} not linked (pick "
                       f"by number: {', '.join(map(str, flagged[:20]))}"
                       + (", …" if len(flagged) > 20 else "") + ")", err=True)
        return [(n, m) for n, m in numbered if not m.flag]
    wanted: set[int] = set()
    for part in pick.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            low, high = int(first), int(last) if dash else int(first)
        except ValueError:
            raise UsageProblem(f"--pick: '{part}' is not a number or a range such as 3-5") \
                from None
        if not 1 <= low <= high <= total:
            raise UsageProblem(f"--pick: {part.strip()} is not among the mentions shown "
                               f"(1 to {total})")
        wanted.update(range(low, high + 1))
    return [(n, m) for n, m in numbered if n in wanted]


def _mention_json(number: int, mention: Mention, rows: dict[str, Named]) -> dict[str, Any]:
    target = rows.get(mention.target)
    return {"number": number, "path": mention.source, "line": mention.line,
            "column": mention.column, "text": mention.text, "target": mention.target,
            "title": target.title if target else None, "name": mention.name,
            "flag": mention.flag, "line_text": mention.line_text}


def _report_mentions(numbered: list[tuple[int, Mention]], rows: dict[str, Named], as_json: bool,
                     every: bool) -> None:
    if as_json:
        dump([_mention_json(n, m, rows) for n, m in numbered])
        return
    lines: list[str] = []
    shown = None
    for number, mention in numbered:
        if every and mention.target != shown:
            shown = mention.target
            lines.append(click.style(f"{clean(rows[shown].title)} ({clean(shown)})", bold=True))
        start = mention.column - 1
        text = mention.line_text
        end = min(len(text), start + len(mention.text))
        marked = (clean(text[:start]) + click.style(clean(text[start:end]), bold=True, fg="cyan")
                  + clean(text[end:]))
        flag = click.style(f"  [{mention.flag}]", fg="yellow") if mention.flag else ""
        lines.append(f"{number:>4}. {clean(mention.source)}:{mention.line}:{mention.column}: "
                     f"{marked}{flag}")
    if lines:
        click.echo("\n".join(lines))
    notes = len({m.source for _, m in numbered})
    about = "" if every else f" of '{clean(rows[numbered[0][1].target].title)}'" \
        if numbered else ""
    click.echo(f"{count(len(numbered), 'mention')}{about} in {count(notes, 'note')}", err=True)


def _target(sketches: Sketches, query: str, root: Path, extensions: tuple[str, ...]) -> Named:
    """The note NOTE names: by path, id, path, file name, title or alias, as
    `zettel.cli.common.find_note` finds it (which says why when none or several
    do), looked for in the sketches' tables first (no resolver to build)."""
    found = sketches.row(_relative(query, root))
    if found is not None:
        return found
    _, matches = sketches.named(query, extensions)
    if len(matches) == 1:
        return matches[0]
    from zettel.cli.common import find_note  # noqa: PLC0415 - says why, with the resolver
    from zettel.vault.facts import Facts, NoteRow  # noqa: PLC0415

    rows = sketches.rows()
    facts = Facts(root, {p: NoteRow(p, r.title, r.id, (), (), r.aliases) for p, r in rows.items()},
                  [], [], {}, extensions=extensions)
    return find_note(facts, query, root)
