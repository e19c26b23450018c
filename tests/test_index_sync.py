"""The search index stays in step with the files, and is never in the way."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MakeVault

from zettel.core.model import Note
from zettel.search import keeper as search
from zettel.search import state as index_state
from zettel.search.keeper import Hit, IndexBusy, Results, SearchIndex
from zettel.search.state import FileKinds
from zettel.search.whoosh import engine as search_whoosh

NOTES = {f"n{i}.md": f"---\ntitle: Note {i}\n---\nword{i} common text\n" for i in range(6)}
HOUR_AGO = time.time() - 3600


def age(root: Path) -> None:
    """Make every note an hour old, as files are outside a test (no racy mtimes)."""
    for path in root.rglob("*.md"):
        os.utime(path, (HOUR_AGO, HOUR_AGO))


@pytest.fixture
def vault(make_vault: MakeVault) -> Path:
    root = make_vault(NOTES)
    age(root)
    return root


@pytest.fixture
def indexed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the documents (re)written into the index, in order."""
    written: list[str] = []
    real = search_whoosh.document

    def spy(note):  # type: ignore[no-untyped-def]
        written.append(note.path)
        return real(note)

    monkeypatch.setattr(search_whoosh, "document", spy)
    return written


def found(index: SearchIndex, query: str) -> list[str]:
    return sorted(hit.path for hit in index.search(query, limit=None).hits)


def test_first_sync_builds_then_nothing_to_do(vault: Path, indexed: list[str]) -> None:
    index = SearchIndex(vault)
    first = index.sync()
    assert first.rebuilt and sorted(indexed) == sorted(NOTES)
    indexed.clear()
    second = SearchIndex(vault).sync()
    assert not second.rebuilt and not second.changes and indexed == []
    assert not index.notices  # a first build is not news


def test_add_edit_delete_rename_touch(vault: Path, indexed: list[str]) -> None:
    index = SearchIndex(vault)
    index.sync()
    indexed.clear()
    (vault / "added.md").write_text("fresh addition\n", encoding="utf-8")
    (vault / "n1.md").write_text("---\ntitle: Note 1\n---\nrewritten body\n", encoding="utf-8")
    (vault / "n2.md").unlink()
    (vault / "n3.md").rename(vault / "moved.md")
    os.utime(vault / "n4.md")  # touched: new mtime, same bytes
    report = index.sync()
    changes = report.changes
    assert changes.added == ["added.md"]
    assert changes.changed == ["n1.md"]
    assert changes.deleted == ["n2.md"]
    assert changes.renamed == [("n3.md", "moved.md")]
    assert changes.touched == ["n4.md"]
    assert sorted(indexed) == ["added.md", "moved.md", "n1.md"]  # and nothing else
    assert found(index, "fresh") == ["added.md"]
    assert found(index, "rewritten") == ["n1.md"] and found(index, "word1") == []
    assert found(index, "word2") == []
    assert found(index, "word3") == ["moved.md"]
    assert found(index, "common") == ["moved.md", "n0.md", "n4.md", "n5.md"]


def test_same_size_edit_in_the_same_tick_is_seen(vault: Path) -> None:
    index = SearchIndex(vault)
    index.sync()
    target = vault / "n5.md"
    target.write_text("---\ntitle: Note 5\n---\nwordY common text\n", encoding="utf-8")
    index.sync()  # indexed within the racy window of its mtime: not trusted
    before = target.stat()
    target.write_text("---\ntitle: Note 5\n---\nwordZ common text\n", encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    assert target.stat().st_size == before.st_size
    assert index.sync().changes.changed == ["n5.md"]
    assert found(index, "wordZ") == ["n5.md"] and found(index, "wordY") == []


def test_settings_change_reindexes_what_they_change(vault: Path) -> None:
    (vault / "extra.txt").write_text("a text file with wordtxt\n", encoding="utf-8")
    index = SearchIndex(vault)
    index.sync()
    assert found(index, "wordtxt") == ["extra.txt"]
    (vault / ".zettel").mkdir(exist_ok=True)
    (vault / ".zettel" / "config.yaml").write_text("extensions: [md]\n", encoding="utf-8")
    report = index.sync()
    assert report.changes.deleted == ["extra.txt"]
    assert found(index, "wordtxt") == []


def _corrupt_segments(root: Path) -> None:
    folder = index_state.current_folder(index_state.index_root(root))
    assert folder is not None
    for path in folder.glob("MAIN_*.*"):  # a segment's files: MAIN_<segment>.<part>
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _delete_segments(root: Path) -> None:
    folder = index_state.current_folder(index_state.index_root(root))
    assert folder is not None
    for path in folder.glob("MAIN_*.*"):
        path.unlink()


def _delete_pointer(root: Path) -> None:
    (index_state.index_root(root) / index_state.CURRENT).unlink()


def _garble_manifest(root: Path) -> None:
    folder = index_state.current_folder(index_state.index_root(root))
    assert folder is not None
    (folder / index_state.MANIFEST).write_bytes(b"\x80\x05not a pickle")


class _Planted:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, ("touch planted-manifest-ran",))


