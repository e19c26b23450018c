"""The TUI, driven with Textual's Pilot on a copy of notes/: every flow a person uses."""

from __future__ import annotations

import html
import os
import re
import stat
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from zettel.tui.app import ZettelApp
from zettel.tui.screens import NeighbourhoodScreen, PickScreen, ProblemsScreen, SearchScreen
from zettel.tui.widgets import NoteList, Reader, TagPanel

ZETTELKASTEN = "20240105093000.md"
LUHMANN = "people/20240105101500.md"
OTLET = "people/20240110110000.md"
HYPERTEXT = "20240110113000.md"  # holds the broken link to 'Project Xanadu'


async def settle(pilot: Pilot[None], app: ZettelApp, *, index: bool = True) -> None:
    """Wait until the vault is read, analysed and (if asked) indexed."""
    for _ in range(200):
        if app.model.report is not None and (app._index is not None or not index):
            break
        await pilot.pause(0.02)
    await pilot.pause()
    assert app.model.report is not None


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
    return list(app.query_one(NoteList).paths)


async def test_opens_on_the_first_note_and_follows_the_cursor(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        assert len(rows(app)) == 23
        first = rows(app)[0]
        assert app.history.current == first
        assert app.focused is app.query_one(NoteList)
        await pilot.press("down")
        await pilot.pause()
        assert app.history.current == rows(app)[1]


async def test_a_second_session_opens_on_the_saved_list(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, OTLET)
    (sample_vault / "later.md").write_text("---\ntitle: Later\n---\nNew.\n", encoding="utf-8")
    app = ZettelApp(sample_vault, watch=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert not app.model.complete or len(rows(app)) == 24  # the saved list, or already all
        assert len(rows(app)) >= 23 and app.history.current is not None
        await settle(pilot, app)
        assert app.model.complete and "later.md" in rows(app)
        assert app.query_one(Reader).shown  # a note is shown


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
        assert app.main.selected_link == 0
        assert "▶" in app.model.render(ZETTELKASTEN, app.main.selected_link)
        await pilot.press("enter")
        await pilot.pause()
        assert app.history.current == LUHMANN
        await pilot.press("left_square_bracket")
        assert app.history.current == ZETTELKASTEN
        await pilot.press("right_square_bracket")
        assert app.history.current == LUHMANN
        await pilot.press("alt+left")
        assert app.history.current == ZETTELKASTEN
        assert "Niklas Luhmann" not in str(app.query_one("#trail").render())


async def test_links_show_titles_not_ids(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        shown = app.model.render(ZETTELKASTEN)
        assert "[[" not in shown and "20240105101500" not in shown
        assert "[Niklas Luhmann](zettel:0)" in shown


async def test_a_broken_link_says_so(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, HYPERTEXT)
        views = app.model.link_views(HYPERTEXT)
        broken = next(i for i, v in enumerate(views) if v.status == "broken")
        assert f"[Project Xanadu ✗](zettel:{broken})" in app.model.render(HYPERTEXT)
        app.main.follow(views[broken])
        await pilot.pause()
        assert app.history.current == HYPERTEXT
        assert any("Broken link" in n.message for n in app._notifications)


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
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.history.current == "b.md"


async def test_backlinks_open(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        backlinks = app.query_one("#backlinks", OptionList)
        assert backlinks.option_count == len(app.model.graph.linked_from(ZETTELKASTEN))
        backlinks.focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.history.current in app.model.graph.linked_from(ZETTELKASTEN)
        assert app.history.back_stack[-1] == ZETTELKASTEN


async def test_tag_filter_any_of_several(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        panel = app.query_one(TagPanel)
        await pilot.press("t")
        assert app.focused is panel
        await pilot.press("down", "enter")  # the first tag
        await pilot.pause()
        first = sorted(app.model.tag_counts(), key=str.casefold)[0]
        assert app.main.tags == {first}
        assert rows(app) and all(first in app.model.notes[p].tags for p in rows(app))
        await pilot.press("down", "enter")  # and the second: either one
        await pilot.pause()
        assert len(app.main.tags) == 2
        assert all(app.main.tags & set(app.model.notes[p].tags) for p in rows(app))
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
        assert app.main.note_type == "personne"
        assert len(rows(app)) == app.model.type_counts()["personne"]


async def test_sort_orders(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("s")  # by id
        ids = [app.model.notes[p].id or "" for p in rows(app)]
        assert ids == sorted(ids)
        await pilot.press("s")  # by backlinks
        counts = [app.model.backlink_count(p) for p in rows(app)]
        assert counts == sorted(counts, reverse=True)


async def test_search_then_open_at_the_match(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"mundaneum")
        for _ in range(100):
            await pilot.pause(0.02)
            if app.screen.query_one("#search-results", OptionList).option_count:
                break
        results = app.screen.query_one("#search-results", OptionList)
        assert results.option_count >= 1
        best = app._search("mundaneum").hits[0].path
        await pilot.press("enter")  # the best match
        await pilot.pause()
        assert not isinstance(app.screen, SearchScreen)
        assert app.history.current == best
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"slip box")
        for _ in range(100):
            await pilot.pause(0.02)
            if app.screen.query_one("#search-results", OptionList).option_count > 1:
                break
        second = app._search("slip box").hits[1].path
        await pilot.press("down", "down", "enter")  # into the list, then the second one
        await pilot.pause()
        assert app.history.current == second


async def test_a_malformed_search_says_why(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*'"open')
        for _ in range(100):
            await pilot.pause(0.02)
            if "phrase" in str(app.screen.query_one("#search-status").render()):
                break
        assert "phrase is not closed" in str(app.screen.query_one("#search-status").render())


async def test_command_palette_jumps_to_a_note(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("ctrl+p")
        await pilot.press(*"Paul Otlet")
        await pilot.pause(0.5)
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
        before = set(app.model.notes)
        await pilot.press("n")
        await pilot.press(*"Fresh idea", "enter", *"concept", "enter", *"test, idée", "enter")
        for _ in range(100):
            await pilot.pause(0.02)
            if len(app.model.notes) > len(before) and app.model.graph is not None:
                break
        (created,) = set(app.model.notes) - before
        note = app.model.notes[created]
        assert note.title == "Fresh idea" and note.types == ("concept",)
        assert note.tags == ("test", "idée") and "Written in the editor" in note.body
        assert app.history.current == created
        await settle(pilot, app)
        assert created in app.model.graph.linked_from(ZETTELKASTEN) or \
            created in [s for s, _ in app.model.backlinks(ZETTELKASTEN)]


async def test_edit_refreshes_note_links_and_index(sample_vault: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(fake_editor(tmp_path, "\nNow about [[Paul Otlet]] too: "
                                                            "quintessential.\n")))
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, "20240105110200.md")
        assert "20240105110200.md" not in app.model.graph.linked_from(OTLET)
        await pilot.press("e")
        for _ in range(150):
            await pilot.pause(0.02)
            if app.model.graph and "20240105110200.md" in app.model.graph.linked_from(OTLET) \
                    and app._index is not None and app.ready.is_set():
                break
        assert "20240105110200.md" in app.model.graph.linked_from(OTLET)
        assert app.history.current == "20240105110200.md"
        for _ in range(100):  # the index is synced after the graph
            hits = app._search("quintessential").hits
            if hits:
                break
            await pilot.pause(0.02)
        assert [h.path for h in hits] == ["20240105110200.md"]


async def test_problems_screen_jumps_to_the_note(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        table = app.screen.query_one("#problems", DataTable)
        kinds = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert kinds == ["broken-link", "orphan"]
        summary = str(app.screen.query_one("#problems-summary").render())
        assert "broken-link 1  ambiguous-link 0  duplicate-id 0  yaml-error 0  orphan 1  " \
            "isolated 0" in summary
        await pilot.press("enter")
        await pilot.pause()
        assert app.history.current == HYPERTEXT


async def test_neighbourhood(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        await pilot.press("g")
        assert isinstance(app.screen, NeighbourhoodScreen)
        title = str(app.screen.query_one("#neighbourhood-title").render())
        near = len(app.model.neighbourhood(ZETTELKASTEN, 1, "both")) - 1
        assert f"depth 1 (1-3), in and out links (d), {near} notes" in title
        await pilot.press("2")
        deeper = len(app.model.neighbourhood(ZETTELKASTEN, 2, "both")) - 1
        assert deeper >= near and f"{deeper} notes" in str(
            app.screen.query_one("#neighbourhood-title").render())
        await pilot.press("d")
        assert "outgoing" in str(app.screen.query_one("#neighbourhood-title").render())
        await pilot.press("down", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, NeighbourhoodScreen)
        assert app.history.current in app.model.neighbourhood(ZETTELKASTEN, 2, "out")


async def test_help_lists_every_binding(sample_vault: Path) -> None:
    async with running(sample_vault) as (app, pilot):
        await pilot.press("question_mark")
        table = app.screen.query_one("#help", DataTable)
        keys = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"/", "ctrl+p", "n", "e", "p", "g", "q", "?"} <= keys
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_file_changed_on_disk_is_picked_up(sample_vault: Path) -> None:
    async with running(sample_vault, watch=True) as (app, pilot):
        (sample_vault / "outside.md").write_text("---\ntitle: Written outside\n---\nHello.\n",
                                                 encoding="utf-8")
        started = time.monotonic()
        while "outside.md" not in app.model.notes and time.monotonic() - started < 5:
            await pilot.pause(0.05)
        assert time.monotonic() - started < 2.5
        await pilot.pause(0.1)
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
        shown = app.query_one(Reader).shown
        assert "could not be rendered" in shown and "slip box" in shown


async def test_works_at_80x24(sample_vault: Path) -> None:
    async with running(sample_vault, size=(80, 24)) as (app, pilot):
        await open_note(pilot, app, ZETTELKASTEN)
        assert app.query_one(Reader).region.width >= 30
        assert app.query_one(NoteList).region.width >= 28


def test_no_subcommand_opens_the_tui_only_on_a_terminal(sample_vault: Path) -> None:
    import subprocess

    result = subprocess.run([sys.executable, "-m", "zettel.cli", str(sample_vault)],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "ZETTEL_VAULT": ""})
    assert result.returncode == 0 and "Usage:" in result.stdout  # no terminal: help
    missing = subprocess.run([sys.executable, "-m", "zettel.cli", "no-such-folder"],
                             capture_output=True, text=True, check=False)
    assert missing.returncode == 2 and "No such command" in missing.stderr


async def test_without_a_search_index_the_rest_works(sample_vault: Path) -> None:
    index = sample_vault / ".zettel" / "index"
    index.parent.mkdir(exist_ok=True)
    index.write_text("not a folder", encoding="utf-8")  # the index cannot be made
    app = ZettelApp(sample_vault, watch=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app, index=False)
        for _ in range(100):
            if any("Search is unavailable" in n.message for n in app._notifications):
                break
            await pilot.pause(0.02)
        assert any("Search is unavailable" in n.message for n in app._notifications)
        assert not any("UnsafeStateDir" in n.message for n in app._notifications)  # one plain line
        assert len(rows(app)) == 23
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press("x")
        for _ in range(100):
            await pilot.pause(0.02)
            if "unavailable" in str(app.screen.query_one("#search-status").render()):
                break
        assert "search unavailable" in str(app.screen.query_one("#search-status").render())


async def test_a_broken_config_while_running_is_reported(sample_vault: Path) -> None:
    async with running(sample_vault, watch=True) as (app, pilot):
        (sample_vault / ".zettel" / "config.yaml").write_text("extensions: [md\n",
                                                               encoding="utf-8")
        for _ in range(150):
            if any("Cannot read the vault" in n.message for n in app._notifications):
                break
            await pilot.pause(0.02)
        assert any("Cannot read the vault" in n.message for n in app._notifications)
        assert len(rows(app)) == 23 and app.is_running


async def test_opening_at_a_line_scrolls_there(sample_vault: Path) -> None:
    lines = [f"Paragraph {i} of a long note.\n" for i in range(1, 201)]
    (sample_vault / "long.md").write_text("---\ntitle: Long\n---\n" + "\n".join(lines),
                                          encoding="utf-8")
    async with running(sample_vault) as (app, pilot):
        app.open_note("long.md", line=4 + 2 * 150)  # paragraph 151: three quarters down
        reader = app.query_one(Reader)
        for _ in range(100):  # the Markdown is parsed, laid out, then scrolled
            await pilot.pause(0.02)
            if reader.scroll_y > 0:
                break
        assert reader.max_scroll_y > 0
        assert 0.6 < reader.scroll_y / reader.max_scroll_y < 0.9
        app.open_note(OTLET)
        for _ in range(100):
            await pilot.pause(0.02)
            if reader.scroll_y == 0:
                break
        assert reader.scroll_y == 0


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
    """Wait until a notice holds ``text``; return the notices and the screen's text."""
    for _ in range(150):
        shown = notices(app)
        if text in shown:
            break
        await pilot.pause(0.02)
    return shown + "\n" + screen_text(app)


@pytest.mark.parametrize(("planted", "said"), [
    ("zettel.tui.model.open_vault", "Cannot read the vault"),
    ("zettel.tui.model.VaultModel.analyse", "Cannot check the vault"),
    ("zettel.search.SearchIndex.sync", "Search is unavailable"),
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
        shown = await wait_for(pilot, app, "planted failure")
        assert app.is_running
        assert said in shown and "LookupError: planted failure" in shown
        await pilot.press("question_mark")  # and it still answers
        assert app.screen.query_one("#help", DataTable).row_count > 5


async def test_a_search_that_fails_says_so(sample_vault: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise IndexError("planted failure")

    async with running(sample_vault, notifications=True) as (app, pilot):
        monkeypatch.setattr("zettel.search.SearchIndex.search", fail)
        await pilot.press("slash", *"otlet")
        shown = await wait_for(pilot, app, "search failed")
        assert app.is_running and "search failed: IndexError: planted failure" in shown
        await pilot.press("backspace")  # and searching goes on
        await pilot.pause(0.3)
        assert isinstance(app.screen, SearchScreen)


async def test_the_problems_screen_follows_the_vault(sample_vault: Path) -> None:
    async with running(sample_vault, watch=True) as (app, pilot):
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        table = app.screen.query_one("#problems", DataTable)
        assert table.row_count == 2
        (sample_vault / "new.md").write_text("---\ntitle: New\n---\nTo [[Nowhere at all]].\n",
                                             encoding="utf-8")
        for _ in range(250):
            if table.row_count > 2:
                break
            await pilot.pause(0.02)
        assert isinstance(app.screen, ProblemsScreen)
        assert any("Nowhere at all" in str(table.get_row_at(i)[3])
                   for i in range(table.row_count))
        assert "broken-link 2" in str(app.screen.query_one("#problems-summary").render())


async def test_an_editor_that_cannot_run_leaves_the_files_watched(
        sample_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    async with running(sample_vault, watch=True, notifications=True) as (app, pilot):
        await pilot.press("e")
        assert "Cannot run" in await wait_for(pilot, app, "Cannot run")
        (sample_vault / "later.md").write_text("---\ntitle: Later\n---\nHi.\n", encoding="utf-8")
        for _ in range(150):
            if "later.md" in app.model.notes:
                break
            await pilot.pause(0.02)
        assert "later.md" in rows(app)
