"""kill -9 in the middle of a 1,000-link rewrite (`zettel mv` of a note 250 notes link
to 4 times each): every file is byte for byte its before or its after, `zettel check`
says a batch waits, and the next write (or `zettel undo`) rolls it back.

The writer is a separate `zettel` process stopped by the journal's test hook
(ZETTEL_TEST_PAUSE_AFTER=N: after N files written it waits on its stdin), then
killed with SIGKILL: no sleeps, no time limits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import vault_files as snapshot

from zettel.vault.write import is_temp_name

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

NOTES = 250
ZETTEL = [sys.executable, "-m", "zettel.cli.main"]


def note(i: int) -> bytes:
    """Note i: 4 links to target.md by its file name; CRLF in every other note,
    a BOM in every seventh, no final newline in every third."""
    end = b"\r\n" if i % 2 else b"\n"
    text = end.join([b"---", f"title: Note {i}".encode(), b"---",
                     f"# Note {i}".encode(), b"",
                     b"See [[target]] and\t[[target|the target]].",
                     f"Then ![[target]], [[target#Part]] {'é' * (i % 3)}".encode()])
    text = (b"\xef\xbb\xbf" if i % 7 == 0 else b"") + text
    return text if i % 3 == 0 else text + end


def after(data: bytes) -> bytes:
    """What `zettel mv target moved` makes of a note: its links by file name follow."""
    return data.replace(b"[[target", b"[[moved")


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / "notes").mkdir(parents=True)
    (root / "target.md").write_bytes(b"---\ntitle: The aim\n---\n# The aim\n\n## Part\n")
    for i in range(NOTES):
        (root / "notes" / f"n{i:03}.md").write_bytes(note(i))
    return root


def zettel(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ZETTEL, *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "ZETTEL_VAULT": str(root)})


def kill_after(root: Path, files: int, *args: str) -> None:
    """Run ``zettel ARGS`` until it has written ``files`` files, then SIGKILL it."""
    process = subprocess.Popen([*ZETTEL, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               env={**os.environ, "ZETTEL_VAULT": str(root),
                                    "ZETTEL_TEST_PAUSE_AFTER": str(files)})
    assert process.stderr is not None
    said = []
    for line in process.stderr:  # blocks until the writer says it has paused
        said.append(line)
        if b"paused after" in line:
            break
    else:
        process.wait()
        pytest.fail(f"the writer did not pause: {b''.join(said)!r}")
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("written", [0, 1, 137, NOTES])
def test_a_killed_rewrite_leaves_each_file_before_or_after_and_is_rolled_back(
        vault: Path, written: int) -> None:
    before = snapshot(vault)
    checked = zettel(vault, "check", "--json")
    assert json.loads(checked.stdout)["links"] == 4 * NOTES
    kill_after(vault, written, "mv", "target", "moved.md")

    now = snapshot(vault)
    # The writer stages every new text in a temporary beside its file before replacing any:
    # killed, it leaves them (zettel's names, removed by the roll back below).
    staged = {path for path in now if is_temp_name(path.rsplit("/", 1)[-1])}
    assert len(staged) <= NOTES - written
    now = {path: data for path, data in now.items() if path not in staged}
    assert set(now) == set(before)  # killed before the move: target.md is where it was
    changed = [path for path, data in now.items() if data != before[path]]
    assert len(changed) == written
    for path in changed:
        assert now[path] == after(before[path]), path
    waits = zettel(vault, "check")
    assert "an interrupted write batch 1 (mv: " in waits.stderr
    assert "rolls it back" in waits.stderr

    undone = zettel(vault, "undo")
    assert undone.returncode == 0, undone.stderr
    assert f"rolled back: {written} file(s) restored" in undone.stderr
    assert snapshot(vault) == before
    again = zettel(vault, "check", "--json")
    assert (again.stdout, again.returncode) == (checked.stdout, checked.returncode)
    assert "interrupted" not in again.stderr


def test_the_next_write_rolls_a_killed_batch_back_first(vault: Path) -> None:
    before = snapshot(vault)
    kill_after(vault, 200, "mv", "target", "moved.md")
    # planned from the half-written files: refused once they are rolled back
    refused = zettel(vault, "mv", "target", "elsewhere/moved.md")
    assert refused.returncode == 2
    assert "was rolled back: 200 file(s) restored" in refused.stderr
    assert "nothing of it was written (run the command again)" in refused.stderr
    assert snapshot(vault) == before
    moved = zettel(vault, "mv", "target", "elsewhere/moved.md")
    assert moved.returncode == 0, moved.stderr
    assert snapshot(vault) == {
        **{path: after(data) for path, data in before.items() if path != "target.md"},
        "elsewhere/moved.md": before["target.md"]}
    assert zettel(vault, "undo").returncode == 0
    assert snapshot(vault) == before


def test_a_killed_undo_is_rolled_back_and_can_be_done_again(vault: Path) -> None:
    before = snapshot(vault)
    assert zettel(vault, "mv", "target", "moved.md").returncode == 0
    done = snapshot(vault)
    kill_after(vault, 90, "undo")
    now = snapshot(vault)
    assert sum(now[p] != done[p] for p in done) == 90
    assert "an interrupted write batch 2 (undo: " in zettel(vault, "check").stderr
    rolled = zettel(vault, "undo")  # rolls the undo back: the mv stands
    assert "an interrupted undo batch (2, undo: " in rolled.stderr
    assert snapshot(vault) == done
    assert zettel(vault, "undo").returncode == 0
    assert snapshot(vault) == before
