"""``zettel lsp``: the language server, for editors (docs/editors.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from zettel.cli.common import UsageProblem
from zettel.core.display import clean, describe

if TYPE_CHECKING:
    import logging


@click.command("lsp")
@click.option("--vault", "vault", type=click.Path(path_type=Path), default=None,
              help="Serve this vault only (default: the workspace folder of each file, or the "
                   "nearest folder above it holding .zettel/).")
@click.option("--log", "log", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write what the server does to this file (to report a problem).")
@click.option("--stdio", is_flag=True, hidden=True,
              help="Talk over stdin and stdout (always; some editors pass it).")
def lsp(vault: Path | None, log: Path | None, stdio: bool) -> None:
    """Run the language server over stdin and stdout (an editor starts it).

    Completion of links after [[ (notes by title, alias, id, path), hover,
    go to definition, references (backlinks), live diagnostics as `zettel
    check` reports them, quick fixes, rename (as `zettel mv` and `retitle`),
    symbols. It prints nothing for a person: set it up in your editor
    (docs/editors.md). Exit status 0 when the editor stops it.
    """
    if vault is not None and not vault.is_dir():
        raise UsageProblem(f"vault '{vault}' is not a folder" if vault.exists()
                           else f"vault '{vault}' does not exist")
    import logging  # noqa: PLC0415

    from zettel.lsp.server import serve  # noqa: PLC0415 - pygls loads only for the server

    if log is not None:
        logging.basicConfig(filename=log, level=logging.DEBUG,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    else:  # the editor's log: warnings, one line each, never a traceback
        handler = logging.StreamHandler()
        handler.setFormatter(_one_line_formatter(logging.Formatter))
        logging.basicConfig(handlers=[handler], level=logging.WARNING)
    serve(vault.resolve() if vault is not None else None)


def _one_line_formatter(base: type[logging.Formatter]) -> logging.Formatter:
    """A formatter writing a record on one line: an exception as its type and
    message (no traceback), control characters as escapes."""

    class OneLine(base):  # type: ignore[valid-type,misc]
        def format(self, record: logging.LogRecord) -> str:
            line = f"zettel lsp: {record.levelname} {record.getMessage()}"
            if record.exc_info and record.exc_info[1] is not None:
                line += f" ({describe(record.exc_info[1])})"
            return clean(line)

    return OneLine()