def _planted_manifest(root: Path) -> None:
    folder = index_state.current_folder(index_state.index_root(root))
    assert folder is not None
    (folder / index_state.MANIFEST).write_bytes(pickle.dumps({"version": _Planted()}))


def _old_version(root: Path) -> None:
    folder = index_state.current_folder(index_state.index_root(root))
    assert folder is not None
    manifest, _ = index_state.load_manifest(folder)
    assert manifest is not None
    manifest.version = index_state.SCHEMA_VERSION - 1
    index_state.save_manifest(folder, manifest, search_whoosh.FILES)


def _delete_everything(root: Path) -> None:
    shutil.rmtree(index_state.index_root(root))


@pytest.mark.parametrize(("damage", "notice"), [
    (_corrupt_segments, "rebuilt the search index"),
    (_delete_segments, "rebuilt the search index"),
    (_delete_pointer, "pointer file is missing"),
    (_garble_manifest, "manifest is unreadable"),
    (_old_version, "another version of zettel"),
    (_planted_manifest, "is not allowed"),
    (_delete_everything, None),
])
def test_a_damaged_index_is_rebuilt_with_a_notice(vault: Path, damage, notice) -> None:  # type: ignore[no-untyped-def]
    SearchIndex(vault).sync()
    damage(vault)
    index = SearchIndex(vault)
    index.sync()
    assert found(index, "common") == sorted(NOTES)
    assert found(index, "word4") == ["n4.md"]
    if notice:
        assert len(index.notices) == 1 and notice in index.notices[0]
    else:
        assert index.notices == []
    assert not Path("planted-manifest-ran").exists()
    leftovers = list(index_state.index_root(vault).glob("build-*"))
    assert len(leftovers) == 1  # the one in use; replaced builds are removed


