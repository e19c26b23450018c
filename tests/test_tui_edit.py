"""Editing the graph from the TUI (issue 11): rename, retitle, fix a link, link
mentions, copy a link, undo; driven with Pilot on a copy of notes/.

Tests look at what the screen shows and at the files on disk after a write,
and wait with `conftest.wait_until`, never for a time.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from conftest import wait_until
from test_tui import (
    ZETTELKASTEN,
    notices,
    options,
    result_path,
    running,
    screen_text,
    shown,
)
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import DataTable

import zettel.tui.edit_screens
import zettel.tui.mention_list
from zettel.core.plan import FileChange, Plan
from zettel.tui.app import ZettelApp
from zettel.tui.edit_screens import (
    ConfirmPlanScreen,
    FixScreen,
    MoveScreen,
    PlanScreen,
    RetitleScreen,
    Values,
)
from zettel.tui.screens import ProblemsScreen
from zettel.vault.journal_entry import sign
from zettel.vault.journal_key import own_key
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
            pilot, app, "ends in .md")
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
        assert "Move 20240105093000.md to zk.md: 1 moved (u undoes it)" in notices(app)


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


OBSIDIAN = "tools/20240112093000.md"  # linked by a Markdown link from Cosma, by id from others
COSMA = "tools/20240112090000.md"
OTLET = "people/20240110110000.md"  # linked by title from Zettelkasten and the reading list
READING = "202401150900 Reading list.md"


async def test_rename_a_note_rewrites_its_links_and_undo_puts_it_back(sample_vault: Path
                                                                      ) -> None:
    before = {p: p.read_bytes() for p in sample_vault.rglob("*.md")}
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(OBSIDIAN)
        await pilot.pause()
        await pilot.press("R")
        assert isinstance(app.screen, MoveScreen)
        await pilot.press("ctrl+u", *"tools/obsidian.md")
        # the plan of the whole path typed (one of a prefix may come first)
        said = await wait_preview(pilot, app, "mv tools/20240112093000.md -> tools/obsidian.md")
        assert "1 file changed, 1 link rewritten, 1 moved" in said
        assert "tools/20240112093000.md → tools/obsidian.md" in said
        assert f"{COSMA}  1 link" in said
        await pilot.press("ctrl+o")
        assert "+Sibling tool: [Obsidian](obsidian.md)." in preview(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.history.current == "tools/obsidian.md" and
                         app.search_ready.is_set(), "the moved note shown, the index in step")
        assert "1 moved (u undoes it)" in notices(app)
        assert not (sample_vault / OBSIDIAN).exists()
        assert "Sibling tool: [Obsidian](obsidian.md)." in (sample_vault / COSMA).read_text()
        assert shown(app, "#backlinks-title") == "Backlinks (2)"  # Zettelkasten and Cosma
        assert "tools/obsidian.md" in shown(app, "#note-header")

        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmPlanScreen), "the undo")
        said = preview(app)
        assert "undo" in said and "tools/obsidian.md → tools/20240112093000.md" in said
        assert f"{COSMA}" in said
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.history.current == OBSIDIAN and
                         app.search_ready.is_set(), "the note back where it was")
    assert {p: p.read_bytes() for p in sample_vault.rglob("*.md")} == before


async def test_retitle_rewrites_links_by_title(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(OTLET)
        await pilot.pause()
        await pilot.press("T")
        assert isinstance(app.screen, RetitleScreen)
        await pilot.press("ctrl+u", *"Paul Marie Otlet")
        said = await wait_preview(pilot, app, "'Paul Otlet' -> 'Paul Marie Otlet'")
        assert "3 files changed, 2 links rewritten" in said
        assert f"{ZETTELKASTEN}  1 link" in said and f"{READING}  1 link" in said
        await pilot.press("enter")
        await wait_until(pilot, lambda: shown(app, "#note-header").startswith(
            "Paul Marie Otlet\n") and app.search_ready.is_set(), "the new title shown")
        assert "see [[Paul Marie Otlet|Paul Otlet]]" in (sample_vault / READING).read_text()
        assert "title: Paul Marie Otlet\n" in (sample_vault / OTLET).read_text()
        assert app.history.current == OTLET
        await pilot.press("slash", *"marie")
        # the note, and the two notes whose links now name it (once the index has them all)
        expected = sorted([OTLET, ZETTELKASTEN, READING])
        await wait_until(pilot, lambda: "shown" in shown(app, "#search-status") and sorted(
            map(result_path, options(app, "#search-results"))) == expected, "the three results")


async def test_retitle_keeping_the_old_title_as_an_alias(sample_vault: Path) -> None:
    reading = (sample_vault / READING).read_bytes()
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(OTLET)
        await pilot.pause()
        await pilot.press("T", "ctrl+u", *"Otlet", "tab", "space")  # tick: keep as an alias
        # the preview of the title typed may come before the box is ticked: wait for the latter
        await wait_preview(pilot, app, "1 file changed, 0 links rewritten")
        await pilot.press("enter")
        await wait_until(pilot, lambda: shown(app, "#note-header").startswith("Otlet\n"),
                         "the new title shown")
    assert (sample_vault / READING).read_bytes() == reading
    assert "- Paul Otlet" in (sample_vault / OTLET).read_text()  # among the aliases


async def test_a_file_changed_after_the_preview_is_not_overwritten(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(OTLET)
        await pilot.pause()
        await pilot.press("T", "ctrl+u", *"Paul Marie Otlet")
        await wait_preview(pilot, app, "'Paul Otlet' -> 'Paul Marie Otlet'")
        edited = (sample_vault / READING).read_text() + "Edited elsewhere.\n"
        (sample_vault / READING).write_text(edited, encoding="utf-8")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Nothing written" in notices(app), "the refusal")
        assert app.is_running
        assert (sample_vault / READING).read_text() == edited
        assert "title: Paul Otlet\n" in (sample_vault / OTLET).read_text()


async def test_a_refused_plan_says_why_in_the_preview(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        app.open_note(OTLET)
        await pilot.pause()
        await pilot.press("R", "ctrl+u", *f"{ZETTELKASTEN}")
        # (the preview of the emptied input, "Cannot do it: type ...", may come first)
        said = await wait_preview(pilot, app, "already exists")
        assert f"Cannot do it: '{ZETTELKASTEN}' already exists; zettel does not overwrite it" \
            in said
        await pilot.press("escape")
        assert not isinstance(app.screen, MoveScreen)


async def test_nothing_to_undo_is_a_notice(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: "Nothing to undo" in notices(app), "the notice")
        assert app.is_running and not isinstance(app.screen, ConfirmPlanScreen)


def edit_bindings() -> list[tuple[str, Binding]]:
    """(class, binding) for each binding with a description that the editing dialogs
    and the mentions panel declare."""
    found = []
    for module in (zettel.tui.edit_screens, zettel.tui.mention_list):
        for name, owner in inspect.getmembers(module, inspect.isclass):
            if owner.__module__ == module.__name__ and issubclass(owner, DOMNode):
                found += [(name, b if isinstance(b, Binding) else Binding(*b))
                          for b in vars(owner).get("BINDINGS", [])]
    return [(name, b) for name, b in found if b.description]


async def test_help_lists_the_editing_keys(sample_vault: Path) -> None:
    declared = edit_bindings()
    assert {"PlanScreen", "ConfirmPlanScreen", "MentionList"} <= {o for o, _ in declared}
    async with running(sample_vault, size=(130, 90)) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        for owner, binding in declared:
            keys = " or ".join(app.get_key_display(Binding(key, binding.action))
                               for key in binding.key.split(","))
            what = binding.description + (f": {binding.tooltip}" if binding.tooltip else "")
            row = re.compile(rf"(?<!\w){re.escape(keys)}\s+{re.escape(what)}")
            assert any(row.search(line) for line in lines), f"{owner}: {binding.key} {what!r}"
        for where in ("Mentions (below the note)", "Rename, retitle (R, T)", "Undo (u)"):
            assert any(where in line for line in lines), where


AHRENS = "people/20240108103000.md"  # named as text in Fleeting notes and the reading list
FLEETING = "20240106091000.md"


def mentions_title(app: ZettelApp) -> str:
    return shown(app, "#mentions-title")


async def test_mentions_panel_lists_and_links_a_mention(sample_vault: Path) -> None:
    fleeting = (sample_vault / FLEETING).read_bytes()
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(AHRENS)
        await wait_until(pilot, lambda: mentions_title(app) == "Mentions (2)", "the mentions")
        listed = options(app, "#mentions")
        assert listed[0].startswith("Fleeting notes:12\n") and "Sönke Ahrens" in listed[0]
        assert listed[1].startswith("Reading list:5\n")
        assert shown(app, "#backlinks-title") == "Backlinks (1)"  # How to Take Smart Notes
        mentions = app.query_one("#mentions")
        mentions.focus()
        await pilot.press("home", "l")  # link the first: in Fleeting notes
        await wait_until(pilot, lambda: mentions_title(app) == "Mentions (1)" and
                         app.search_ready.is_set(), "the mention linked")
        assert "link 1 mention of 'Sönke Ahrens'" in notices(app)
        assert "[[20240108103000|Sönke Ahrens]] describes them" in \
            (sample_vault / FLEETING).read_text()
        assert shown(app, "#backlinks-title") == "Backlinks (2)"
        assert any(o.startswith("Fleeting notes\n") for o in options(app, "#backlinks"))
        await pilot.press("u")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmPlanScreen), "the undo")
        await pilot.press("enter")
        await wait_until(pilot, lambda: mentions_title(app) == "Mentions (2)", "undone")
    assert (sample_vault / FLEETING).read_bytes() == fleeting


async def test_link_every_mention(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note(AHRENS)
        await wait_until(pilot, lambda: mentions_title(app) == "Mentions (2)", "the mentions")
        app.query_one("#mentions").focus()
        await pilot.press("L")
        await wait_until(pilot, lambda: mentions_title(app) == "Mentions (0)", "all linked")
        assert shown(app, "#backlinks-title") == "Backlinks (3)"
        assert "see [[Niklas Luhmann]]" in (sample_vault / READING).read_text()  # untouched
        assert "- [[How to Take Smart Notes]], [[20240108103000|Sönke Ahrens]] (2017)" in \
            (sample_vault / READING).read_text()


async def test_enter_on_a_mention_opens_its_note(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        app.open_note(AHRENS)
        await wait_until(pilot, lambda: mentions_title(app) == "Mentions (2)", "the mentions")
        app.query_one("#mentions").focus()
        await pilot.press("end", "enter")  # the last: in the reading list
        await wait_until(pilot, lambda: app.history.current == READING, "the reading list")


HYPERTEXT = "20240110113000.md"  # holds the broken link to 'Project Xanadu', line 12


async def fix_screen_for(pilot: Pilot[None], app: ZettelApp, target: str) -> list[str]:
    """Open the problems screen, Enter on the row of the link to ``target``; the choices."""
    await pilot.press("p")
    table = app.screen.query_one("#problems", DataTable)
    row = next(i for i in range(table.row_count) if f"'{target}'" in str(table.get_row_at(i)[3]))
    table.move_cursor(row=row)
    await pilot.press("enter")
    assert isinstance(app.screen, FixScreen)
    return await wait_until(pilot, lambda: options(app, "#fix-choices"), "the choices")


def problem_kinds(app: ZettelApp) -> list[str]:
    table = app.screen.query_one("#problems", DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_fix_a_broken_link_by_creating_the_note(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        choices = await fix_screen_for(pilot, app, "Project Xanadu")
        assert "[[Project Xanadu]] aimed at two-way links" in shown(app, "#fix-context")
        assert [c.split("  ")[0] for c in choices] == [
            "Create the note 'Project Xanadu'", "Open the note at the link"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemsScreen) and
                         problem_kinds(app) == ["orphan"], "the broken link gone")
        created = [p for p in sample_vault.glob("*.md") if "title: Project Xanadu" in
                   p.read_text(encoding="utf-8")]
        assert len(created) == 1 and "1 created (u undoes it)" in notices(app)
        await pilot.press("u")  # on the problems screen too
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmPlanScreen), "the undo")
        assert f"- {created[0].name}  (removed: zettel created it)" in preview(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ProblemsScreen) and
                         problem_kinds(app) == ["broken-link", "orphan"], "the link broken again")
        assert not created[0].exists()


async def test_fix_a_typo_with_its_candidate(sample_vault: Path) -> None:
    (sample_vault / "typo.md").write_text("---\ntitle: Typo\n---\nSee [[Zettelkastn]].\n",
                                          encoding="utf-8")
    async with running(sample_vault, notifications=True) as (app, pilot):
        choices = await fix_screen_for(pilot, app, "Zettelkastn")
        assert choices[0].startswith(f"Zettelkasten  ({ZETTELKASTEN})")
        assert "zettel fix --apply writes it" in choices[0]
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Zettelkastn" not in str(problem_kinds(app)) and
                         "broken-link 1" in shown(app, "#problems-summary"), "the link fixed")
        assert (sample_vault / "typo.md").read_text() == \
            "---\ntitle: Typo\n---\nSee [[Zettelkasten]].\n"


async def test_fix_an_ambiguous_link_with_the_note_chosen(sample_vault: Path) -> None:
    (sample_vault / "twins").mkdir()
    (sample_vault / "twins/a.md").write_text("---\ntitle: Twin\n---\nOne.\n", encoding="utf-8")
    (sample_vault / "twins/b.md").write_text("---\ntitle: Twin\n---\nTwo.\n", encoding="utf-8")
    (sample_vault / "c.md").write_text("---\ntitle: Chooser\n---\nSee [[Twin]].\n",
                                       encoding="utf-8")
    async with running(sample_vault, notifications=True) as (app, pilot):
        choices = await fix_screen_for(pilot, app, "Twin")
        assert [c.split("  ")[:2] for c in choices[:2]] == [["Twin", "(twins/a.md)"],
                                                            ["Twin", "(twins/b.md)"]]
        assert not any("Create the note" in c for c in choices)  # it is not broken
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: "ambiguous-link 0" in shown(app, "#problems-summary"),
                         "the link fixed")
    # by its path, the words the reader saw kept as label
    assert (sample_vault / "c.md").read_text() == \
        "---\ntitle: Chooser\n---\nSee [[twins/b|Twin]].\n"


async def test_open_the_note_from_the_fix_dialog(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await fix_screen_for(pilot, app, "Project Xanadu")
        await pilot.press("end", "enter")
        await wait_until(pilot, lambda: app.history.current == HYPERTEXT, "the note opened")
        assert not isinstance(app.screen, ProblemsScreen | FixScreen)


async def test_enter_in_the_filter_shows_the_first_note_listed(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("f", *"obsidian", "enter")
        await pilot.pause()
        assert app.history.current == OBSIDIAN
        assert shown(app, "#note-header").startswith("Obsidian\n")


async def test_a_damaged_journal_is_a_notice(sample_vault: Path) -> None:
    journal = sample_vault / ".zettel" / "journal"
    journal.mkdir(parents=True)
    (journal / "00000001.done").write_bytes(sign(own_key(), b"garbage\n", b"") + b"garbage\n")
    async with running(sample_vault, notifications=True) as (app, pilot):
        await pilot.press("u")
        said = await wait_until(pilot, lambda: notices(app) if "Cannot undo" in notices(app)
                                else "", "the notice")
        assert "'00000001.done' is damaged" in said and app.is_running


async def test_retitle_with_the_file_name_following(sample_vault: Path) -> None:
    (sample_vault / "my-idea.md").write_text("---\ntitle: My idea\n---\nAn idea.\n",
                                             encoding="utf-8")
    (sample_vault / "other.md").write_text("---\ntitle: Other\n---\nSee [[my-idea]].\n",
                                           encoding="utf-8")
    async with running(sample_vault, notifications=True) as (app, pilot):
        app.open_note("my-idea.md")
        await pilot.pause()
        await pilot.press("T", "ctrl+u", *"Better idea", "tab", "tab", "space")
        said = await wait_preview(pilot, app, "my-idea.md → better-idea.md")
        assert "1 moved" in said
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.history.current == "better-idea.md" and
                         app.model.report is not None, "the note at its new path")
        assert shown(app, "#note-header").startswith("Better idea\n")
        assert shown(app, "#backlinks-title") == "Backlinks (1)"  # the link still reaches it
        assert not (sample_vault / "my-idea.md").exists()
        report = app.model.report
        assert report is not None and report.counts["broken-link"] == 1  # Xanadu's, as before


async def test_the_seed_notes_mentions_and_a_rename_preview(seeds_vault: Path) -> None:
    async with running(seeds_vault) as (app, pilot):
        for path in sorted(app.model.notes):
            app.open_note(path)
            await wait_until(pilot, lambda: re.fullmatch(r"Mentions \(\d+\)",
                                                         mentions_title(app)),
                             f"the mentions of {path}")
        await pilot.press("R", "ctrl+u", *"renamed/seed.md")
        said = await wait_preview(pilot, app, "→ renamed/seed.md")
        assert "1 moved" in said and "Cannot" not in said
