"""Snapshots of the TUI's main views at a fixed size (pytest-textual-snapshot).

After a deliberate change of the look, review and update them with
``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

from conftest import wait_until
from test_tui import ZETTELKASTEN, settle
from textual.pilot import Pilot
from textual.widgets import OptionList

from zettel.tui.app import ZettelApp

SIZE = (110, 34)


def app_on(vault: Path) -> ZettelApp:
    return ZettelApp(vault, watch=False)


async def ready(pilot: Pilot[None]) -> None:
    app: ZettelApp = pilot.app  # type: ignore[assignment]
    await settle(pilot, app)
    await mentions_found(pilot)


async def mentions_found(pilot: Pilot[None]) -> None:
    """Wait until the Mentions panel lists the mentions of the note shown."""
    title = pilot.app.screen_stack[0].query_one("#mentions-title")
    await wait_until(pilot, lambda: "(" in str(title.render()), "the mentions listed")
    await pilot.pause()


def test_main_screen(snap_compare, sample_vault: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_on(sample_vault), terminal_size=SIZE, run_before=ready)


def test_note_with_backlinks(snap_compare, sample_vault: Path) -> None:  # type: ignore[no-untyped-def]
    async def open_it(pilot: Pilot[None]) -> None:
        await ready(pilot)
        pilot.app.open_note(ZETTELKASTEN)  # type: ignore[attr-defined]
        await pilot.pause()
        await mentions_found(pilot)

    assert snap_compare(app_on(sample_vault), terminal_size=SIZE, run_before=open_it)


def test_search_results(snap_compare, sample_vault: Path) -> None:  # type: ignore[no-untyped-def]
    async def search(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"slip box")
        await wait_until(pilot, lambda: pilot.app.screen.query_one(
            "#search-results", OptionList).option_count, "search results")
        await pilot.pause()

    assert snap_compare(app_on(sample_vault), terminal_size=SIZE, run_before=search)


def test_problems_screen(snap_compare, sample_vault: Path) -> None:  # type: ignore[no-untyped-def]
    async def problems(pilot: Pilot[None]) -> None:
        await ready(pilot)
        await pilot.press("p")
        await pilot.pause()

    assert snap_compare(app_on(sample_vault), terminal_size=SIZE, run_before=problems)


def test_note_in_the_light_theme(snap_compare, sample_vault: Path) -> None:  # type: ignore[no-untyped-def]
    async def light(pilot: Pilot[None]) -> None:
        await ready(pilot)
        pilot.app.theme = "textual-light"
        pilot.app.open_note(ZETTELKASTEN)  # type: ignore[attr-defined]
        await pilot.pause()
        await mentions_found(pilot)

    assert snap_compare(app_on(sample_vault), terminal_size=SIZE, run_before=light)
