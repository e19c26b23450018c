"""A hostile vault's text on a terminal: escape sequences in titles, file names,
tags, link targets and paragraphs are shown, never obeyed, by every command and
the TUI; JSON keeps them, escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault, wait_until
from test_tui import running, wait_for
from textual.widgets import DataTable

from zettel.cli.main import main
from zettel.tui.screens import ProblemsScreen, SearchScreen

OSC52 = "\x1b]52;c;SGVsbG8=\x07"  # writes "Hello" to the clipboard
OSC0 = "\x1b]0;pwned\x07"          # sets the window title
CSI = "\x1b[2J"                    # clears the screen (and ESC c, in a link, resets it)
# As YAML double-quoted escapes, so the note's file holds them as the parser reads them.
Y_OSC52, Y_OSC0, Y_CSI = r"\e]52;c;SGVsbG8=\a", r"\e]0;pwned\a", r"\e[2J"
EVIL_TITLE = f"Evil {OSC52} {CSI} \x9b2J \u202eevil"
EVIL_NAME = f"name\n{OSC0}.md"  # a newline and an escape sequence in a file name
#: What must never reach the terminal: C0 controls but tab and newline, DEL, C1, bidi.
LEAK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def no_nan(token: str) -> None:
    raise AssertionError(f"{token} is not JSON")


@pytest.fixture
def vault(make_vault: MakeVault) -> Path:
    return make_vault({
        "evil.md": f'---\ntitle: "Evil {Y_OSC52} {Y_CSI} \\x9b2J \\u202eevil"\n'
                   f'tags: ["tag{Y_OSC0}"]\ntypes: ["type{Y_CSI}"]\n'
                   f'aliases: ["alias{Y_OSC52}"]\nfield: "value{Y_OSC0}"\n'
                   f'nan: .nan\ninf: [.inf, -.inf]\n---\n'
                   f"The zebra {OSC0} grazes by [[calm|Calm\x1bc\x9b2J]] and "
                   "[[gone\x07\x9b2J\x1bc]].\n",
        "calm.md": "---\ntitle: Calm\n---\nBack to [[evil]] with the zebra.\n",
        EVIL_NAME: f"---\ntitle: \"Named {Y_OSC0}\"\n---\nPoints at [[calm]], "
                   f"a zebra {OSC52} too.\n",
    })


def invoke(*args: str) -> tuple[int, str, str]:
    """Run zettel with colour off: click's own colour codes are gone, so any
    ESC in the output came from the vault."""
    result = CliRunner().invoke(main, list(args), color=False, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def assert_inert(text: str) -> None:
    assert LEAK.search(text) is None, repr(text)


@pytest.mark.parametrize("command", [
    ["check"], ["orphans"], ["broken"], ["tags"], ["search", "zebra"],
    ["show", "evil", "--vault"], ["related", "evil", "--vault"],
    ["show", "Evil", "--vault"],  # no such note: did you mean 'Evil …'?
    ["graph", "--format", "graphml"], ["graph", "--format", "gexf"],
    ["graph", "--format", "dot"],
])
def test_no_command_prints_a_control_character(vault: Path, command: list[str]) -> None:
    status, out, err = invoke(*command, str(vault))
    assert status in (0, 1, 2)
    assert_inert(out)
    assert_inert(err)
    assert "\\x1b]" in out + err  # shown, as an escape


def test_the_escapes_are_shown_where_they_were(vault: Path) -> None:
    _, out, _ = invoke("show", "evil", "--vault", str(vault))
    assert out.splitlines()[0] == "Evil \\x1b]52;c;SGVsbG8=\\x07 \\x1b[2J \\x9b2J \\u202eevil"
    assert "  tags: tag\\x1b]0;pwned\\x07" in out
    assert "  field: value\\x1b]0;pwned\\x07" in out
    _, out, _ = invoke("tags", str(vault))
    assert "tag\\x1b]0;pwned\\x07" in out and "type\\x1b[2J" in out


def test_a_newline_in_a_file_name_does_not_split_a_line(vault: Path) -> None:
    _, out, _ = invoke("orphans", str(vault))
    assert out.splitlines() == ["name\\n\\x1b]0;pwned\\x07.md\tNamed \\x1b]0;pwned\\x07"]
    _, out, _ = invoke("search", "zebra", str(vault))
    paths = [line for line in out.splitlines() if not line.startswith("    ")]
    assert len(paths) == 3 and any(p.startswith("name\\n\\x1b]0;pwned\\x07.md:") for p in paths)


def test_json_keeps_the_text_and_is_json(vault: Path) -> None:
    _, out, _ = invoke("show", "evil", "--vault", str(vault), "--json")
    assert_inert(out)  # C0 escaped by JSON; C1 and bidi by zettel, as \\u escapes
    data = json.loads(out, parse_constant=no_nan)
    assert data["title"] == EVIL_TITLE
    assert data["meta"]["nan"] == "NaN" and data["meta"]["inf"] == ["Infinity", "-Infinity"]
    _, out, _ = invoke("orphans", str(vault), "--json")
    assert [row["path"] for row in json.loads(out)] == [EVIL_NAME]
    _, out, _ = invoke("graph", str(vault), "--format", "json")
    assert_inert(out)
    assert EVIL_TITLE in {node["title"] for node in json.loads(out)["nodes"]}


async def test_the_tui_shows_escapes_inert(vault: Path) -> None:
    async with running(vault, notifications=True) as (app, pilot):
        app.open_note("evil.md")
        await pilot.press("r", "tab")  # the first link: its label is said in a notice
        shown = await wait_for(pilot, app, "Calm\\x1bc\\x9b2J (resolved)")
        assert "Calm\\x1bc\\x9b2J (resolved)" in shown
        assert "Evil \\x1b]52;c;SGVsbG8=\\x07" in shown  # the title, in the list and the header
        assert "tag\\x1b]0;pwned\\x07" in shown          # the tag panel and the header
        assert_inert(app.export_screenshot())
        app.open_note(EVIL_NAME)
        await pilot.pause()
        assert_inert(app.export_screenshot())
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        table = app.screen.query_one("#problems", DataTable)
        assert table.row_count >= 2
        assert_inert(app.export_screenshot())
        await pilot.press("escape", "slash", *"zebra")
        assert isinstance(app.screen, SearchScreen)
        def three_shown() -> str:
            shot = app.export_screenshot()
            return shot if "3 shown" in shot or "3&#160;shown" in shot else ""

        screen = await wait_until(pilot, three_shown, "3 search results")
        assert "3&#160;shown" in screen or "3 shown" in screen
        assert_inert(screen)
