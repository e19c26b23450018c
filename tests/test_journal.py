"""zettel.vault.journal: a plan written journaled, rolled back when it fails half-way,
recovered after its process was killed, undone; move_exclusive and the writer's path checks.

Plans are built here from hand-written replacements (`plan_of`); expected bytes are
written out literally."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MakeVault
from conftest import vault_files as files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zettel.core.plan import FileChange, NewFile, Plan, TextEdit
from zettel.vault import journal
from zettel.vault.journal import BatchRolledBack, apply_plan, history, plan_undo, recover, undo
from zettel.vault.write import EditRefused, FileChanged, read_for_edit
from zettel.vault.write_paths import create_in_vault, move_exclusive, remove_unchanged

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX links and signals")
JOURNAL = Path(".zettel", "journal")


def change(root: Path, path: str, *pairs: tuple[str, str], new_path: str | None = None
           ) -> FileChange:
    """A change of ``path`` replacing the first occurrence of each ``old`` by ``new``."""
    text, fingerprint = read_for_edit(root, path)
    edits, start = [], 0
    for old, new in pairs:
        at = text.index(old, start)
        edits.append(TextEdit(at, at + len(old), new))
        start = at + len(old)
    return FileChange(path, text, fingerprint.digest, tuple(edits), new_path, len(pairs))


def plan_of(*changes: FileChange, creates: tuple[NewFile, ...] = ()) -> Plan:
    return Plan("test", "a test batch", tuple(changes), creates)


# --- writing and undoing --------------------------------------------------------------------


def test_a_batch_is_journaled_and_undone_byte_for_byte(make_vault: MakeVault) -> None:
    root = make_vault({
        "a.md": b"\xef\xbb\xbf---\r\ntitle: A\r\n---\r\nSee [[b]]\tand [[b]]",
        "b.md": b"# B\n",
    })
    before = files(root)
    applied = apply_plan(root, plan_of(
        change(root, "a.md", ("[[b]]", "[[sub/c]]"), ("[[b]]", "[[sub/c|b]]")),
        change(root, "b.md", new_path="sub/c.md"),
        creates=(NewFile("stub.md", "# Stub\n"),)))
    assert (applied.edited, applied.moved, applied.created) == (
        ("a.md",), (("b.md", "sub/c.md"),), ("stub.md",))
    assert files(root) == {
        "a.md": b"\xef\xbb\xbf---\r\ntitle: A\r\n---\r\nSee [[sub/c]]\tand [[sub/c|b]]",
        "stub.md": b"# Stub\n",
        "sub/c.md": b"# B\n",
    }
    assert sorted(os.listdir(root / JOURNAL)) == ["00000001.done", "lock"]
    [entry] = history(root)
    assert (entry.seq, entry.action, entry.state) == (1, "test", "done")
    reverted = undo(root)
    assert reverted is not None and reverted.removed == ("stub.md",)
    assert files(root) == before
    assert (root / "sub").is_dir()  # a folder made for the move is left
    assert [(e.seq, e.action, e.state, e.reverts, e.undone_by) for e in history(root)] == [
        (2, "undo", "done", 1, None), (1, "test", "undone", None, 2)]
    assert plan_undo(root) is None and undo(root) is None


def test_undo_twice_goes_two_batches_back(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "one\n"})
    apply_plan(root, plan_of(change(root, "a.md", ("one", "two"))))
    apply_plan(root, plan_of(change(root, "a.md", ("two", "three"))))
    assert (root / "a.md").read_bytes() == b"three\n"
    undo(root)
    assert (root / "a.md").read_bytes() == b"two\n"
    undo(root)
    assert (root / "a.md").read_bytes() == b"one\n"
    assert undo(root) is None


def test_undo_leaves_a_file_changed_since_and_names_it(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n", "b.md": "[[x]]\n"})
    apply_plan(root, plan_of(change(root, "a.md", ("x", "y")), change(root, "b.md", ("x", "y"))))
    (root / "b.md").write_bytes(b"[[y]] and my own words\n")
    plan = plan_undo(root)
    assert plan is not None and [r.path for r in plan.refused] == ["b.md"]
    assert plan.warnings == ("'b.md' not reverted: changed since the batch wrote it",)
    applied = undo(root)
    assert applied is not None and applied.refused == ("b.md",)
    assert files(root) == {"a.md": b"[[x]]\n", "b.md": b"[[y]] and my own words\n"}
    assert history(root)[0].refused == ("b.md",)
    assert undo(root) is None  # the batch counts as undone: no loop on the refused file


def test_undo_does_not_remove_a_created_note_edited_since(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "x\n"})
    apply_plan(root, plan_of(creates=(NewFile("n/stub.md", "# Stub\n"),)))
    (root / "n/stub.md").write_text("# Stub\n\nwritten by hand\n")
    applied = undo(root)
    assert applied is not None and applied.refused == ("n/stub.md",)
    assert (root / "n/stub.md").read_text() == "# Stub\n\nwritten by hand\n"


def test_undo_does_not_move_back_onto_a_new_file(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "A\n"})
    apply_plan(root, plan_of(change(root, "a.md", new_path="b.md")))
    (root / "a.md").write_text("a new a\n")
    plan = plan_undo(root)
    assert plan is not None and plan.refused[0].path == "b.md"
    assert "'a.md' exists again" in plan.refused[0].reason
    undo(root)
    assert files(root) == {"a.md": b"a new a\n", "b.md": b"A\n"}


# --- never a partial batch ------------------------------------------------------------------


def test_a_file_edited_by_another_program_before_the_write_is_not_clobbered(
        make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n", "b.md": "[[x]]\n"})
    plan = plan_of(change(root, "a.md", ("x", "y")), change(root, "b.md", ("x", "y")))
    (root / "b.md").write_bytes(b"[[x]] saved by an editor\n")
    with pytest.raises(FileChanged, match="'b.md' changed since it was read; nothing was"):
        apply_plan(root, plan)
    assert files(root) == {"a.md": b"[[x]]\n", "b.md": b"[[x]] saved by an editor\n"}
    assert history(root) == [] and os.listdir(root / JOURNAL) == ["lock"]


def test_a_file_edited_while_the_batch_is_written_rolls_the_batch_back(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "[[x]]\n", "b.md": "[[x]]\n"})
    plan = plan_of(change(root, "a.md", ("x", "y")), change(root, "b.md", ("x", "y")))
    real_replace = os.replace

    def replace_then_edit_b(src: str, dst: str) -> None:  # another program saves b.md meanwhile
        real_replace(src, dst)
        if str(dst).endswith("a.md"):
            (root / "b.md").write_bytes(b"saved by an editor\n")

    monkeypatch.setattr(os, "replace", replace_then_edit_b)
    with pytest.raises(BatchRolledBack, match="the batch was rolled back") as caught:
        apply_plan(root, plan)
    assert "'b.md' was left as it is" in str(caught.value)
    assert files(root) == {"a.md": b"[[x]]\n", "b.md": b"saved by an editor\n"}
    assert [(e.seq, e.state) for e in history(root)] == [(1, "rolled back")]
    assert plan_undo(root) is None


def test_a_batch_failing_after_its_edits_is_rolled_back(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n", "taken.md": "mine\n"})
    with pytest.raises(BatchRolledBack, match="'taken.md' already exists.*no file is changed"):
        apply_plan(root, plan_of(change(root, "a.md", ("x", "taken")),
                                 creates=(NewFile("taken.md", "# Taken\n"),)))
    assert files(root) == {"a.md": b"[[x]]\n", "taken.md": b"mine\n"}


def test_a_batch_stopped_by_a_bug_is_rolled_back_and_the_error_kept(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "[[b]]\n", "b.md": "B\n"})

    def broken(*_args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(journal, "move_exclusive", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        apply_plan(root, plan_of(change(root, "a.md", ("b", "c")),
                                 change(root, "b.md", new_path="c.md")))
    assert files(root) == {"a.md": b"[[b]]\n", "b.md": b"B\n"}
    assert [(e.seq, e.state) for e in history(root)] == [(1, "rolled back")]


def test_a_plan_whose_text_is_not_its_digest_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n"})
    good = change(root, "a.md", ("x", "y"))
    bad = FileChange("a.md", "[[x]] not what was read\n", good.digest, good.edits)
    with pytest.raises(EditRefused, match="not the text it was read as"):
        apply_plan(root, plan_of(bad))
    assert files(root) == {"a.md": b"[[x]]\n"}


def test_a_move_onto_an_existing_file_is_refused_before_any_write(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]\n", "b.md": "B\n", "c.md": "C\n"})
    with pytest.raises(EditRefused, match="'c.md' already exists"):
        apply_plan(root, plan_of(change(root, "a.md", ("b", "c")),
                                 change(root, "b.md", new_path="c.md")))
    assert files(root) == {"a.md": b"[[b]]\n", "b.md": b"B\n", "c.md": b"C\n"}
    assert history(root) == []


def test_the_journal_keeps_the_last_batches(make_vault: MakeVault,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "KEEP", 3)
    root = make_vault({"a.md": "0\n"})
    for n in range(5):
        apply_plan(root, plan_of(change(root, "a.md", (str(n), str(n + 1)))))
    assert sorted(os.listdir(root / JOURNAL)) == [
        "00000003.done", "00000004.done", "00000005.done", "lock"]
    for _ in range(3):
        undo(root)
    assert (root / "a.md").read_text() == "2\n"


# --- recovery of a killed batch (small; tests/test_kill.py has the 1,000-link one) -------------


def run_paused(root: Path, after: int, plan_script: str,
               while_paused: Callable[[], None] = lambda: None) -> None:
    """Run ``plan_script`` (builds ``plan``) and apply it in a process stopped after
    ``after`` files by the test hook, call ``while_paused``, then kill it (SIGKILL)."""
    script = ("import sys\nfrom pathlib import Path\nfrom zettel.core.plan import *\n"
              "from zettel.vault.write import read_for_edit\n"
              "from zettel.vault.journal import apply_plan\nroot = Path(sys.argv[1])\n"
              + plan_script + "\napply_plan(root, plan)\n")
    process = subprocess.Popen([sys.executable, "-c", script, str(root)],
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, journal.PAUSE_ENV: str(after)})
    assert process.stderr is not None
    line = process.stderr.readline()  # blocks until the writer has paused
    assert b"paused after" in line, line + process.stderr.read()
    while_paused()
    process.kill()
    process.wait()
    assert process.stdin is not None
    process.stdin.close()
    process.stderr.close()


@posix_only
def test_a_batch_killed_between_a_moves_link_and_unlink_is_recovered(
        make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]\n", "b.md": "B\n"})
    run_paused(root, 1, (
        "t, f = read_for_edit(root, 'a.md')\n"
        "u, g = read_for_edit(root, 'b.md')\n"
        "plan = Plan('mv', 'b to c', (FileChange('a.md', t, f.digest, (TextEdit(2, 3, 'c'),)),"
        " FileChange('b.md', u, g.digest, (), 'c.md')))"))
    assert files(root) == {"a.md": b"[[c]]\n", "b.md": b"B\n"}
    os.link(root / "b.md", root / "c.md")  # as if killed after the link of the move
    assert history(root)[0].state == "interrupted"
    assert "an interrupted write batch 1 (mv: b to c) waits" in (journal.waiting(root) or "")
    notices = recover(root)
    assert notices == ["an interrupted write batch (1, mv: b to c) was rolled back: "
                       "1 file(s) restored"]
    assert files(root) == {"a.md": b"[[b]]\n", "b.md": b"B\n"}
    assert journal.waiting(root) is None
    assert [(e.seq, e.state) for e in history(root)] == [(1, "rolled back")]


@posix_only
def test_a_batch_killed_before_its_first_write_leaves_every_file_and_is_rolled_back(
        make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]\n"})

    def under_way() -> None:
        assert journal.waiting(root) is None  # its writer holds the lock: not interrupted

    run_paused(root, 0, (
        "t, f = read_for_edit(root, 'a.md')\n"
        "plan = Plan('fix', 'b', (FileChange('a.md', t, f.digest, (TextEdit(2, 3, 'c'),)),))"),
        under_way)
    assert (journal.waiting(root) or "").startswith("an interrupted write batch 1 (fix: b)")
    assert files(root) == {"a.md": b"[[b]]\n"}
    # the next batch rolls the waiting one back first, and says so
    applied = apply_plan(root, plan_of(change(root, "a.md", ("b", "d"))))
    assert applied.notices[0].startswith("an interrupted write batch (1, fix: b) was rolled back")
    assert files(root) == {"a.md": b"[[d]]\n"}
    assert [(e.seq, e.state) for e in history(root)] == [(2, "done"), (1, "rolled back")]


# --- the writer's paths ---------------------------------------------------------------------


def test_move_exclusive_makes_folders_and_never_overwrites(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "A\n", "b.md": "B\n"})
    move_exclusive(root, "a.md", "x/y/a.md")
    assert files(root) == {"b.md": b"B\n", "x/y/a.md": b"A\n"}
    with pytest.raises(EditRefused, match="'b.md' already exists"):
        move_exclusive(root, "x/y/a.md", "b.md")
    with pytest.raises(FileChanged, match="'a.md' does not exist"):
        move_exclusive(root, "a.md", "c.md")
    assert files(root) == {"b.md": b"B\n", "x/y/a.md": b"A\n"}


@pytest.mark.parametrize("new", ["../out.md", "/tmp/out.md", "x/../../out.md", ""])
def test_move_exclusive_refuses_a_path_out_of_the_vault(make_vault: MakeVault, new: str) -> None:
    root = make_vault({"a.md": "A\n"})
    with pytest.raises(EditRefused):
        move_exclusive(root, "a.md", new)
    assert files(root) == {"a.md": b"A\n"}
    assert sorted(p.name for p in root.parent.iterdir()) == ["vault"]


@posix_only
def test_move_exclusive_refuses_links(make_vault: MakeVault, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = make_vault({"a.md": "A\n"})
    (root / "out").symlink_to(outside)
    (root / "link.md").symlink_to(root / "a.md")
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    with pytest.raises(EditRefused, match="leads out of the vault"):
        move_exclusive(root, "a.md", "out/a.md")
    with pytest.raises(EditRefused, match="not a regular file"):
        move_exclusive(root, "link.md", "moved.md")  # would move a.md, not the link
    with pytest.raises(EditRefused, match="already exists"):
        move_exclusive(root, "a.md", "dangling.md")
    assert list(outside.iterdir()) == [] and (root / "a.md").read_text() == "A\n"


@posix_only
def test_create_and_remove_stay_in_the_vault(make_vault: MakeVault, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "n.md").write_text("theirs\n")
    root = make_vault({})
    (root / "out").symlink_to(outside)
    with pytest.raises(EditRefused):
        create_in_vault(root, "out/new.md", b"x")
    with pytest.raises(EditRefused):
        remove_unchanged(root, "out/n.md", "0" * 32)
    assert sorted(p.name for p in outside.iterdir()) == ["n.md"]


# --- any edits, undone ----------------------------------------------------------------------

_PIECE = st.sampled_from(["a", "é", "\r\n", "\n", "\t", " ", "[[x]]", "\ufeff", "😀", "\r", "ÿ"])


@st.composite
def files_and_edits(draw: st.DrawFn) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """Texts (CRLF, BOM, tabs, no final newline, unicode) and non-overlapping edits of each."""
    cases = []
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.lists(_PIECE, max_size=20).map("".join))
        cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=6)))
        edits: list[tuple[int, int, str]] = []
        for start, end in zip(cuts[::2], cuts[1::2], strict=False):
            if edits and start == edits[-1][0] == edits[-1][1] == end:
                continue
            edits.append((start, end, draw(st.lists(_PIECE, max_size=4).map("".join))))
        cases.append((text, edits))
    return cases


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files_and_edits(), st.booleans())
def test_apply_then_undo_gives_the_original_bytes(
        cases: list[tuple[str, list[tuple[int, int, str]]]], move: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        original = {f"n{i}.md": text.encode("utf-8") for i, (text, _) in enumerate(cases)}
        for name, data in original.items():
            (root / name).write_bytes(data)
        changes = []
        for i, (_, edits) in enumerate(cases):
            text, fingerprint = read_for_edit(root, f"n{i}.md")
            changes.append(FileChange(f"n{i}.md", text, fingerprint.digest,
                                      tuple(TextEdit(*e) for e in edits),
                                      "moved/n0.md" if move and i == 0 else None))
        plan = plan_of(*changes)
        apply_plan(root, plan)
        assert (undo(root) is None) == plan.empty  # a plan that writes nothing: no batch
        assert files(root) == original


def test_a_move_whose_old_name_cannot_be_removed_leaves_the_note_where_it_was(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "# A\n"})
    real_unlink = os.unlink

    def refuse_the_source(path: object, *args: object, **kwargs: object) -> None:
        if str(path).endswith("/a.md"):
            raise PermissionError(1, "Operation not permitted")
        real_unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "unlink", refuse_the_source)
    with pytest.raises(PermissionError):
        move_exclusive(root, "a.md", "b.md")
    assert (root / "a.md").read_text() == "# A\n"
    assert not (root / "b.md").exists()  # not under two names


def test_a_batch_of_more_files_than_may_be_open_at_once_is_written(tmp_path: Path) -> None:
    """The writer holds a few temporaries open at a time, not one per file: 300 notes
    are rewritten by a process allowed 128 open files."""
    root = tmp_path / "vault"
    root.mkdir()
    (root / "target.md").write_text("# Target\n")
    for i in range(300):
        (root / f"n{i:03}.md").write_text(f"# N{i}\n\nSee [[target]].\n")
    script = ("import resource, sys\n"
              "resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))\n"
              "from zettel.cli.main import main\n"
              "sys.argv = ['zettel', 'mv', 'target.md', 'moved.md', '--vault', sys.argv[1]]\n"
              "main()\n")
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (root / "n299.md").read_text() == "# N299\n\nSee [[moved]].\n"
    assert all((root / f"n{i:03}.md").read_text().endswith("[[moved]].\n") for i in range(300))
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_a_ctrl_c_right_after_a_file_is_replaced_rolls_it_back(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted between a file's replacement and its report to the journal, the
    batch is rolled back all the same: the file gets its bytes back."""
    from zettel.vault.write import AtomicFile  # noqa: PLC0415

    root = make_vault({"a.md": "See [[b]].\n", "b.md": "# B\n"})
    before = files(root)
    plan = plan_of(change(root, "a.md", ("[[b]]", "[[c]]")))
    real_commit = AtomicFile.commit

    interrupted: list[str] = []

    def commit_then_interrupt(self: AtomicFile, **kwargs: bool) -> object:
        done = real_commit(self, **kwargs)
        if self.path.name == "a.md" and not interrupted:  # once: the roll back writes too
            interrupted.append(self.path.name)
            raise KeyboardInterrupt
        return done

    monkeypatch.setattr(AtomicFile, "commit", commit_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        apply_plan(root, plan)
    assert files(root) == before
    assert not (root / ".zettel" / "journal" / "pending").exists()