def test_an_interrupted_rebuild_leaves_the_previous_index(vault: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    SearchIndex(vault).sync()
    calls = []
    real = search_whoosh.document

    def interrupted(note):  # type: ignore[no-untyped-def]
        calls.append(note.path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(note)

    monkeypatch.setattr(search_whoosh, "document", interrupted)
    with pytest.raises(KeyboardInterrupt):
        SearchIndex(vault).sync(rebuild=True)
    monkeypatch.setattr(search_whoosh, "document", real)
    root = index_state.index_root(vault)
    assert len(list(root.glob("build-*"))) == 1  # the unfinished build was removed
    index = SearchIndex(vault)
    report = index.sync()
    assert not report.rebuilt and index.notices == []
    assert found(index, "common") == sorted(NOTES)


HOLD_LOCK = """
import sys, time
from whoosh.util.filelock import FileLock
lock = FileLock(sys.argv[1])
assert lock.acquire(blocking=False)
print("held", flush=True)
time.sleep(30)
"""


@contextlib.contextmanager
def lock_held(vault: Path) -> Iterator[None]:
    """Another process holds the index's write lock."""
    root = index_state.index_root(vault)
    root.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(root / "LOCK")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_a_locked_index_is_searched_as_it_is(vault: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "LOCK_WAIT", 0.3)
    SearchIndex(vault).sync()
    (vault / "late.md").write_text("late arrival\n", encoding="utf-8")
    with lock_held(vault):
        index = SearchIndex(vault)
        report = index.sync()  # gives up waiting for the lock (LOCK_WAIT), searches as is
        assert report.read_only
        assert "another zettel process is updating" in index.notices[0]
        assert found(index, "common") == sorted(NOTES)  # the index as it was
        assert found(index, "arrival") == []
    index = SearchIndex(vault)
    index.sync()
    assert found(index, "arrival") == ["late.md"]  # picked up once the lock is free


def test_no_index_and_locked_is_a_clear_error(vault: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "LOCK_WAIT", 0.3)
    with lock_held(vault), pytest.raises(IndexBusy, match="another zettel process is building"):
        SearchIndex(vault).sync()


def test_the_index_ignores_itself_in_git(vault: Path) -> None:
    SearchIndex(vault).sync()
    assert (index_state.index_root(vault) / ".gitignore").read_text(encoding="utf-8")


KILLED = """
import os, signal, sys
from whoosh import writing
from zettel.search.whoosh import engine as search_whoosh
from zettel.search.keeper import SearchIndex

where, vault = sys.argv[1], sys.argv[2]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if where == "build":  # half-way through the notes
    real, seen = search_whoosh.document, []
    def document(note):
        seen.append(note)
        if len(seen) == 4:
            die()
        return real(note)
    search_whoosh.document = document
    SearchIndex(vault, procs=1).sync(rebuild=True)
elif where == "switch":  # a whole build written, CURRENT not yet replaced
    real_replace = os.replace
    def replace(src, dst):
        if str(dst).endswith("CURRENT"):
            die()
        real_replace(src, dst)
    os.replace = replace
    SearchIndex(vault, procs=1).sync(rebuild=True)
else:  # an update, its segment written, before its table of contents
    writing.SegmentWriter._commit_toc = die
    SearchIndex(vault, procs=1).sync()
"""


def _killed(vault: Path, where: str) -> None:
    """Run a sync in another process and kill -9 it at ``where``."""
    done = subprocess.run([sys.executable, "-c", KILLED, where, str(vault)], check=False)
    assert done.returncode == -9


def _entries(vault: Path) -> set[str]:
    root = index_state.index_root(vault)
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("where", ["build", "switch"])
def test_what_a_killed_build_leaves_is_cleaned_up(vault: Path, where: str) -> None:
    SearchIndex(vault).sync()
    clean = _entries(vault)
    _killed(vault, where)
    assert len(list(index_state.index_root(vault).glob("build-*"))) == 2  # a partial build
    index = SearchIndex(vault)
    report = index.sync()  # nothing changed: no rebuild, but the leftovers go
    assert not report.rebuilt and index.notices == []
    assert _entries(vault) == clean
    assert found(index, "common") == sorted(NOTES)


def test_what_a_killed_update_leaves_is_cleaned_up(vault: Path) -> None:
    SearchIndex(vault).sync()
    clean = _entries(vault)
    (vault / "n1.md").write_text("---\ntitle: Note 1\n---\nrewritten body\n", encoding="utf-8")
    _killed(vault, "update")
    assert _entries(vault) - clean  # a segment its table of contents does not list
    index = SearchIndex(vault)
    assert index.sync().changes.changed == ["n1.md"]
    new = {name.rsplit("/", 1)[-1] for name in _entries(vault) - clean}
    assert {name for name in new if not name.endswith(".toc")  # the table of contents,
            and not (name.startswith("MAIN_") and "." in name)} == set()  # segment files
    assert found(index, "rewritten") == ["n1.md"] and found(index, "word1") == []
    build = index_state.current_folder(index_state.index_root(vault))
    assert build is not None
    assert len(list(build.glob("*.toc"))) == 1


def test_leftovers_stay_while_another_process_holds_the_lock(
        vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "LOCK_WAIT", 0.3)
    SearchIndex(vault).sync()
    root = index_state.index_root(vault)
    stale = root / "build-1-1"
    stale.mkdir()
    (stale / "MAIN_abc.seg").write_bytes(b"half a segment")
    with lock_held(vault):
        index = SearchIndex(vault)
        index.sync()
        assert stale.exists()  # the other process may be writing it
        assert found(index, "common") == sorted(NOTES)
    SearchIndex(vault).sync()
    assert not stale.exists()


def test_a_bug_while_searching_is_not_taken_for_a_damaged_index(
        vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh import scoring

    index = SearchIndex(vault)
    index.sync()
    before = index_state.current_folder(index_state.index_root(vault))

    def broken(self, matcher):  # type: ignore[no-untyped-def]
        raise IndexError("a bug in scoring")

    monkeypatch.setattr(scoring.WeightLengthScorer, "score", broken)
    with pytest.raises(IndexError, match="a bug in scoring"):
        index.search("common")
    assert index.notices == []  # not "rebuilt the search index"
    assert index_state.current_folder(index_state.index_root(vault)) == before


# ------------------------------------------------------------ the engine behind the protocol


def test_the_engine_neutral_modules_load_no_whoosh() -> None:
    neutral = ["zettel.search.keeper", "zettel.search.protocol", "zettel.search.model",
               "zettel.search.state", "zettel.search.files"]
    code = ("import sys\n" + "".join(f"import {m}\n" for m in neutral)
            + "print(sorted(m for m in sys.modules if m.startswith('whoosh')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


class _GrepIndex:
    """A build of `_Grep`: every note's text in ``notes-<generation>.json``."""

    def __init__(self, folder: Path, state: dict[str, Any]) -> None:
        self.folder, self.state = folder, state

    def notes(self) -> dict[str, str]:
        data = (self.folder / f"notes-{self.state['generation']}.json").read_text("utf-8")
        return dict(json.loads(data))

    def update(self, removed: Iterable[str], notes: Iterable[Note]) -> None:
        texts = self.notes()
        for path in removed:
            del texts[path]
        texts.update((note.path, note.body) for note in notes)
        self.state = {"generation": self.state["generation"] + 1}
        (self.folder / f"notes-{self.state['generation']}.json").write_text(json.dumps(texts))

    def search(self, text: str, *, limit: int | None, snippets: bool, count: bool,
               read: Callable[[str], Note]) -> Results:
        if text == "bug":
            raise KeyError("a bug in the engine")
        paths = sorted(path for path, body in self.notes().items() if text in body)
        return Results([Hit(path, None, path, 1.0) for path in paths[:limit]], len(paths))

    def related(self, path: str, body: str, *, limit: int) -> list[Hit]:
        return []

    def close(self) -> None:
        pass


class _Grep:
    """A search engine of a few lines, to show `SearchIndex` needs no more of one
    than `zettel.search.protocol.Backend` says."""

    files = FileKinds(data=re.compile(r"notes-\d+\.json"), locks=frozenset(),
                      temporary=re.compile(r"notes-\d+\.tmp"),
                      temporary_folder=re.compile(r"(?!)"))

    def check(self, folder: Path, state: dict[str, Any], files: Iterable[str]) -> str | None:
        newest = max(int(p.stem.split("-")[1]) for p in folder.glob("notes-*.json"))
        return None if newest == state["generation"] else "an update was interrupted"

    def open(self, folder: Path, state: dict[str, Any]) -> _GrepIndex:
        return _GrepIndex(folder, state)

    def build(self, folder: Path, notes: Iterable[Note], count: int,
              progress: Callable[[str, int, int], None], procs: int | None) -> _GrepIndex:
        (folder / "notes-0.json").write_text(json.dumps({n.path: n.body for n in notes}))
        return _GrepIndex(folder, {"generation": 0})

    def damage(self, err: BaseException) -> str | None:
        return f"garbled ({err})" if isinstance(err, json.JSONDecodeError) else None


def test_the_index_keeper_needs_only_the_engine_protocol(vault: Path) -> None:
    """Builds, updates, the manifest, the switch between builds and recovery,
    with an engine that is not Whoosh."""
    index = SearchIndex(vault, backend=_Grep())
    assert index.sync().rebuilt
    assert [h.path for h in index.search("word2").hits] == ["n2.md"]
    assert not index.sync().changes and index.notices == []  # nothing changed: nothing redone
    (vault / "n2.md").write_text("---\ntitle: Note 2\n---\nrewritten\n", encoding="utf-8")
    (vault / "n3.md").unlink()
    report = index.sync()
    assert (report.changes.changed, report.changes.deleted) == (["n2.md"], ["n3.md"])
    assert index.search("common").total == 4 and index.search("rewritten").total == 1
    build = index_state.current_folder(index_state.index_root(vault))
    assert build is not None and sorted(p.name for p in build.glob("notes-*")) == [
        "notes-0.json", "notes-1.json"]
    # Damaged under a search, same size and time (the manifest cannot tell): rebuilt, said.
    data, stat = build / "notes-1.json", (build / "notes-1.json").stat()
    data.write_text("{" + " " * (stat.st_size - 1))
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert index.search("rewritten").total == 1
    assert index.notices and index.notices[0].startswith("rebuilt the search index: garbled")
    with pytest.raises(KeyError, match="a bug in the engine"):  # a bug is no damage
        index.search("bug")
    assert len(index.notices) == 1
    index.close()
