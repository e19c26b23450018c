"""zettel mv, retitle and undo against a hostile vault and a careless user: titles and
paths with control characters or characters that end a link, planted journals.

Each test is a case that once went wrong; expected bytes and messages are written
out by hand from the vault built in the test."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import MakeVault
from conftest import vault_files as files
from conftest import zettel_in as zettel

from zettel.vault.journal_entry import Entry, FileRecord, encode
from zettel.vault.journal_key import own_key
from zettel.vault.scan import content_digest

TARGET = "---\ntitle: Target\nid: 20240101000001\n---\nbody\n"


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


def test_a_new_path_with_control_characters_or_not_utf8_is_refused(
        make_vault: MakeVault) -> None:
    root = make_vault({"t.md": TARGET, "a.md": "[t](t.md)\n"})
    before = files(root)
    for new in ("x\x1b[2J.md", "d\x07/x.md", "x\udc9b.md"):  # the last: a byte not UTF-8
        for dry in ((), ("--dry-run",)):
            result = zettel(root, "mv", "t.md", new, *dry)
            assert result.exit_code == 2, (new, result.output)
            assert "control character" in result.stderr
            assert result.stdout == ""
    assert files(root) == before


OTHER_KEY = bytes(range(32))  # another user's: entries signed with it are foreign


def _plant(root: Path, name: str, entry: Entry, key: bytes = OTHER_KEY) -> None:
    folder = root / ".zettel" / "journal"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(encode(entry, [], key))


def test_a_planted_last_batch_number_does_not_swallow_the_next_batch(
        make_vault: MakeVault) -> None:
    # a journal whose last batch is numbered 99999999: the next batch had that number
    # too and replaced it, then showed as undone by the planted batch's undo
    root = make_vault({"t.md": TARGET, "z.md": "z\n"})
    z = content_digest(b"z\n")
    _plant(root, "99999999.done", Entry(99999999, "mv", "planted", "t", "done",
                                        files=(FileRecord("y.md", "z.md", z, z, None),)))
    result = zettel(root, "mv", "t.md", "moved.md")
    assert result.exit_code == 2
    assert "99999999" in result.stderr and "journal" in result.stderr
    assert sorted(files(root)) == ["t.md", "z.md"]
    assert sorted(p.name for p in (root / ".zettel" / "journal").iterdir()) == [
        "99999999.done", "lock"]


def test_a_planted_undo_of_a_later_batch_does_not_mark_it_undone(
        make_vault: MakeVault) -> None:
    # batch 1 is an undo naming batch 2, not written yet: the next mv (batch 2) must
    # still be undoable (signed with this user's key: a foreign one is never looked at)
    root = make_vault({"t.md": TARGET})
    _plant(root, "00000001.undo.done", Entry(1, "undo", "planted", "t", "done", reverts=2),
           own_key())
    assert zettel(root, "mv", "t.md", "moved.md").exit_code == 0
    listed = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["state"]) for e in listed] == [(2, "done"), (1, "done")]
    result = zettel(root, "undo")
    assert result.exit_code == 0, result.output
    assert sorted(files(root)) == ["t.md"]
