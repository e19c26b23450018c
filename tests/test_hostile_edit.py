"""zettel mv, retitle and undo against a hostile vault and a careless user: titles and
paths with control characters or characters that end a link, planted journals.

Each test is a case that once went wrong; expected bytes and messages are written
out by hand from the vault built in the test."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import MakeVault

from zettel.cli.main import main

TARGET = "---\ntitle: Target\nid: 20240101000001\n---\nbody\n"


def zettel(root: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, list(args), env={"ZETTEL_VAULT": str(root)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".zettel" not in p.relative_to(root).parts}


def test_a_title_with_control_characters_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"t.md": TARGET, "a.md": "[[Target]]\n"})
    before = files(root)
    for title in ("Evil\x1b[31mred", "nul\x01x", "del\x7fx", "c1\x9bx"):
        result = zettel(root, "retitle", "t.md", title)
        assert result.exit_code == 2, title
        assert "control character" in result.stderr
        assert "\x1b" not in result.stderr and "\x9b" not in result.stderr
    assert files(root) == before


def test_an_old_title_with_control_characters_is_kept_escaped_as_an_alias(
        make_vault: MakeVault) -> None:
    # the old title came from the vault (quoted, with a YAML escape); --alias keeps it: it
    # must be written escaped, never as a raw ESC in the front matter
    root = make_vault({"t.md": '---\ntitle: "Old\\e[31m"\n---\nbody\n'})
    result = zettel(root, "retitle", "t.md", "New", "--alias")
    assert result.exit_code == 0, result.output
    assert (root / "t.md").read_bytes() == (
        b'---\ntitle: New\naliases:\n  - "Old\\u001b[31m"\n---\nbody\n')


def test_a_title_with_a_backtick_keeps_every_link(make_vault: MakeVault) -> None:
    # [[`code`|Target]] would be inline code, no link: the links go by id instead
    root = make_vault({"t.md": TARGET, "a.md": "See [[Target]].\n",
                       "b.md": "B [[Target|x]] and `code`\n"})
    result = zettel(root, "retitle", "Target", "`code`")
    assert result.exit_code == 0, result.output
    assert files(root) == {
        "a.md": b"See [[20240101000001|Target]].\n",
        "b.md": b"B [[20240101000001|x]] and `code`\n",
        "t.md": b'---\ntitle: "`code`"\nid: 20240101000001\n---\nbody\n'}
    shown = json.loads(zettel(root, "show", "t.md", "--json").stdout)
    assert sorted(row["path"] for row in shown["backlinks"]) == ["a.md", "b.md"]


def test_a_link_in_title_style_to_a_title_with_a_backtick_goes_by_id() -> None:
    from zettel.core.linkstyle import format_link
    from zettel.core.rename import Row

    note = Row("t.md", "20240101000001", "it`s", ())
    assert format_link("title", note) == "[[20240101000001]]"
    assert format_link("id", note, label="say `x") == "[[20240101000001]]"
