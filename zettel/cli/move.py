"""The ``mv`` and ``retitle`` commands: rename, move or retitle a note, with every
link that reached it rewritten (docs/editing.md)."""

from __future__ import annotations

import click

from zettel.cli.common import (
    VAULT_HELP,
    UsageProblem,
    facts_or_fail,
    find_note,
    json_option,
    vault_path,
)
from zettel.cli.writing import carry_out, dry_run_option
from zettel.core.rewrite import PlanRefused
from zettel.vault.editing import plan_move, plan_retitle

vault_option = click.option("--vault", "vault", envvar="ZETTEL_VAULT", help=VAULT_HELP)


@click.command("mv")
@click.argument("note")
@click.argument("new_path")
@vault_option
@dry_run_option
@json_option
def mv(note: str, new_path: str, vault: str | None, dry_run: bool, as_json: bool) -> None:
    """Move or rename NOTE to NEW_PATH, rewriting every link that reached it.

    NOTE is a path, id, file name, title or alias. NEW_PATH is a path from the
    vault's top folder (or an absolute path inside it); a folder (ending in /,
    or one that exists) keeps the file name; without extension the note's is
    added; folders are created as needed. Links by path or file name, and
    Markdown links (relative paths), are rewritten; links by id or title need
    no change. An existing file is never overwritten.

    \b
    Examples:
      zettel mv "Reading list" reading/list.md --dry-run
      zettel mv 20240105093000 concepts/
    """
    root = vault_path(vault)
    facts = facts_or_fail(vault)
    found = find_note(facts, note, root)
    try:
        plan = plan_move(root, found.path, new_path, facts=facts)
    except PlanRefused as err:
        raise UsageProblem(str(err)) from err
    carry_out(root, plan, dry_run=dry_run, as_json=as_json)


@click.command()
@click.argument("note")
@click.argument("title")
@vault_option
@click.option("--alias", is_flag=True,
              help="Keep the old title as an alias; rewrite no link.")
@click.option("--rename-file", is_flag=True,
              help="Rename the file too when it is named after the old title "
                   "(its slug, or {id}-{slug}).")
@dry_run_option
@json_option
def retitle(note: str, title: str, vault: str | None, alias: bool, rename_file: bool,
            dry_run: bool, as_json: bool) -> None:
    """Give NOTE the title TITLE, rewriting the links that used the old one.

    The title is changed where it comes from: the front matter's title:, or
    the first # heading; a note titled after its file name gets a title:
    line. A link by the old title becomes a link by the new one with the old
    text as label ([[Old]] becomes [[New|Old]]), so the sentence reads the
    same. A title another note already goes by is refused.

    \b
    Examples:
      zettel retitle 20240105093000 "Slip box" --dry-run
      zettel retitle "Old title" "New title" --alias
    """
    root = vault_path(vault)
    facts = facts_or_fail(vault)
    found = find_note(facts, note, root)
    try:
        plan = plan_retitle(root, found.path, title, alias=alias, rename_file=rename_file,
                            facts=facts)
    except PlanRefused as err:
        raise UsageProblem(str(err)) from err
    carry_out(root, plan, dry_run=dry_run, as_json=as_json)
