"""A journal planted in a vault (cloned from someone else) never makes zettel write:
an interrupted batch that says it created a note, a done batch whose bytes before
would replace a note. Only public surfaces (the commands, files on disk) and raw
entry bytes, as a hostile vault would carry them; expected bytes written by hand."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import MakeVault
from conftest import vault_files as files
from conftest import zettel_in as zettel

from zettel.vault.scan import content_digest

TARGET = b"---\ntitle: Target\n---\nbody\n"
KEEP = b"---\ntitle: Keep\n---\nMy own note, kept.\r\n"
EVIL = b"---\ntitle: Keep\n---\nWhat the planted entry would write.\n"


def header(seq: int, *, files: list[list[object]] = (), created: list[list[object]] = (),
           fmt: int = 1) -> bytes:
    """A header line as zettel wrote them before entries were signed (format 1)."""
    return json.dumps({"zettel-journal": fmt, "seq": seq, "action": "mv", "summary": "planted",
                       "time": "2026-01-01T00:00:00Z", "reverts": None, "refused": [],
                       "files": list(files), "created": list(created), "removed": []},
                      separators=(",", ":")).encode() + b"\n"


# a signature line of the right shape, made with a key that is not this user's
FORGED = b"zettel-journal 2 " + b"0" * 64 + b" " + b"1" * 64 + b"\n"

CREATED = {  # an interrupted batch that "created" keep.md (its digest: unchanged)
    "unsigned": header(7, created=[["keep.md", content_digest(KEEP)]]),
    "forged": FORGED + header(7, created=[["keep.md", content_digest(KEEP)]], fmt=2),
}
REPLACED = {  # a done batch that "wrote" keep.md, its bytes before being EVIL
    "unsigned": header(7, files=[["keep.md", None, content_digest(EVIL), content_digest(KEEP),
                                  len(EVIL), 0]]) + EVIL,
    "forged": FORGED + header(7, files=[["keep.md", None, content_digest(EVIL),
                                         content_digest(KEEP), len(EVIL), 0]], fmt=2) + EVIL,
}


def plant(root: Path, name: str, data: bytes) -> None:
    (root / ".zettel" / "journal").mkdir(parents=True, exist_ok=True)
    (root / ".zettel" / "journal" / name).write_bytes(data)


@pytest.mark.parametrize("how", list(CREATED))
def test_a_planted_interrupted_batch_never_removes_a_note(make_vault: MakeVault,
                                                          how: str) -> None:
    root = make_vault({"t.md": TARGET, "keep.md": KEEP})
    plant(root, "pending", CREATED[how])
    checked = zettel(root, "check")
    assert "interrupted" not in checked.stderr
    undone = zettel(root, "undo")
    assert (undone.exit_code, undone.stderr) == (
        1, "zettel: nothing to undo (every batch of the journal is undone, or there is none)\n")
    assert files(root) == {"keep.md": KEEP, "t.md": TARGET}
    moved = zettel(root, "mv", "t.md", "moved.md")
    assert moved.exit_code == 0, moved.output
    assert "'.zettel/journal/pending' is foreign" in moved.stderr
    assert files(root) == {"keep.md": KEEP, "moved.md": TARGET}
    assert sorted(os.listdir(root / ".zettel" / "journal")) == [
        "00000001.done", "lock", "pending.foreign"]
    listed = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["state"]) for e in listed] == [(7, "foreign"), (1, "done")]
    assert zettel(root, "undo").exit_code == 0  # the user's own mv, undone
    assert files(root) == {"keep.md": KEEP, "t.md": TARGET}


@pytest.mark.parametrize("how", list(REPLACED))
def test_a_planted_done_batch_is_never_undone(make_vault: MakeVault, how: str) -> None:
    root = make_vault({"t.md": TARGET, "keep.md": KEEP})
    plant(root, "00000007.done", REPLACED[how])
    result = zettel(root, "undo")
    assert result.exit_code == 1 and result.stderr.startswith("zettel: nothing to undo")
    assert files(root) == {"keep.md": KEEP, "t.md": TARGET}
    listed = zettel(root, "undo", "--list")
    why = {"unsigned": "written before entries were signed",
           "forged": "signed with another key"}[how]
    assert listed.stdout.splitlines()[0] == (
        "    7  2026-01-01 00:00:00  mv       foreign        planted (not written by you on "
        f"this machine ({why}))")
    assert "1 foreign: not written by you on this machine" in listed.stderr
    # the user's own batch comes after it, and undo reaches it (not the planted one)
    assert zettel(root, "mv", "t.md", "moved.md").exit_code == 0
    assert zettel(root, "undo").exit_code == 0
    again = zettel(root, "undo")
    assert again.exit_code == 1 and again.stderr.startswith("zettel: nothing to undo")
    assert files(root) == {"keep.md": KEEP, "t.md": TARGET}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX links")
@pytest.mark.parametrize("what", ["folder", "link"])
def test_a_pending_entry_that_is_no_file_is_set_aside(make_vault: MakeVault, tmp_path: Path,
                                                      what: str) -> None:
    root = make_vault({"t.md": TARGET, "keep.md": KEEP})
    journal = root / ".zettel" / "journal"
    journal.mkdir(parents=True)
    if what == "folder":
        (journal / "pending").mkdir()
    else:
        (tmp_path / "elsewhere").write_bytes(CREATED["unsigned"])
        (journal / "pending").symlink_to(tmp_path / "elsewhere")
    assert "interrupted" not in zettel(root, "check").stderr
    moved = zettel(root, "mv", "t.md", "moved.md")
    assert moved.exit_code == 0, moved.output
    assert files(root) == {"keep.md": KEEP, "moved.md": TARGET}
    assert sorted(os.listdir(journal)) == ["00000001.done", "lock", "pending.foreign"]
    if what == "link":
        assert (tmp_path / "elsewhere").read_bytes() == CREATED["unsigned"]
