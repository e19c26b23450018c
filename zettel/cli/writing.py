"""What the commands that write (``mv``, ``retitle``, ``fix``, ``mentions``,
``undo``) share: ``--dry-run`` and ``--json`` options, and carrying out a plan.

``--dry-run`` prints the plan as a unified diff on stdout and writes nothing;
``--json`` prints the plan (and whether it was written, and its batch number
in the journal) as JSON. Warnings (what the plan leaves as it was) go to
stderr. A plan refused by the writer (a file changed since it was read, a
file in the way) is one line on stderr, exit 2, and nothing of it is written
(a batch failing half-way is rolled back: docs/editing.md). Written, the plan
is journaled (`zettel.vault.journal`): ``zettel undo`` reverts it.
"""

from __future__ import annotations

from pathlib import Path

import click

from zettel.cli.common import UsageProblem, dump
from zettel.core.display import clean, clean_lines
from zettel.core.plan import Plan
from zettel.vault.statedir import UnsafeStateDir
from zettel.vault.write import WriteError

dry_run_option = click.option(
    "--dry-run", "-n", is_flag=True,
    help="Print what would change as a unified diff; write nothing.")


def carry_out(root: Path, plan: Plan, *, dry_run: bool, as_json: bool) -> None:
    """Print or write ``plan`` (see the module doc)."""
    for warning in plan.warnings:
        click.secho(f"zettel: {clean(warning)}", err=True, fg="yellow")
    if dry_run or plan.empty:
        if as_json:
            dump({**plan.to_json(), "written": False, "diff": plan.diff()})
        elif plan.empty:
            click.echo(f"{clean(plan.summary)}: nothing to change", err=True)
        else:
            click.echo(clean_lines(plan.diff()), nl=False)
            click.echo(f"{clean(plan.summary)}: {plan.describe()} (dry run: nothing written)",
                       err=True)
        return
    from zettel.vault.journal import apply_plan  # noqa: PLC0415 - loaded to write only

    try:
        applied = apply_plan(root, plan)
    except (WriteError, UnsafeStateDir) as err:
        raise UsageProblem(str(err)) from err
    except OSError as err:  # the journal's folder cannot be written, a disk full...
        raise UsageProblem(f"nothing was written: {err.strerror or err}"
                           + (f" ({err.filename})" if err.filename else "")) from err
    for notice in applied.notices:  # an interrupted batch rolled back first
        click.secho(f"zettel: {clean(notice)}", err=True, fg="yellow")
    if as_json:
        dump({**plan.to_json(), "written": True, "batch": applied.batch})
    else:
        click.echo(f"{clean(plan.summary)}: {plan.describe()}")
