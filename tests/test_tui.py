"""The TUI, driven with Textual's Pilot on a copy of notes/: every flow a person uses.

Tests look at what the screen shows (widgets found with the query API, their text, the
screenshot's text) and wait with `conftest.wait_until`, never for a time.
"""

from __future__ import annotations

import html
import inspect
import os
import re
import stat
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import wait_until
from textual.binding import Binding
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, Tree

import zettel.search.keeper
import zettel.tui.app
import zettel.tui.main_screen
import zettel.tui.screens
import zettel.tui.widgets
from zettel.tui.app import ZettelApp
from zettel.tui.model import VaultModel
from zettel.tui.screens import NeighbourhoodScreen, PickScreen, ProblemsScreen, SearchScreen
from zettel.tui.widgets import NoteList, Reader, TagPanel

ZETTELKASTEN = "20240105093000.md"
LUHMANN = "people/20240105101500.md"
OTLET = "people/20240110110000.md"
HYPERTEXT = "20240110113000.md"  # holds the broken link to 'Project Xanadu'
ATOMIC = "20240105110200.md"  # links to Zettelkasten and Permanent notes only


async def settle(pilot: Pilot[None], app: ZettelApp, *, index: bool = True) -> None:
    """Wait until the vault is read, analysed and (if asked) indexed."""
    await wait_until(pilot, lambda: app.model.report is not None and
                     (app.search_ready.is_set() or not index),
                     "the vault read and checked" + (" and indexed" if index else ""))
    await pilot.pause()


@asynccontextmanager
async def running(vault: Path, *, size: tuple[int, int] = (120, 36), watch: bool = False,
                  notifications: bool = False) -> AsyncIterator[tuple[ZettelApp, Pilot[None]]]:
    app = ZettelApp(vault, watch=watch)
    async with app.run_test(size=size, notifications=notifications) as pilot:
        await settle(pilot, app)
        yield app, pilot


async def open_note(pilot: Pilot[None], app: ZettelApp, path: str) -> None:
    app.open_note(path)
    await pilot.pause()


def rows(app: ZettelApp) -> list[str]:
    """The paths of the notes listed, in order."""
    return list(app.query_one(NoteList).paths)


def column(app: ZettelApp, index: int) -> list[str]:
    """What the note list shows in one column (0 title, 1 id, 2 types, 3 backlinks)."""
    table = app.query_one(NoteList)
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


def options(app: ZettelApp, selector: str) -> list[str]:
    """The text of each option of an option list of the screen on top."""
    found = app.screen.query_one(selector, OptionList)
    return [str(found.get_option_at_index(i).prompt) for i in range(found.option_count)]


def shown(app: ZettelApp, selector: str) -> str:
    """The text a widget of the screen on top shows."""
    return str(app.screen.query_one(selector).render())


def note_text(app: ZettelApp) -> str:
    """The note's text as the reader shows it (its Markdown)."""
    return app.query_one(Reader).shown


