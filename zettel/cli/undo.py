"""``zettel undo``: revert the last write batch, or list the journal's batches
(docs/editing.md#undo)."""

from __future__ import annotations

import sys

import click

from zettel.cli.common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    VAULT_HELP,
    UsageProblem,
    dump,
    json_option,
    vault_path,
)
from zettel.cli.writing import carry_out, dry_run_option
from zettel.core.display import clean
from zettel.vault.journal_entry import Entry, JournalError
from zettel.vault.statedir import UnsafeStateDir
from zettel.vault.write import WriteError

#: Files of a batch shown by ``undo --list`` (all of them with ``--json``).
SHOWN_FILES = 10


@click.command()
@click.option("--vault", "vault", envvar="ZETTEL_VAULT", help=VAULT_HELP)
@click.option("--list", "list_batches", is_flag=True,
              help="List the journal's batches, newest first; undo nothing.")
@dry_run_option
@json_option
def undo(vault: str | None, list_batches: bool, dry_run: bool, as_json: bool) -> None:
    """Revert the last write batch (mv, retitle, fix, mentions, a TUI action)
    not undone yet; again to go one more batch back.

    A file changed since the batch is left as it is and named; the others are
    reverted. When a batch was interrupted (its process killed), undo rolls it
    back. Batches not written by you on this machine (foreign: from a vault
    made elsewhere) are passed over, never undone. An undo is not undone in
    turn (no redo). Exit status: 0 reverted,
    1 nothing to undo or a file left as it is, 2 a journal that cannot be read
    or a write refused. See docs/editing.md.
    """
    from zettel.vault.journal import history, plan_undo  # noqa: PLC0415 - see check

    root = vault_path(vault)
    if not root.is_dir():
        raise UsageProblem(f"vault '{root}' is not a folder" if root.exists()
                           else f"vault '{root}' does not exist")
    try:
        if list_batches:
            _list(history(root), as_json)
            return
        plan = plan_undo(root)
        if plan is None:
            if as_json:
                dump({"action": "undo", "summary": "nothing to undo", "files": [],
                      "created": [], "warnings": [], "reverts": None, "removed": [],
                      "refused": [], "written": False})
            click.echo("zettel: nothing to undo (every batch of the journal is undone, "
                       "or there is none)", err=True)
            sys.exit(EXIT_FINDINGS)
        carry_out(root, plan, dry_run=dry_run, as_json=as_json)
    except (JournalError, UnsafeStateDir, WriteError) as err:
        raise UsageProblem(str(err)) from err
    except OSError as err:
        raise UsageProblem(f"the journal cannot be read: {err.strerror or err}") from err
    sys.exit(EXIT_FINDINGS if plan.refused else EXIT_CLEAN)


def _list(entries: list[Entry], as_json: bool) -> None:
    from zettel.vault.journal import KEEP  # noqa: PLC0415 - with the rest of the journal

    if as_json:
        dump([entry.to_json() for entry in entries])
    lines = []
    for entry in entries if not as_json else ():
        state = entry.state + (f" by {entry.undone_by}" if entry.undone_by else "")
        colour = {"done": "green", "interrupted": "red", "damaged": "red",
                  "foreign": "yellow"}.get(entry.state)
        lines.append(f"{entry.seq:>5}  {clean(entry.time.replace('T', ' ').rstrip('Z'))}  "
                     f"{clean(entry.action):8} " + click.style(f"{state:14}", fg=colour)
                     + f" {clean(_said(entry))}")
        changed = [f"{f.path} -> {f.new_path}" if f.new_path else f.path for f in entry.files]
        changed += [f"{c.path} (created)" for c in entry.created]
        changed += [f"{r.path} (removed)" for r in entry.removed]
        changed += [f"{path} (left as it was)" for path in entry.refused]
        lines += [f"       {clean(line)}" for line in changed[:SHOWN_FILES]]
        if len(changed) > SHOWN_FILES:
            lines.append(f"       ... and {len(changed) - SHOWN_FILES} more")
    if lines:
        click.echo("\n".join(lines))
    foreign = sum(entry.state == "foreign" for entry in entries)
    click.echo(f"{len(entries)} batch(es) in the journal (the last {KEEP} are kept)"
               + (f"; {foreign} foreign: not written by you on this machine, never rolled "
                  "back nor undone" if foreign else ""), err=True)


def _said(entry: Entry) -> str:
    """What a batch's line says: its summary, or what is wrong with its entry."""
    if entry.state == "foreign" and entry.summary:
        return f"{entry.summary} ({entry.problem})"
    return entry.problem or entry.summary
