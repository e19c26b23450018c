"""The ``search``, ``related`` and ``index`` commands (full-text search).

They hold the index as a `zettel.search.protocol.SearchEngine`. Whoosh is
imported when one of them runs, never by ``zettel check`` and the other
commands.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from zettel.cli.common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    VAULT_HELP,
    UsageProblem,
    dump,
    facts_or_fail,
    find_note,
    json_option,
    show_notices,
    usage_errors,
    vault_argument,
    vault_path,
)
from zettel.core.display import clean
from zettel.core.model import count

if TYPE_CHECKING:
    from zettel.search.model import Hit, SyncReport
    from zettel.search.protocol import IndexProgress, SearchEngine

limit_option = click.option("-n", "--limit", default=10, show_default=True,
                            type=click.IntRange(min=1), help="Show at most this many notes.")


@contextmanager
def _synced(vault: str | None, *,
            rebuild: bool = False) -> Iterator[tuple[SearchEngine, SyncReport]]:
    """The vault's search index, brought up to date (with a progress bar on a
    terminal); its notices go to stderr; its failures exit 2 with one line."""
    from zettel.search.keeper import IndexBusy, QueryError, SearchIndex  # noqa: PLC0415
    from zettel.search.state import index_root  # noqa: PLC0415 - lazy
    from zettel.vault.statedir import UnsafeStateDir  # noqa: PLC0415

    root = vault_path(vault)
    index: SearchEngine = SearchIndex(root)
    try:
        with usage_errors(), _progress_bar() as progress:
            report = index.sync(rebuild=rebuild, progress=progress)
        show_notices(tuple(index.notices))
        index.notices.clear()
        yield index, report
        show_notices(tuple(index.notices))
    except (QueryError, IndexBusy) as err:
        raise UsageProblem(str(err)) from err
    except UnsafeStateDir as err:
        raise UsageProblem(f"cannot use the search index: {err}") from err
    except OSError as err:
        raise UsageProblem(f"cannot use the search index in '{index_root(root)}': "
                           f"{err.strerror or err}") from err
    finally:
        index.close()


@contextmanager
def _progress_bar() -> Iterator[IndexProgress | None]:
    """A rich progress bar on stderr when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console  # noqa: PLC0415 - only on a terminal
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def update(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            if total and total < 500:
                return  # small vaults are done before a bar is worth drawing
            tasks[phase] = bar.add_task(f"{phase} notes" if total else phase,
                                        total=total or None)
        bar.update(tasks[phase], completed=done)

    with bar:
        yield update


def _print_hit(hit: Hit) -> None:
    where = f"{clean(hit.path)}:{hit.snippet.line}" if hit.snippet.line else clean(hit.path)
    ident = f"  ({clean(hit.id)})" if hit.id and hit.id not in hit.title else ""
    click.echo(click.style(where, fg="magenta") + "  " + click.style(clean(hit.title), bold=True)
               + ident + click.style(f"  {hit.score:.2f}", dim=True))
    if hit.snippet.text:
        click.echo("    " + "".join(click.style(clean(piece), fg="red", bold=True) if matched
                                    else clean(piece) for piece, matched in hit.snippet.pieces()))


class _QueryFirst(click.Command):
    """A query may start with ``-`` (``-word`` leaves a word out): any argument
    that is not one of the command's own options is the query or the vault."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        own = {name for param in self.get_params(ctx) for name in param.opts
               if isinstance(param, click.Option)}
        options: list[str] = []
        positional: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                positional.extend(rest)
            elif arg in own:
                options.append(arg)
                value = next(rest, None) if arg in ("-n", "--limit") else None
                if value is not None:
                    options.append(value)
            elif arg.startswith("--limit=") or (arg.startswith("-n") and arg[2:].isdigit()):
                options.append(arg)
            else:
                positional.append(arg)
        return super().parse_args(ctx, [*options, "--", *positional])


@click.command(cls=_QueryFirst)
@click.argument("query")
@vault_argument
@limit_option
@json_option
def search(query: str, vault: str | None, limit: int, as_json: bool) -> None:
    """Full-text search of the notes, best first, with the matched words marked.

    All words must match. Also: "exact phrase", OR, NOT or -word, prefix*,
    word~ (fuzzy), (groups), and fields: title: tag: type: id: path: or any
    front-matter field by name (docs/search.md). Brings the index up to date
    first. Exit status: 0 some note matches, 1 none, 2 a malformed query.
    """
    with _synced(vault) as (index, _):
        found = index.search(query, limit=limit)
    total = found.total or 0
    if as_json:
        dump({"query": query, "total": total, "hits": [h.to_json() for h in found.hits]})
    else:
        for hit in found.hits:
            _print_hit(hit)
        shown = f" (showing {len(found.hits)})" if len(found.hits) < total else ""
        click.echo(f"{count(total, 'note')} match{'es' if total == 1 else ''}"
                   f"{shown}", err=True)
    sys.exit(EXIT_CLEAN if total else EXIT_FINDINGS)


@click.command()
@click.argument("note")
@click.option("--vault", "vault", envvar="ZETTEL_VAULT", help=VAULT_HELP)
@limit_option
@json_option
def related(note: str, vault: str | None, limit: int, as_json: bool) -> None:
    """Notes closest in content to NOTE, linked to it or not.

    NOTE is a path, an id, a file name, a title or an alias. Each is marked
    with how it is linked to NOTE: 'links here', 'linked from here', 'both',
    or nothing.
    """
    facts = facts_or_fail(vault)
    target = find_note(facts, note, vault_path(vault))
    with _synced(vault) as (index, _):
        hits = index.related(target.path, limit=limit)
    outgoing = set(facts.links_to(target.path))
    incoming = set(facts.linked_from(target.path))
    rows = []
    for hit in hits:
        way = {(True, True): "both", (True, False): "linked from here",
               (False, True): "links here"}.get((hit.path in outgoing, hit.path in incoming))
        rows.append({"path": hit.path, "id": hit.id, "title": hit.title,
                     "score": round(hit.score, 3), "linked": way})
    if as_json:
        dump({"note": target.path, "related": rows})
        return
    for row in rows:
        linked = click.style(f"  ({row['linked']})", fg="green") if row["linked"] else ""
        click.echo(f"{row['score']:7.2f}  {clean(str(row['path']))}  "
                   + click.style(clean(str(row["title"])), bold=True) + linked)
    click.echo(f"{count(len(rows), 'note')} related to {clean(target.title)}", err=True)


@click.command("index")
@vault_argument
@click.option("--rebuild", is_flag=True, help="Index every note again from scratch.")
@json_option
def index_command(vault: str | None, rebuild: bool, as_json: bool) -> None:
    """Bring the search index up to date (in VAULT/.zettel/index).

    Only notes added, changed, renamed or deleted since the last update are
    reindexed; `search` and `related` do this by themselves.
    """
    with _synced(vault, rebuild=rebuild) as (_, report):
        pass
    changes = report.changes
    if as_json:
        dump({"notes": report.notes, "rebuilt": report.rebuilt, "read_only": report.read_only,
              "seconds": round(report.seconds, 3), "added": changes.added,
              "changed": changes.changed, "deleted": changes.deleted,
              "renamed": [list(pair) for pair in changes.renamed],
              "touched": changes.touched})
        return
    if report.rebuilt:
        summary = f"indexed {count(report.notes, 'note')}"
    elif changes.reindexed or changes.removed:
        parts = [(len(changes.added), "added"), (len(changes.changed), "changed"),
                 (len(changes.renamed), "renamed"), (len(changes.deleted), "deleted")]
        summary = ", ".join(f"{n} {what}" for n, what in parts if n)
    else:
        summary = f"up to date ({count(report.notes, 'note')})"
    click.echo(f"{summary} in {report.seconds:.2f} s", err=True)
