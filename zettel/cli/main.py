"""The ``zettel`` command.

Data goes to stdout, messages to stderr. Exit status: 0 when there is nothing
to report, 1 when there are findings (problems, orphans, broken links), 2 on
a usage error (bad option, a vault that does not exist, a note not found).
"""

from __future__ import annotations

import importlib
import io
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from zettel import __version__
from zettel.cli.common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    VAULT_HELP,
    UsageProblem,
    dump,
    facts_or_fail,
    find_note,
    graph_or_fail,
    interrupted_batch,
    json_option,
    open_or_fail,
    show_notices,
    show_progress,
    usage_errors,
    vault_argument,
    vault_path,
)
from zettel.cli.search import index_command, related, search
from zettel.core.check import Report
from zettel.core.display import clean
from zettel.core.graph import EXPORT_FORMATS
from zettel.core.model import count
from zettel.core.problems import kinds_help
from zettel.vault.config import ConfigError, set_trust, user_config_path
from zettel.vault.facts import check_vault
from zettel.vault.scan import scan_folder

#: The commands that edit notes and the language server, loaded when run (or
#: listed by --help): the other commands, a warm `zettel check` first, do not pay
#: for importing them.
_LAZY = {"mv": "zettel.cli.move:mv", "retitle": "zettel.cli.move:retitle",
         "fix": "zettel.cli.repair:fix", "mentions": "zettel.cli.repair:mentions",
         "undo": "zettel.cli.undo:undo", "lsp": "zettel.cli.lsp:lsp"}


