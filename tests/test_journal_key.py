"""The user's journal key (``journal.key`` in the settings folder): made on first need
with mode 0600, refused in one line when it is a link, open to others or not a key;
a journal written with another user's key is foreign."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from conftest import MakeVault
from conftest import vault_files as files
from conftest import zettel_in as zettel

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and links")

TARGET = b"---\ntitle: Target\n---\nbody\n"
A = b"See [[target]].\n"


def test_the_key_is_made_on_the_first_write_with_mode_0600(
        make_vault: MakeVault, user_settings: Path) -> None:
    root = make_vault({"target.md": TARGET, "a.md": A})
    assert zettel(root, "undo", "--list").exit_code == 0
    assert zettel(root, "check").exit_code in (0, 1)
    assert not (user_settings / "journal.key").exists()  # reading makes no key
    assert zettel(root, "mv", "target.md", "aim.md").exit_code == 0
    key = user_settings / "journal.key"
    data = key.read_bytes()
    assert len(data) == 65 and data.endswith(b"\n") and bytes.fromhex(data[:64].decode())
    if os.name == "posix":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert sorted(os.listdir(user_settings)) == ["journal.key"]  # no temporary left
    assert zettel(root, "mv", "aim.md", "again.md").exit_code == 0
    assert key.read_bytes() == data  # kept, not made again
    assert zettel(root, "undo").exit_code == 0 and zettel(root, "undo").exit_code == 0
    assert files(root) == {"a.md": A, "target.md": TARGET}


def test_a_journal_written_with_another_users_key_is_foreign(
        make_vault: MakeVault, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"target.md": TARGET, "a.md": A})
    assert zettel(root, "mv", "target.md", "aim.md").exit_code == 0
    moved = files(root)
    other = tmp_path / "other-user"
    other.mkdir()
    monkeypatch.setenv("ZETTEL_CONFIG_DIR", str(other))  # another user, another key
    listed = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["state"], e["problem"]) for e in listed] == [
        (1, "foreign", "not written by you on this machine (signed with another key)")]
    result = zettel(root, "undo")
    assert result.exit_code == 1 and result.stderr.startswith("zettel: nothing to undo")
    assert files(root) == moved
    assert zettel(root, "mv", "aim.md", "other.md").exit_code == 0  # batch 2, theirs
    listed = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["state"]) for e in listed] == [(2, "done"), (1, "foreign")]


@posix_only
def test_a_linked_key_is_refused_in_one_line(make_vault: MakeVault, user_settings: Path,
                                             tmp_path: Path) -> None:
    root = make_vault({"target.md": TARGET, "a.md": A})
    assert zettel(root, "mv", "target.md", "aim.md").exit_code == 0
    elsewhere = tmp_path / "elsewhere.key"
    (user_settings / "journal.key").rename(elsewhere)
    (user_settings / "journal.key").symlink_to(elsewhere)
    kept = elsewhere.read_bytes()
    for args in (["mv", "aim.md", "b.md"], ["undo"], ["undo", "--list"]):
        result = zettel(root, *args)
        assert result.exit_code == 2, args
        assert result.stderr == (
            f"Error: zettel's journal key '{user_settings / 'journal.key'}' is a symbolic "
            "link; zettel does not follow it: zettel writes no batch and undoes none with it "
            "(remove it to get a new key; the journal's entries then become foreign)\n"), args
    assert files(root) == {"a.md": b"See [[aim]].\n", "aim.md": TARGET}
    assert elsewhere.read_bytes() == kept
    # a dangling link too: never followed to make a key there
    elsewhere.unlink()
    assert zettel(root, "mv", "aim.md", "b.md").exit_code == 2
    assert not elsewhere.exists()


@posix_only
@pytest.mark.parametrize("case", ["open to others", "not a key", "a folder", "unreadable"])
def test_a_key_that_cannot_be_used_is_refused(make_vault: MakeVault, user_settings: Path,
                                              case: str) -> None:
    root = make_vault({"target.md": TARGET, "a.md": A})
    key = user_settings / "journal.key"
    if case == "open to others":
        key.write_bytes(b"ab" * 32 + b"\n")
        key.chmod(0o644)
        why = "is open to other users (mode 0644; make it 0600)"
    elif case == "not a key":
        key.write_bytes(b"secret\n")
        key.chmod(0o600)
        why = "is not a key (64 hex digits)"
    elif case == "a folder":
        key.mkdir()
        why = "is not a regular file"
    else:
        if os.geteuid() == 0:
            pytest.skip("root reads a file of mode 0000")
        key.write_bytes(b"ab" * 32 + b"\n")
        key.chmod(0)
        why = "cannot be read (Permission denied)"
    result = zettel(root, "mv", "target.md", "aim.md")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: zettel's journal key '{key}' {why}: ")
    assert len(result.stderr.splitlines()) == 1
    assert files(root) == {"a.md": A, "target.md": TARGET}


def test_a_missing_key_is_made_again_and_old_entries_become_foreign(
        make_vault: MakeVault, user_settings: Path) -> None:
    root = make_vault({"target.md": TARGET, "a.md": A})
    assert zettel(root, "mv", "target.md", "aim.md").exit_code == 0
    (user_settings / "journal.key").unlink()
    result = zettel(root, "undo")
    assert result.exit_code == 1 and result.stderr.startswith("zettel: nothing to undo")
    assert zettel(root, "mv", "aim.md", "b.md").exit_code == 0
    assert (user_settings / "journal.key").exists()
    listed = json.loads(zettel(root, "undo", "--list", "--json").stdout)
    assert [(e["batch"], e["state"]) for e in listed] == [(2, "done"), (1, "foreign")]
    assert zettel(root, "undo").exit_code == 0
    assert files(root) == {"a.md": b"See [[aim]].\n", "aim.md": TARGET}
