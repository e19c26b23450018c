"""The Textual TUI of zettel (`zettel [VAULT]` opens it)."""

from __future__ import annotations

from pathlib import Path


def run(vault: Path | str) -> None:
    """Open the TUI on ``vault`` and return when the person quits."""
    from zettel.tui.app import ZettelApp  # noqa: PLC0415 - Textual loads only here

    ZettelApp(Path(vault)).run()