class _CommandOrVault(click.Group):
    """``zettel VAULT``: a first argument that is a folder, not a command, is
    the vault to open in the TUI. The commands of `_LAZY` are imported when needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _LAZY:
            module, name = _LAZY[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in _LAZY:
            if Path(args[0]).is_dir():
                ctx.meta["zettel.vault.scan"] = args[0]
                args = args[1:]
            elif "/" in args[0] or args[0].startswith((".", "~")):  # a path, not a command
                raise UsageProblem(f"no such vault: {args[0]}")
        return super().parse_args(ctx, args)


@click.group(cls=_CommandOrVault, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="zettel")
@click.pass_context
def main(ctx: click.Context) -> None:
    """zettel: a knowledge-graph note manager for Markdown Zettelkasten vaults.

    `zettel [VAULT]` opens the TUI on the vault (default: $ZETTEL_VAULT, else
    the current folder); the commands below work without it. A vault is a
    folder of Markdown notes with YAML front matter and [[wiki-links]] by id,
    title or file name (docs/format.md). Exit status: 0 nothing to report,
    1 findings, 2 usage error.
    """
    for stream in (sys.stdout, sys.stderr):
        # A file name that is not UTF-8 prints as \udcXX (valid JSON too), never a crash.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    if ctx.invoked_subcommand is not None:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(ctx.get_help())  # no terminal to draw the TUI on
        return
    root = vault_path(ctx.meta.get("zettel.vault.scan"))
    with usage_errors():
        scan_folder(root)  # a missing or unreadable vault: one line, exit 2
    from zettel.tui import run  # noqa: PLC0415 - Textual loads only for the TUI

    run(root)


CHECK_HELP = ("Report every problem of the vault; exit 1 if there is an error.\n\n"
              + kinds_help())


@main.command(help=CHECK_HELP)
@vault_argument
@json_option
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too.")
@click.option("--no-cache", is_flag=True, help="Parse every note; read and write no cache.")
def check(vault: str | None, as_json: bool, strict: bool, no_cache: bool) -> None:
    """Report every problem of the vault (help: `CHECK_HELP`, from the registry
    of problem kinds)."""
    with usage_errors():
        report, notices = check_vault(vault_path(vault), use_cache=not no_cache,
                                      progress=show_progress)
    show_notices(notices)
    show_notices(interrupted_batch(vault_path(vault)))
    if as_json:
        dump(report.to_json())
    else:
        _print_report(report)
    failed = report.errors or (strict and report.warnings)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


def _print_report(report: Report) -> None:
    lines = []
    styled: dict[str, str] = {}  # one styled label per kind, not one per problem
    for p in report.problems:
        where = f"{clean(p.path)}:{p.line}" if p.line else clean(p.path)
        label = styled.get(p.kind)
        if label is None:
            colour = "red" if p.severity == "error" else "yellow"
            label = styled[p.kind] = click.style(f"{p.severity} {p.kind}", fg=colour)
        lines.append(f"{where}: {label}: {clean(p.message)}")
    if lines:  # one write: a vault can have thousands of problems
        click.echo("\n".join(lines))
    counts = ", ".join(f"{n} {kind}" for kind, n in report.counts.items())
    summary = (f"{count(report.notes, 'note')}, {count(report.links, 'link')}: "
               f"{count(report.errors, 'error')}, {count(report.warnings, 'warning')}"
               + (f" ({counts})" if counts else ""))
    click.secho(summary, err=True, bold=True)


@main.command()
@vault_argument
@json_option
def orphans(vault: str | None, as_json: bool) -> None:
    """List orphans: notes no other note links to (exit 1 if any).

    Isolated notes (no links in or out) are orphans too and are marked so.
    """
    facts = facts_or_fail(vault)
    notes = facts.notes
    if as_json:
        dump([{"path": p, "id": notes[p].id, "title": notes[p].title, "isolated": isolated}
              for p, isolated in facts.orphans])
    else:
        for path, isolated in facts.orphans:
            click.echo(f"{clean(path)}\t{clean(notes[path].title)}"
                       + ("\t(isolated)" if isolated else ""))
    click.echo(f"{count(len(facts.orphans), 'orphan')} among {count(len(notes), 'note')}",
               err=True)
    sys.exit(EXIT_FINDINGS if facts.orphans else EXIT_CLEAN)


@main.command()
@vault_argument
@json_option
def broken(vault: str | None, as_json: bool) -> None:
    """List broken links, with line and context (exit 1 if any)."""
    rows = facts_or_fail(vault).broken
    if as_json:
        dump([{"path": row.source, "line": row.line, "column": row.column,
               "target": row.target, "kind": row.kind, "context": row.context,
               "suggestion": row.suggestion} for row in rows])
    else:
        for row in rows:
            hint = f" (did you mean '{clean(row.suggestion)}'?)" if row.suggestion else ""
            click.echo(f"{clean(row.source)}:{row.line}:{row.column}: "
                       + click.style(clean(row.target), fg="red") + hint)
            click.echo("    " + clean(" ".join(row.context.split())[:200]))
    click.echo(count(len(rows), "broken link"), err=True)
    sys.exit(EXIT_FINDINGS if rows else EXIT_CLEAN)


@main.command()
@click.argument("note")
@click.option("--vault", "vault", envvar="ZETTEL_VAULT", help=VAULT_HELP)
@json_option
def show(note: str, vault: str | None, as_json: bool) -> None:
    """Show a note: metadata, outgoing links and backlinks with context.

    NOTE is a path, an id, a file name, a title or an alias.
    """
    facts = facts_or_fail(vault)
    found = facts.note(find_note(facts, note, vault_path(vault)).path)
    notes = facts.notes
    outgoing: list[dict[str, Any]] = [
        {"target": link.target, "kind": link.kind, "line": link.line,
         "status": resolution.status, "path": resolution.path, "type": resolution.link_type}
        for link, resolution in facts.outgoing(found.path)]
    backlinks: list[dict[str, Any]] = [
        {"path": back.source, "title": notes[back.source].title, "line": back.link.line,
         "context": back.context}
        for back in facts.backlinks_of(found.path)]
    data: dict[str, Any] = {
        "path": found.path, "id": found.id, "title": found.title, "types": list(found.types),
        "tags": list(found.tags), "aliases": list(found.aliases), "thumbnail": found.thumbnail,
        "meta": found.meta, "links": outgoing, "backlinks": backlinks}
    if as_json:
        dump(data)
        return
    click.secho(clean(found.title), bold=True)
    for key in ("path", "id", "types", "tags", "aliases", "thumbnail"):
        value = data[key]
        if value:
            shown = ", ".join(value) if isinstance(value, list) else value
            click.echo(f"  {key}: {clean(shown)}")
    for key, value in found.meta.items():
        click.echo(f"  {clean(key)}: {clean(str(value))}")
    click.secho(f"\nLinks ({len(outgoing)})", bold=True)
    for link in outgoing:
        if link["status"] != "resolved":
            where = click.style(link["status"], fg="red")
        elif link["path"] in notes:
            where = clean(f"{notes[link['path']].title} ({link['path']})")
        else:
            where = clean(link["path"])  # an attachment
        typed = f" [{link['type']}]" if link["type"] else ""
        click.echo(f"  line {link['line']}: {clean(link['target'] + typed)} -> {where}")
    click.secho(f"\nBacklinks ({len(backlinks)})", bold=True)
    for back in backlinks:
        click.echo(f"  {clean(back['path'])}:{back['line']}  {clean(back['title'])}")
        click.echo("      " + clean(" ".join(back["context"].split())[:200]))


@main.command()
@vault_argument
@json_option
def tags(vault: str | None, as_json: bool) -> None:
    """List tags and types with the number of notes using each."""
    notes = facts_or_fail(vault).notes.values()
    tag_counts = Counter(t for note in notes for t in note.tags)
    type_counts = Counter(t for note in notes for t in note.types)
    ordered = {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0].casefold())))
               for name, c in (("tags", tag_counts), ("types", type_counts))}
    if as_json:
        dump(ordered)
        return
    for name, counts in ordered.items():
        click.secho(f"{name.capitalize()} ({len(counts)})", bold=True)
        for value, n in counts.items():
            click.echo(f"{n:6}  {clean(value)}")


@main.command()
@click.argument("title")
@click.option("--type", "types", multiple=True, help="A type of the note (repeatable).")
@click.option("--tag", "tag_list", multiple=True, help="A tag of the note (repeatable).")
@click.option("--no-edit", is_flag=True, help="Do not open an editor; just print the path.")
@click.option("--vault", "vault", envvar="ZETTEL_VAULT", help=VAULT_HELP)
def new(title: str, types: tuple[str, ...], tag_list: tuple[str, ...], no_edit: bool,
        vault: str | None) -> None:
    """Create a note with a new timestamp id and open it in your editor.

    The editor is $VISUAL, else $EDITOR, or the user's settings (`zettel trust`
    lets a vault's own settings choose it). The file is never overwritten: when
    the id or the name is taken, the next free second is used. Prints the new
    note's path.
    """
    from zettel.vault.create import (  # noqa: PLC0415 - PyYAML loads only to write a note
        CreateError,
        choose_editor,
        new_note,
        open_in_editor,
    )

    opened = open_or_fail(vault)
    taken = [note.id for note in opened.notes if note.id]
    try:
        path = new_note(opened.root, title, config=opened.config, taken_ids=taken,
                        types=types, tags=tag_list)
    except CreateError as err:
        raise UsageProblem(str(err)) from err
    click.echo(clean(str(path)))  # the vault's path may hold anything
    if no_edit:
        return
    try:
        editor = choose_editor(opened.config, opened.root)
    except (CreateError, ConfigError) as err:
        raise UsageProblem(f"the note was created, not opened: {err}") from err
    if editor.notice:
        click.echo(f"zettel: {editor.notice}", err=True)
    if editor.command is None:
        click.echo(f"zettel: no editor set ($VISUAL, $EDITOR or 'editor' in "
                   f"{user_config_path()})", err=True)
        return
    try:
        status = open_in_editor(editor.command, path)
    except OSError as err:
        raise UsageProblem(f"cannot run editor '{editor.command[0]}': "
                           f"{err.strerror or err}") from err
    if status:
        click.echo(f"zettel: the editor exited with status {status}", err=True)


@main.command()
@vault_argument
@click.option("--revoke", is_flag=True, help="No longer trust the vault.")
def trust(vault: str | None, revoke: bool) -> None:
    """Trust a vault: let its .zettel/config.yaml choose the editor.

    A vault's settings travel with it (a clone, an archive), so zettel ignores
    the editor they name unless you trust the vault. Recorded, by the vault's
    resolved path, in your own settings (docs/format.md).
    """
    root = vault_path(vault)
    if not root.is_dir():
        raise UsageProblem(f"vault '{root}' is not a folder" if root.exists()
                           else f"vault '{root}' does not exist")
    with usage_errors():
        changed = set_trust(root, not revoke)
    state = {(False, True): "is now trusted", (False, False): "was already trusted",
             (True, True): "is no longer trusted", (True, False): "was not trusted"}
    click.echo(f"zettel: {clean(str(root.resolve()))} {state[revoke, changed]} "
               f"({clean(str(user_config_path()))})",
               err=True)


@main.command()
@vault_argument
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="graphml",
              show_default=True, help="GraphML and GEXF open in Gephi; DOT in Graphviz.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of stdout.")
def graph(vault: str | None, fmt: str, output: Path | None) -> None:
    """Export the link graph of the vault."""
    knowledge = graph_or_fail(vault)
    knowledge.export(fmt, output if output else sys.stdout)
    if output:
        click.echo(f"wrote {clean(str(output))} ({knowledge.graph.number_of_nodes()} notes, "
                   f"{knowledge.graph.number_of_edges()} edges)", err=True)


for command in (search, related, index_command):
    main.add_command(command)

if __name__ == "__main__":  # pragma: no cover
    main()
