"""Editing the graph from the TUI (issue 11): rename, retitle, fix a link, link
mentions, copy a link, undo; driven with Pilot on a copy of notes/.

Tests look at what the screen shows and at the files on disk after a write,
and wait with `conftest.wait_until`, never for a time.
"""

from __future__ import annotations

from pathlib import Path

from conftest import wait_until
from test_tui import ZETTELKASTEN, notices, running, shown
from textual.pilot import Pilot

from zettel.core.plan import FileChange, Plan
from zettel.tui.app import ZettelApp
from zettel.tui.edit_screens import MoveScreen, PlanScreen, Values
from zettel.vault.scan import content_digest


def preview(app: ZettelApp) -> str:
    """What the preview of the dialog on top shows."""
    return shown(app, "#preview-text")


async def wait_preview(pilot: Pilot[None], app: ZettelApp, text: str) -> str:
    return await wait_until(pilot, lambda: preview(app) if text in preview(app) else "",
                            f"the preview saying {text!r}")


def only_move(root: Path, path: str) -> tuple[list[Values], object]:
    """A planner that moves ``path`` and rewrites nothing (the dialog is under test,
    not the engine), and the values it was called with."""
    seen: list[Values] = []

    def planner(values: Values) -> Plan:
        seen.append(values)
        new_path = values[0].strip()
        if not new_path.endswith(".md"):
            raise ValueError("a note's file name ends in .md")
        data = (root / path).read_bytes()
        return Plan("mv", f"Move {path} to {new_path}",
                    (FileChange(path, data.decode(), content_digest(data), new_path=new_path),))

    return seen, planner


async def test_a_plan_dialog_previews_as_you_type_and_writes_on_enter(sample_vault: Path) -> None:
    seen, planner = only_move(sample_vault, ZETTELKASTEN)
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.push_screen(MoveScreen(ZETTELKASTEN, planner),  # type: ignore[arg-type]
                        lambda plan: app.edits.write(plan, current=ZETTELKASTEN))
        await pilot.pause()
        assert "Type the new path" in preview(app) and not seen  # nothing planned yet
        await pilot.press("ctrl+u", *"zk")
        assert "Cannot do it: a note's file name ends in .md" in await wait_preview(
            pilot, app, "Cannot")
        await pilot.press("enter")  # the preview says it cannot be written: nothing is
        assert isinstance(app.screen, PlanScreen)
        await pilot.press(*".md")
        said = await wait_preview(pilot, app, "zk.md")
        assert "Move 20240105093000.md to zk.md" in said
        assert "20240105093000.md → zk.md" in said and "1 moved" in said
        assert seen[-1] == ("zk.md",)
        await pilot.press("ctrl+o")  # the diff
        assert "rename from 20240105093000.md" in preview(app)
        assert "rename to zk.md" in preview(app)
        await pilot.press("ctrl+o")
        assert "→ zk.md" in preview(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.history.current == "zk.md" and
                         app.search_ready.is_set(), "the moved note shown, the index in step")
        assert (sample_vault / "zk.md").is_file()
        assert not (sample_vault / ZETTELKASTEN).exists()
        assert "Move 20240105093000.md to zk.md: 0 files changed, 0 links rewritten, " \
            "1 moved (u undoes it)" in notices(app)


async def test_enter_before_the_preview_shows_it_first(sample_vault: Path) -> None:
    seen, planner = only_move(sample_vault, ZETTELKASTEN)
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.push_screen(MoveScreen(ZETTELKASTEN, planner))  # type: ignore[arg-type]
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+u", *"a.md", "enter")  # before the pause the preview waits for
        await wait_preview(pilot, app, "→ a.md")
        assert app.screen is screen and not (sample_vault / "a.md").exists()
        assert "Enter again writes it" in notices(app)


async def test_copy_a_link_to_the_note(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(ZETTELKASTEN)
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: "Copied" in notices(app), "a notice")
        # notes/ links by id: the vault's style is [[id]]
        assert app.clipboard == "[[20240105093000]]"
        assert "Copied [[20240105093000]]" in notices(app)
