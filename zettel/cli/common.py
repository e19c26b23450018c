"""What the ``zettel`` commands share: exit codes, errors, vault opening, output."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from zettel.core.display import clean, clean_json
from zettel.vault.config import ConfigError
from zettel.vault.facts import Facts, vault_facts
from zettel.vault.scan import Vault, VaultError, open_vault
from zettel.vault.statedir import UnsafeStateDir, pending_entry

if TYPE_CHECKING:
    from zettel.core.graph import KnowledgeGraph
    from zettel.core.resolve import Named

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
VAULT_HELP = "The vault folder (default: $ZETTEL_VAULT, else the current folder)."


class UsageProblem(click.ClickException):
    """Bad input from the user: one line on stderr, exit status 2, no traceback.
    The message may quote names from the vault: its control characters are shown
    as escapes (`zettel.core.display.clean`)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(clean(message))


def vault_path(vault: str | None) -> Path:
    return Path(vault or os.environ.get("ZETTEL_VAULT") or ".")


def show_progress(done: int, total: int) -> None:
    if sys.stderr.isatty() and total >= 500:
        end = "\n" if done == total else ""
        click.echo(f"\rparsing notes: {done}/{total}", err=True, nl=False)
        click.echo(end, err=True, nl=False)


def show_notices(notices: tuple[str, ...]) -> None:
    for notice in notices:
        click.secho(f"zettel: {clean(notice)}", err=True, fg="yellow")


@contextmanager
def usage_errors() -> Iterator[None]:
    """A vault that cannot be opened, or unusable settings: exit 2 with one line."""
    try:
        yield
    except (VaultError, ConfigError, UnsafeStateDir) as err:
        raise UsageProblem(str(err)) from err


def open_or_fail(vault: str | None) -> Vault:
    with usage_errors():
        opened = open_vault(vault_path(vault), progress=show_progress)
    show_notices(opened.notices)
    return opened


def graph_or_fail(vault: str | None) -> KnowledgeGraph:
    from zettel.vault.facts import graph_of  # noqa: PLC0415 - only the commands that need it

    return graph_of(open_or_fail(vault))


def facts_or_fail(vault: str | None) -> Facts:
    """What the listing commands need of the graph (`zettel.vault.facts`), remembered
    while no file changes."""
    with usage_errors():
        facts, notices = vault_facts(vault_path(vault), progress=show_progress)
    show_notices(notices)
    return facts


def dump(data: Any) -> None:
    """Print ``data`` as JSON; NaN and infinities (front matter such as ``.nan``),
    which JSON cannot hold, as the strings "NaN", "Infinity" and "-Infinity"; C1
    and bidi controls as ``\\u`` escapes (`clean_json`)."""
    try:
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str, allow_nan=False)
    except ValueError:  # a non-finite float somewhere: rare, so looked for only then
        text = json.dumps(_finite(data), ensure_ascii=False, indent=2, default=str,
                          allow_nan=False)
    click.echo(clean_json(text))


def _finite(data: Any) -> Any:
    """``data`` with each NaN or infinite float (value or key) as a string."""
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")
    if isinstance(data, dict):
        return {_finite(key): _finite(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(item) for item in data]
    return data


def fail(message: str) -> NoReturn:
    raise UsageProblem(message)


vault_argument = click.argument("vault", required=False, metavar="[VAULT]")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON (see docs/json.md).")


def find_note(source: Facts, query: str, root: Path) -> Named:
    """The note named by a path, id, file name, title or alias (or fail)."""
    notes: Mapping[str, Named] = source.notes
    candidate = Path(query)
    for path in (candidate, root / candidate):
        try:
            rel = path.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            continue
        if rel in notes:
            return notes[rel]
    found = source.resolver.resolve(query)
    if found.status == "resolved" and found.paths[0] in notes:
        return notes[found.paths[0]]
    if found.status == "ambiguous":
        fail(f"'{query}' matches {len(found.paths)} notes by {found.step}: "
              + ", ".join(found.paths))
    from rapidfuzz import fuzz, process, utils  # noqa: PLC0415 - only on this error path

    titles = sorted({note.title for note in notes.values()})
    close = process.extract(query, titles, scorer=fuzz.WRatio, processor=utils.default_process,
                            limit=3, score_cutoff=75)
    hint = ("; did you mean " + " or ".join(f"'{title}'" for title, _, _ in close) + "?"
            if close else "")
    fail(f"no note matches '{query}' (by path, id, file name, title or alias){hint}")


def interrupted_batch(root: Path) -> tuple[str, ...]:
    """The notice of an interrupted batch waiting to be rolled back, for ``zettel
    check`` (one stat when none waits)."""
    if not os.path.lexists(pending_entry(root)):
        return ()  # and the journal's code is not even loaded
    from zettel.vault.journal import waiting  # noqa: PLC0415

    notice = waiting(root)
    return (notice,) if notice else ()