async def test_opens_on_the_first_note_and_follows_the_cursor(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        assert len(rows(app)) == 23
        first = rows(app)[0]
        assert app.history.current == first
        assert app.focused is app.query_one(NoteList)
        await pilot.press("down")
        await pilot.pause()
        assert app.history.current == rows(app)[1]


async def test_a_second_session_opens_on_the_saved_list(sample_vault: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, OTLET)
    (sample_vault / "later.md").write_text("---\ntitle: Later\n---\nNew.\n", encoding="utf-8")
    may_read, read = threading.Event(), VaultModel.read

    def held(self: VaultModel, *args: object, **kwargs: object) -> object:
        may_read.wait()  # the vault is read once the test has seen the saved list
        return read(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(VaultModel, "read", held)
    app = ZettelApp(sample_vault, watch=False)
    async with app.run_test(size=(120, 36)) as pilot:
        try:
            await wait_until(pilot, lambda: app.history.current, "a note shown")
            assert len(rows(app)) == 23 and "later.md" not in rows(app)  # the saved list
            assert not app.model.complete and "Commonplace book" in column(app, 0)
            assert app.history.current == rows(app)[0] and note_text(app)
        finally:
            may_read.set()
        await settle(pilot, app)
        assert app.model.complete and "later.md" in rows(app) and "Later" in column(app, 0)
        assert note_text(app)


@pytest.mark.parametrize(("typed", "expected"), [
    ("otlet", [OTLET]),
    ("sonke", ["people/20240108103000.md"]),          # accents ignored
    ("zettelkastn", [ZETTELKASTEN]),                  # a typo
    ("slip box", [ZETTELKASTEN]),                     # an alias
    ("20240110110000", [OTLET]),                      # an id
])
async def test_filter_as_you_type(sample_vault: Path, typed: str, expected: list[str]) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("f")
        await pilot.press(*typed)
        await pilot.pause()
        assert rows(app)[: len(expected)] == expected
        assert len(rows(app)) < 23
        await pilot.press("enter")
        assert app.focused is app.query_one(NoteList)


async def test_follow_a_link_then_back_and_forward(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        await pilot.press("r", "tab")
        await pilot.pause()
        assert "**▶ [Niklas Luhmann](zettel:0)**" in note_text(app)  # the first link, marked
        await pilot.press("enter")
        await pilot.pause()
        assert app.history.current == LUHMANN
        assert "Zettelkasten" in shown(app, "#trail")  # where it came from
        await pilot.press("left_square_bracket")
        assert app.history.current == ZETTELKASTEN
        await pilot.press("right_square_bracket")
        assert app.history.current == LUHMANN
        await pilot.press("alt+left")
        assert app.history.current == ZETTELKASTEN
        assert "Niklas Luhmann" not in shown(app, "#trail")
        assert "(1 forward: ])" in shown(app, "#trail")


async def test_links_show_titles_not_ids(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        assert "[[" not in note_text(app) and "20240105101500" not in note_text(app)
        assert "[Niklas Luhmann](zettel:0)" in note_text(app)


async def test_a_broken_link_says_so(sample_vault: Path) -> None:
    async with running(sample_vault, notifications=True) as (app, pilot):
        await open_note(pilot, app, HYPERTEXT)
        found = re.search(r"\[Project Xanadu ✗\]\(zettel:(\d+)\)", note_text(app))
        assert found is not None  # marked as broken
        await pilot.press("r", *["tab"] * (int(found[1]) + 1))
        assert "**▶ [Project Xanadu ✗]" in note_text(app)
        await pilot.press("enter")
        assert "Broken link: no note matches 'Project Xanadu'" in await wait_for(
            pilot, app, "Broken link")
        assert app.history.current == HYPERTEXT


async def test_an_ambiguous_link_offers_its_candidates(sample_vault: Path) -> None:
    (sample_vault / "a.md").write_text("---\ntitle: Twin\n---\nOne.\n", encoding="utf-8")
    (sample_vault / "b.md").write_text("---\ntitle: Twin\n---\nTwo.\n", encoding="utf-8")
    (sample_vault / "c.md").write_text("---\ntitle: Chooser\n---\nSee [[Twin]].\n",
                                       encoding="utf-8")
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, "c.md")
        await pilot.press("r", "tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        assert options(app, "#pick") == ["Twin  (a.md)", "Twin  (b.md)"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.history.current == "b.md"


async def test_backlinks_open(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        assert shown(app, "#backlinks-title") == "Backlinks (8)"
        backlinks = app.query_one("#backlinks", OptionList)
        assert backlinks.option_count == 8
        backlinks.focus()
        await pilot.press("down", "down")
        assert backlinks.highlighted == 1
        second = options(app, "#backlinks")[1]  # its title, then its paragraph
        await pilot.press("enter")
        await pilot.pause()
        assert second.startswith(shown(app, "#note-header").split("\n")[0] + "\n")
        assert app.history.back_stack[-1] == ZETTELKASTEN


async def test_tag_filter_any_of_several(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        panel = app.query_one(TagPanel)
        await pilot.press("t")
        assert app.focused is panel
        await pilot.press("down", "enter")  # the first tag
        await pilot.pause()
        assert str(panel.cursor_node.label if panel.cursor_node else "").startswith(
            "✓ documentation")
        assert rows(app) and all("documentation" in app.model.notes[p].tags for p in rows(app))
        await pilot.press("down", "enter")  # and the second: either one
        await pilot.pause()
        assert all({"documentation", "format"} & set(app.model.notes[p].tags)
                   for p in rows(app))
        assert any("documentation" not in app.model.notes[p].tags for p in rows(app))
        await pilot.press("x")
        await pilot.pause()
        assert len(rows(app)) == 23


async def test_type_filter(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        panel = app.query_one(TagPanel)
        type_branch = panel.root.children[1]
        person = next(n for n in type_branch.children if n.data == ("type", "personne"))
        panel.focus()
        panel.move_cursor(person)
        await pilot.press("enter")
        await pilot.pause()
        assert sorted(rows(app)) == [LUHMANN, "people/20240108103000.md",
                                     "people/20240109093000.md", OTLET]  # the four people


async def test_sort_orders(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        titles = column(app, 0)
        assert titles == sorted(titles, key=str.casefold)
        await pilot.press("s")  # by id
        ids = column(app, 1)
        assert ids[0] == "20240105093000" and ids == sorted(ids, key=lambda i: (not i, i))
        await pilot.press("s")  # by backlinks
        counts = [int(n or 0) for n in column(app, 3)]
        assert counts[0] == 8 and counts == sorted(counts, reverse=True)


def result_path(option: str) -> str:
    """The path a search result shows: ``Title · path:line`` on its first line."""
    return option.split("\n")[0].rsplit(" · ", 1)[1].rsplit(":", 1)[0]


async def test_search_then_open_at_the_match(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"mundaneum")
        await wait_until(pilot, lambda: options(app, "#search-results"), "results")
        found = options(app, "#search-results")
        assert len(found) == 2 and found[0].startswith(f"Paul Otlet · {OTLET}:15\n")
        await pilot.press("enter")  # the best match: the note about the Mundaneum's founder
        await pilot.pause()
        assert not isinstance(app.screen, SearchScreen)
        assert app.history.current == OTLET
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"slip box")
        await wait_until(pilot, lambda: len(options(app, "#search-results")) > 1, "results")
        first, second = map(result_path, options(app, "#search-results")[:2])
        assert first != second
        await pilot.press("down", "down", "enter")  # into the list, then the second one
        await pilot.pause()
        assert app.history.current == second


async def test_a_malformed_search_says_why(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*'"open')
        await wait_until(pilot, lambda: "phrase" in shown(app, "#search-status"), "why")
        assert "phrase is not closed" in shown(app, "#search-status")


async def test_command_palette_jumps_to_a_note(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("ctrl+p")
        await pilot.press(*"Paul Otlet")
        await wait_until(pilot, lambda: (hits := options(app, "OptionList"))
                         and "Paul Otlet" in hits[0], "Paul Otlet, first in the palette")
        await pilot.press("enter")
        await pilot.pause()
        assert app.history.current == OTLET


def fake_editor(tmp_path: Path, text: str) -> Path:
    script = tmp_path / "editor.py"
    script.write_text(f"#!{sys.executable}\nimport sys\n"
                      f"with open(sys.argv[1], 'a', encoding='utf-8') as f:\n"
                      f"    f.write({text!r})\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


async def test_create_a_note(sample_vault: Path, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    editor = fake_editor(tmp_path, "\nWritten in the editor, about [[Zettelkasten]].\n")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(editor))
    async with running(sample_vault) as (app, pilot):
        await pilot.press("n")
        await pilot.press(*"Fresh idea", "enter", *"concept", "enter", *"test, idée", "enter")
        await wait_until(pilot, lambda: "Fresh idea" in column(app, 0), "the new note listed")
        await settle(pilot, app)
        created = app.history.current or ""
        assert re.fullmatch(r"\d{14}\.md", created) and "Written in the editor" in note_text(app)
        header = shown(app, "#note-header")
        assert "Fresh idea" in header and "types: concept" in header
        assert "tags: test, idée" in header
        await open_note(pilot, app, ZETTELKASTEN)
        assert shown(app, "#backlinks-title") == "Backlinks (9)"
        assert any(o.startswith("Fresh idea\n") for o in options(app, "#backlinks"))


async def test_edit_refreshes_note_links_and_index(sample_vault: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(fake_editor(tmp_path, "\nNow about [[Paul Otlet]] too: "
                                                            "quintessential.\n")))
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ATOMIC)
        assert options(app, "#outgoing") == ["Zettelkasten", "Permanent notes"]
        await pilot.press("e")
        await wait_until(pilot, lambda: app.search_ready.is_set() and
                         "Paul Otlet" in options(app, "#outgoing"),
                         "the edited note read again, its links and the index in step")
        assert app.history.current == ATOMIC and "quintessential" in note_text(app)
        await pilot.press("slash", *"quintessential")
        await wait_until(pilot, lambda: "shown" in shown(app, "#search-status"), "results")
        assert [result_path(o) for o in options(app, "#search-results")] == [ATOMIC]


async def test_problems_screen_jumps_to_the_note(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        table = app.screen.query_one("#problems", DataTable)
        kinds = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert kinds == ["broken-link", "orphan"]
        summary = shown(app, "#problems-summary")
        assert "broken-link 1  ambiguous-link 0  duplicate-id 0  yaml-error 0  orphan 1  " \
            "isolated 0" in summary
        await pilot.press("enter")  # a broken link: the ways to fix it, the last opens it
        await wait_until(pilot, lambda: options(app, "#fix-choices"), "the choices")
        assert options(app, "#fix-choices")[-1].startswith("Open the note at the link")
        await pilot.press("end", "enter")
        await pilot.pause()
        assert app.history.current == HYPERTEXT


async def test_neighbourhood(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        await pilot.press("g")
        assert isinstance(app.screen, NeighbourhoodScreen)
        # The 11 notes Zettelkasten links to, and 3 more that link to it.
        assert "depth 1 (1-3), in and out links (d), 14 notes" in shown(
            app, "#neighbourhood-title")
        await pilot.press("2")
        deeper = re.search(r"depth 2 .* (\d+) notes", shown(app, "#neighbourhood-title"))
        assert deeper is not None and int(deeper[1]) > 14
        await pilot.press("d")
        assert "outgoing" in shown(app, "#neighbourhood-title")
        tree = app.screen.query_one("#neighbourhood", Tree)
        await pilot.press("down")
        chosen = str(tree.cursor_node.label if tree.cursor_node else "")
        assert chosen != "Zettelkasten"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, NeighbourhoodScreen)
        assert app.history.current != ZETTELKASTEN
        assert shown(app, "#note-header").startswith(chosen + "\n")


def declared_bindings() -> list[tuple[str, Binding]]:
    """(class, binding) for every binding with a description that the app, a screen or a
    widget of the TUI declares: what the help must show."""
    found: list[tuple[str, Binding]] = []
    for module in (zettel.tui.app, zettel.tui.main_screen, zettel.tui.screens,
                   zettel.tui.widgets):
        for name, owner in inspect.getmembers(module, inspect.isclass):
            if owner.__module__ == module.__name__ and issubclass(owner, DOMNode):
                for declared in vars(owner).get("BINDINGS", []):
                    binding = declared if isinstance(declared, Binding) else Binding(*declared)
                    if binding.description:
                        found.append((name, binding))
    return found


async def test_help_lists_every_binding(sample_vault: Path) -> None:
    declared = declared_bindings()
    assert {"ZettelApp", "MainScreen", "Reader", "NeighbourhoodScreen"} <= \
        {owner for owner, _ in declared}
    async with running(sample_vault, size=(130, 70)) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        lines = screen_text(app).splitlines()
        for owner, binding in declared:
            keys = [app.get_key_display(Binding(key, binding.action))
                    for key in binding.key.split(",")]
            what = binding.description + (f": {binding.tooltip}" if binding.tooltip else "")
            row = re.compile(rf"(?<!\w){re.escape(' or '.join(keys))}\s+{re.escape(what)}")
            assert any(row.search(line) for line in lines), \
                f"{owner}: {binding.key} {what!r} not in the help"
        for where in ("Everywhere", "The main screen", "In the note (r)", "In every dialog",
                      "Neighbourhood (g)", "New note (n)"):
            assert any(where in line for line in lines), where
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_file_changed_on_disk_is_picked_up(sample_vault: Path) -> None:
    async with running(sample_vault, watch=True) as (app, pilot):
        (sample_vault / "outside.md").write_text("---\ntitle: Written outside\n---\nHello.\n",
                                                 encoding="utf-8")
        await wait_until(pilot, lambda: "Written outside" in column(app, 0),
                         "the new file listed")
        assert "outside.md" in rows(app)


async def test_the_seed_notes_render(seeds_vault: Path) -> None:
    async with running(seeds_vault) as (app, pilot):
        for path in sorted(app.model.notes):
            await open_note(pilot, app, path)
            await pilot.pause()
            assert app.history.current == path
            assert app.query_one(Reader).query_one("#note-body").children


async def test_a_note_that_cannot_be_rendered_shows_its_text(sample_vault: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    async with running(sample_vault) as (app, pilot):
        def broken(path: str, selected: int | None = None) -> str:
            raise ValueError("no luck")

        monkeypatch.setattr(app.model, "render", broken)
        await open_note(pilot, app, ZETTELKASTEN)
        assert "could not be rendered" in note_text(app) and "slip box" in note_text(app)


async def test_works_at_80x24(sample_vault: Path) -> None:
    async with running(sample_vault, size=(80, 24)) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        assert app.query_one(Reader).region.width >= 30
        assert app.query_one(NoteList).region.width >= 28


def test_no_subcommand_opens_the_tui_only_on_a_terminal(sample_vault: Path) -> None:
    import subprocess

    result = subprocess.run([sys.executable, "-m", "zettel.cli.main", str(sample_vault)],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "ZETTEL_VAULT": ""})
    assert result.returncode == 0 and "Usage:" in result.stdout  # no terminal: help
    missing = subprocess.run([sys.executable, "-m", "zettel.cli.main", "no-such-folder"],
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "No such command" in missing.stderr


async def test_without_a_search_index_the_rest_works(sample_vault: Path) -> None:
    index = sample_vault / ".zettel" / "index"
    index.parent.mkdir(exist_ok=True)
    index.write_text("not a folder", encoding="utf-8")  # the index cannot be made
    app = ZettelApp(sample_vault, watch=False)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await settle(pilot, app, index=False)
        said = await wait_for(pilot, app, "Search is unavailable")
        assert "UnsafeStateDir" not in said  # one plain line
        assert len(rows(app)) == 23
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press("x")
        await wait_until(pilot, lambda: "unavailable" in shown(app, "#search-status"), "why")
        assert "search unavailable" in shown(app, "#search-status")


async def test_a_broken_config_while_running_is_reported(sample_vault: Path) -> None:
    async with running(sample_vault, watch=True, notifications=True) as (app, pilot):
        (sample_vault / ".zettel" / "config.yaml").write_text("extensions: [md\n",
                                                               encoding="utf-8")
        await wait_for(pilot, app, "Cannot read the vault")
        assert len(rows(app)) == 23 and app.is_running


async def test_opening_at_a_line_scrolls_there(sample_vault: Path) -> None:
    lines = [f"Paragraph {i} of a long note.\n" for i in range(1, 201)]
    (sample_vault / "long.md").write_text("---\ntitle: Long\n---\n" + "\n".join(lines),
                                          encoding="utf-8")
    async with running(sample_vault) as (app, pilot):
        app.open_note("long.md", line=4 + 2 * 150)  # paragraph 151: three quarters down
        reader = app.query_one(Reader)
        # The Markdown is parsed, laid out, then scrolled.
        await wait_until(pilot, lambda: reader.scroll_y > 0, "the note scrolled")
        assert reader.max_scroll_y > 0
        assert 0.6 < reader.scroll_y / reader.max_scroll_y < 0.9
        app.open_note(OTLET)
        await wait_until(pilot, lambda: reader.scroll_y == 0, "the next note at its top")


def screen_text(app: ZettelApp) -> str:
    """What the screen shows, as text (from the screenshot Textual takes of it)."""
    rows: dict[float, str] = {}
    for y, span in re.findall(r'<text[^>]*\by="([\d.]+)"[^>]*>(.*?)</text>',
                              app.export_screenshot(), flags=re.S):
        rows[float(y)] = rows.get(float(y), "") + html.unescape(span).replace("\xa0", " ")
    return "\n".join(rows[y] for y in sorted(rows))


def notices(app: ZettelApp) -> str:
    """The text of the notices (toasts) on the screen, one a line."""
    return "\n".join(str(toast.render()) for toast in app.screen.query("Toast"))


async def wait_for(pilot: Pilot[None], app: ZettelApp, text: str) -> str:
    """Wait until a notice holds ``text`` (the app must run with notifications);
    return the notices and the screen's text."""
    said = await wait_until(pilot, lambda: notices(app) if text in notices(app) else "",
                            f"a notice saying {text!r}")
    return said + "\n" + screen_text(app)


@pytest.mark.parametrize(("planted", "said"), [
    ("zettel.tui.model.open_vault", "Cannot read the vault"),
    ("zettel.tui.model.VaultModel.analyse", "Cannot check the vault"),
    ("zettel.search.keeper.SearchIndex.sync", "Search is unavailable"),
    ("watchfiles.watch", "Cannot watch the files"),
    ("zettel.tui.model.VaultModel.changed_on_disk", "Cannot look for changed files"),
])
async def test_a_worker_that_fails_is_a_notice_and_the_app_goes_on(
        sample_vault: Path, monkeypatch: pytest.MonkeyPatch, planted: str, said: str) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise LookupError("planted failure")

    monkeypatch.setattr(planted, fail)
    app = ZettelApp(sample_vault, watch=True)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        shown_now = await wait_for(pilot, app, "planted failure")
        assert app.is_running
        assert said in shown_now and "LookupError: planted failure" in shown_now
        await pilot.press("question_mark")  # and it still answers
        assert app.screen.query_one("#help", DataTable).row_count > 5


async def test_a_search_that_fails_says_so(sample_vault: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    failing = threading.Event()
    failing.set()
    search = zettel.search.keeper.SearchIndex.search

    def fail(*args: Any, **kwargs: Any) -> Any:
        if failing.is_set():
            raise IndexError("planted failure")
        return search(*args, **kwargs)

    async with running(sample_vault, notifications=True) as (app, pilot):
        monkeypatch.setattr("zettel.search.keeper.SearchIndex.search", fail)
        await pilot.press("slash", *"otlet")
        said = await wait_for(pilot, app, "search failed")
        assert app.is_running and "search failed: IndexError: planted failure" in said
        assert "search failed" in shown(app, "#search-status")
        failing.clear()  # the index answers again: searching goes on
        await pilot.press("backspace", *"t")
        await wait_until(pilot, lambda: options(app, "#search-results"), "results")
        assert isinstance(app.screen, SearchScreen)
        assert options(app, "#search-results")[0].startswith("Paul Otlet · ")


async def test_the_problems_screen_follows_the_vault(sample_vault: Path) -> None:
    async with running(sample_vault, watch=True) as (app, pilot):
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        table = app.screen.query_one("#problems", DataTable)
        assert table.row_count == 2
        (sample_vault / "new.md").write_text("---\ntitle: New\n---\nTo [[Nowhere at all]].\n",
                                             encoding="utf-8")
        await wait_until(pilot, lambda: table.row_count > 2, "the new problem listed")
        assert isinstance(app.screen, ProblemsScreen)
        assert any("Nowhere at all" in str(table.get_row_at(i)[3])
                   for i in range(table.row_count))
        assert "broken-link 2" in shown(app, "#problems-summary")


async def test_an_editor_that_cannot_run_leaves_the_files_watched(
        sample_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    async with running(sample_vault, watch=True, notifications=True) as (app, pilot):
        await pilot.press("e")
        assert "Cannot run" in await wait_for(pilot, app, "Cannot run")
        (sample_vault / "later.md").write_text("---\ntitle: Later\n---\nHi.\n", encoding="utf-8")
        await wait_until(pilot, lambda: "later.md" in rows(app), "the new file listed")
