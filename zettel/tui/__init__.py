"""The Textual TUI of zettel (`zettel [VAULT]` opens it): `app` (the thin App:
workers, dialogs, the editor), `main_screen`, `screens`, `widgets` (they talk by
messages), `model` (what the screens show, without Textual).

May import: Textual (only this package does), `zettel.core`, `zettel.vault`,
`zettel.search` (through its `SearchEngine` protocol). Never the CLI.
"""

from __future__ import annotations

from pathlib import Path


def run(vault: Path | str) -> None:
    """Open the TUI on ``vault`` and return when the person quits."""
    from zettel.tui.app import ZettelApp  # noqa: PLC0415 - Textual loads only here

    ZettelApp(Path(vault)).run()
