"""`zettel undo` and `zettel undo --list`: on batches written by `zettel mv`, and on
planted, hostile journals (which never make zettel write outside the vault nor crash).

Expected bytes and messages are written out by hand."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault
from conftest import vault_files as files
from conftest import zettel_in as zettel

from zettel.cli.main import main
from zettel.vault.journal_entry import sign
from zettel.vault.journal_key import own_key
from zettel.vault.scan import content_digest

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and FIFOs")

A = b"---\r\ntitle: A\r\n---\r\nSee [[target]] and [[target|it]].\r\n"
B = b"\xef\xbb\xbfB links [[target]]\tno final newline"
TARGET = b"---\ntitle: The aim\n---\n# The aim\n"


@pytest.fixture
def vault(make_vault: MakeVault) -> Path:
    return make_vault({"a.md": A, "b.md": B, "target.md": TARGET})


MOVED = {"a.md": A.replace(b"[[target", b"[[aim"), "b.md": B.replace(b"[[target", b"[[aim"),
         "aim.md": TARGET}


def test_undo_reverts_a_move_byte_for_byte(vault: Path) -> None:
    before = files(vault)
    assert zettel(vault, "mv", "target", "aim.md").exit_code == 0
    assert files(vault) == MOVED
    result = zettel(vault, "undo")
    assert result.exit_code == 0
    assert result.stdout == ("undo batch 1 (mv: mv target.md -> aim.md): 2 files changed, "
                             "3 links rewritten, 1 moved\n")
    assert files(vault) == before


def test_undo_dry_run_shows_the_diff_and_writes_nothing(vault: Path) -> None:
    zettel(vault, "mv", "target", "aim.md")
    result = zettel(vault, "undo", "--dry-run")
    assert result.exit_code == 0
    assert result.stdout == (
        "--- a/a.md\n+++ b/a.md\n@@ -1,4 +1,4 @@\n ---\n title: A\n ---\n"
        "-See [[aim]] and [[aim|it]].\n+See [[target]] and [[target|it]].\n"
        "--- a/b.md\n+++ b/b.md\n@@ -1 +1 @@\n"
        "-\ufeffB links [[aim]]\tno final newline\n\\ No newline at end of file\n"
        "+\ufeffB links [[target]]\tno final newline\n\\ No newline at end of file\n"
        "rename from aim.md\nrename to target.md\n")
    assert "(dry run: nothing written)" in result.stderr
    assert files(vault) == MOVED


def test_undo_json(vault: Path) -> None:
    zettel(vault, "mv", "target", "aim.md")
    data = json.loads(zettel(vault, "undo", "--json").stdout)
    assert data == {
        "action": "undo", "summary": "undo batch 1 (mv: mv target.md -> aim.md)",
        "files": [{"path": "a.md", "new_path": None, "links": 2, "edits": 1},
                  {"path": "b.md", "new_path": None, "links": 1, "edits": 1},
                  {"path": "aim.md", "new_path": "target.md", "links": 0, "edits": 0}],
        "created": [], "warnings": [], "reverts": 1, "removed": [], "refused": [],
        "written": True, "batch": 2}


def test_undo_names_each_file_changed_since_and_reverts_the_others(vault: Path) -> None:
    zettel(vault, "mv", "target", "aim.md")
    (vault / "b.md").write_bytes(b"my own edit of [[aim]]\n")
    result = zettel(vault, "undo")
    assert result.exit_code == 1
    assert "zettel: 'b.md' not reverted: changed since the batch wrote it\n" in result.stderr
    assert files(vault) == {"a.md": A, "b.md": b"my own edit of [[aim]]\n",
                            "target.md": TARGET}
    listed = zettel(vault, "undo", "--list").stdout
    assert "b.md (left as it was)" in listed


def test_undo_twice_goes_two_batches_back_then_nothing(vault: Path) -> None:
    before = files(vault)
    zettel(vault, "mv", "target", "aim.md")
    zettel(vault, "mv", "aim", "sub/aim.md")
    assert zettel(vault, "undo").exit_code == 0
    assert files(vault) == MOVED
    assert zettel(vault, "undo").exit_code == 0
    assert files(vault) == before
    nothing = zettel(vault, "undo")
    assert nothing.exit_code == 1
    assert nothing.stderr == ("zettel: nothing to undo (every batch of the journal is undone, "
                              "or there is none)\n")
    assert json.loads(zettel(vault, "undo", "--json").stdout)["written"] is False


def test_undo_list(vault: Path) -> None:
    assert zettel(vault, "undo", "--list").stderr == (
        "0 batch(es) in the journal (the last 100 are kept)\n")
    zettel(vault, "mv", "target", "aim.md")
    zettel(vault, "undo")
    lines = zettel(vault, "undo", "--list").stdout.splitlines()
    assert [re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "TIME", line) for line in lines] == [
        "    2  TIME  undo     done           undo batch 1 (mv: mv target.md -> aim.md)",
        "       a.md", "       b.md", "       aim.md -> target.md",
        "    1  TIME  mv       undone by 2    mv target.md -> aim.md",
        "       a.md", "       b.md", "       target.md -> aim.md"]
    listed = json.loads(zettel(vault, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["action"], e["state"], e["reverts"], e["undone_by"])
            for e in listed] == [(2, "undo", "done", 1, None), (1, "mv", "undone", None, 2)]
    assert listed[1]["files"][2] == {"path": "target.md", "new_path": "aim.md",
                                     "edited": False, "links": 0}


def test_help() -> None:
    result = CliRunner().invoke(main, ["undo", "--help"])
    assert result.exit_code == 0 and "--list" in result.output and "--dry-run" in result.output


# --- planted journals -----------------------------------------------------------------------


def entry(files: list[list[object]], stored: bytes = b"", *, created: Sequence[object] = (),
          removed: Sequence[object] = (), seq: int = 1) -> bytes:
    header = {"zettel-journal": 2, "seq": seq, "action": "mv", "summary": "planted",
              "time": "2026-01-01T00:00:00Z", "reverts": None, "refused": [],
              "files": files, "created": list(created), "removed": list(removed)}
    return json.dumps(header).encode() + b"\n" + stored


def signed(data: bytes) -> bytes:
    """``data`` (a header line, then stored bytes) signed with this user's key, as
    zettel signs its own entries: planted by someone who has the key."""
    cut = data.find(b"\n") + 1
    return sign(own_key(), data[:cut], data[cut:]) + data


OLD, NEW = b"old bytes\n", b"new bytes\n"
D_OLD, D_NEW = content_digest(OLD), content_digest(NEW)


def planted(outside: Path) -> dict[str, bytes]:
    """Entries that would write outside the vault if their paths were obeyed."""
    return {
        "dotdot": entry([["../outside/x.md", None, D_OLD, D_NEW, len(OLD), 1]], OLD),
        "absolute": entry([[str(outside / "x.md"), None, D_OLD, D_NEW, len(OLD), 1]], OLD),
        "moved-out": entry([["a.md", "../outside/x.md", D_OLD, D_OLD, None, 0]]),
        "removed-out": entry([], OLD, removed=[["out/new.md", D_OLD, len(OLD)]]),
        "created-out": entry([], created=[["out/x.md", D_NEW]]),
        "bad-json": b"{not json\n",
        "deep-json": b"[" * 100_000 + b"\n",
        "no-header": b"x" * 5000,
        "wrong-digest": entry([["a.md", None, D_OLD, D_NEW, len(NEW)]], NEW),
        "short": entry([["a.md", None, D_OLD, D_NEW, 99, 1]], OLD),
        "wrong-types": entry([["a.md", None, D_OLD, D_NEW, "9", True]], OLD),
        "newer-format": b'{"zettel-journal": 2}\n',
    }


@posix_only
@pytest.mark.parametrize("name", list(planted(Path("/x"))))
@pytest.mark.parametrize("where", ["00000001.done", "pending"])
@pytest.mark.parametrize("signature", ["foreign", "signed"])
def test_a_planted_journal_never_writes_outside_nor_crashes(
        make_vault: MakeVault, tmp_path: Path, name: str, where: str, signature: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_bytes(NEW)  # what a naive undo would overwrite
    root = make_vault({"a.md": A})
    (root / "out").symlink_to(outside)
    (root / ".zettel" / "journal").mkdir(parents=True)
    data = planted(outside)[name]
    (root / ".zettel" / "journal" / where).write_bytes(
        signed(data) if signature == "signed" else data)
    before = files(root)

    listed = zettel(root, "undo", "--list")
    assert listed.exit_code == 0
    assert zettel(root, "check").exit_code == 1  # a.md links to no note: findings
    result = zettel(root, "undo")
    assert result.exit_code in (1, 2)
    assert all(line.startswith(("zettel: ", "Error: "))
               for line in result.stderr.splitlines()), result.stderr
    again = zettel(root, "undo", "--json")
    assert again.exit_code in (1, 2)
    assert sorted(os.listdir(outside)) == ["x.md"] and (outside / "x.md").read_bytes() == NEW
    assert files(root) == before


@posix_only
def test_a_planted_entry_with_a_link_out_is_refused_file_by_file(
        make_vault: MakeVault, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_bytes(NEW)
    root = make_vault({"a.md": A})
    (root / "out").symlink_to(outside)
    (root / ".zettel" / "journal").mkdir(parents=True)
    (root / ".zettel" / "journal" / "00000001.done").write_bytes(
        signed(entry([["out/x.md", None, D_OLD, D_NEW, len(OLD), 1]], OLD)))
    result = zettel(root, "undo")
    assert result.exit_code == 1
    assert result.stderr.startswith("zettel: 'out/x.md' not reverted: 'out/x.md' leads out of "
                                    "the vault")
    assert (outside / "x.md").read_bytes() == NEW


@posix_only
def test_a_huge_fifo_or_linked_entry_is_foreign_not_a_hang(
        make_vault: MakeVault, tmp_path: Path) -> None:
    root = make_vault({"a.md": A})
    journal = root / ".zettel" / "journal"
    journal.mkdir(parents=True)
    with open(journal / "00000003.done", "wb") as huge:  # sparse: no disk used
        huge.truncate(2 * 1024 ** 3)
    os.mkfifo(journal / "00000002.done")
    (tmp_path / "elsewhere").write_bytes(signed(entry([])))
    (journal / "00000001.done").symlink_to(tmp_path / "elsewhere")
    listed = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["state"], e["problem"]) for e in listed] == [
        (3, "foreign", "not written by you on this machine (not signed)"),
        (2, "foreign", "not written by you on this machine (not a regular file)"),
        (1, "foreign", "not written by you on this machine (a symbolic link)")]
    result = zettel(root, "undo")
    assert result.exit_code == 1
    assert result.stderr.startswith("zettel: nothing to undo")


def test_a_damaged_entry_of_ones_own_stops_undo_in_one_line(make_vault: MakeVault) -> None:
    # signed with this user's key but cut short (a disk that lost its end): refused, named
    root = make_vault({"a.md": A})
    journal = root / ".zettel" / "journal"
    journal.mkdir(parents=True)
    whole = signed(entry([["a.md", None, D_OLD, D_NEW, len(OLD), 1]], OLD))
    (journal / "00000001.done").write_bytes(whole[:-1])
    [listed] = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert (listed["batch"], listed["state"]) == (1, "damaged")
    result = zettel(root, "undo")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: journal entry '00000001.done' is damaged ({len(whole) - 1} "
                             f"bytes, not {len(whole)}); remove '.zettel/journal/00000001.done' "
                             "to undo earlier batches\n")
    assert files(root) == {"a.md": A}


@posix_only
def test_a_linked_journal_folder_is_refused(make_vault: MakeVault, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = make_vault({"a.md": A, "target.md": TARGET, ".zettel/keep": ""})
    (root / ".zettel" / "journal").symlink_to(elsewhere)
    for args in (["undo"], ["undo", "--list"], ["mv", "target", "aim.md"]):
        result = zettel(root, *args)
        assert result.exit_code == 2 and "is a symbolic link" in result.stderr, args
    assert list(elsewhere.iterdir()) == []
    assert files(root) == {"a.md": A, "target.md": TARGET}
