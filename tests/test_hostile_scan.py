"""A vault someone else wrote, as zettel reads it: files that are no notes (FIFOs,
sockets), links out of the vault, unreadable folders, deep front matter, planted
caches and a planted ``.zettel``. Nothing may block, crash, leak a file or run code.

Whatever could hang or kill the interpreter runs in a child process with a timeout
(a guard against hanging the test run, not a measure of speed).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, MakeVault

from zettel.cli.main import main
from zettel.vault import cache
from zettel.vault.scan import open_vault

GUARD = 60  # seconds before a child process counts as hung


def zettel(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``zettel ARGS`` as a child process."""
    return subprocess.run([sys.executable, "-m", "zettel.cli.main", *args], capture_output=True,
                          text=True, check=False, timeout=GUARD, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def problems(output: str) -> list[tuple[str, str, str]]:
    return [(p["kind"], p["path"], p["message"]) for p in json.loads(output)["problems"]]


# --- files that are not regular files ---------------------------------------------------


def test_a_fifo_named_like_a_note_is_unreadable_and_blocks_nothing(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "Linking [[x]] and [[b]].", "b.md": "Back to [[a]]."})
    os.mkfifo(root / "x.md")
    result = zettel("check", "--json", str(root))
    assert result.returncode == 1, result.stderr
    assert ("unreadable", "x.md", "cannot read: not a regular file (a FIFO)") in problems(
        result.stdout)
    again = zettel("check", "--json", str(root))  # from the caches this time
    assert problems(again.stdout) == problems(result.stdout)
    search = zettel("search", "linking", str(root))
    assert search.returncode == 0 and "a.md" in search.stdout, search.stderr
    tui = ("import sys\nfrom zettel.tui.model import VaultModel\n"  # what the TUI reloads
           "model = VaultModel(sys.argv[1])\nmodel.load()\nmodel.analyse()\n"
           "print(model.changed_on_disk(), [p.kind for p in model.problems()])\n")
    out = subprocess.run([sys.executable, "-c", tui, str(root)], capture_output=True, text=True,
                         timeout=GUARD, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["False", "['unreadable']"]


def test_a_file_swapped_for_a_fifo_after_listing_does_not_block(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]", "x.md": "a note, for now"})
    script = (
        "import os, sys\n"
        "from zettel.vault.scan import open_vault, read_note, scan_folder\n"
        "root = sys.argv[1]\n"
        "listing = scan_folder(__import__('pathlib').Path(root))\n"
        "os.unlink(os.path.join(root, 'x.md'))\n"
        "os.mkfifo(os.path.join(root, 'x.md'))\n"
        "vault = open_vault(root, listing=listing, use_cache=False)\n"
        "print([p.message for n in vault.notes for p in n.problems])\n"
        "print(read_note(root, 'x.md').problems[0].message)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True,
                         text=True, timeout=GUARD, check=True, env={**os.environ,
                                                                   "PYTHONPATH": str(ROOT)})
    assert out.stdout.splitlines() == ["['cannot read: not a regular file (a FIFO)']",
                                       "cannot read: not a regular file (a FIFO)"]


def test_a_socket_named_like_a_note_is_unreadable(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]"})
    where = os.getcwd()
    os.chdir(root)  # a socket's path must be short
    try:
        server = socket.socket(socket.AF_UNIX)
        server.bind("b.md")
    finally:
        os.chdir(where)
    with server:
        result = run("check", "--json", "--no-cache", str(root))
    assert ("unreadable", "b.md", "cannot read: not a regular file (a socket)") in problems(
        result.stdout)


# --- symbolic links -----------------------------------------------------------------------


def test_a_note_linked_to_a_file_outside_the_vault_is_never_read(make_vault: MakeVault,
                                                                  tmp_path: Path) -> None:
    private = tmp_path / "private.md"
    private.write_text("---\ntitle: Diary\n---\nmy bank PIN is zebracorn\n", encoding="utf-8")
    root = make_vault({"a.md": "[[leak]] [[chain]] [[inside]]", "real/in.md": "the zebra note"})
    os.symlink(private, root / "leak.md")
    os.symlink("real/../leak.md", root / "chain.md")  # a link inside, to a link outside
    os.symlink("real/in.md", root / "inside.md")  # a link inside the vault is followed
    result = run("check", "--json", str(root))
    found = problems(result.stdout)
    assert ("unreadable", "leak.md", "cannot read: symbolic link to outside the vault") in found
    assert ("unreadable", "chain.md", "cannot read: symbolic link to outside the vault") in found
    assert not any(path == "inside.md" and kind == "unreadable" for kind, path, _ in found)
    for args in (("search", "zebracorn", str(root)), ("show", "leak", "--vault", str(root))):
        assert "zebracorn" not in zettel(*args).stdout
    bodies = {note.path: note.body for note in open_vault(root).notes}
    assert bodies["inside.md"] == "the zebra note" and bodies["leak.md"] == ""


def test_a_folder_link_is_not_followed(make_vault: MakeVault, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.md").write_text("zebracorn", encoding="utf-8")
    root = make_vault({"a.md": "x"})
    os.symlink(outside, root / "linked")
    result = run("check", "--json", str(root))
    assert json.loads(result.stdout)["notes"] == 1


# --- folders that cannot be read ------------------------------------------------------------


def test_an_unreadable_folder_is_reported_and_check_fails(make_vault: MakeVault,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "[[b]] [[c]]", "sub/b.md": "[[a]]", "sub/c.md": "[[a]]"})
    clean = run("check", "--no-cache", str(root))
    assert clean.exit_code == 0, clean.stdout
    listdir = os.scandir

    def refuse(path: str = ".") -> object:
        if os.path.basename(os.fspath(path).rstrip("/")) == "sub":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return listdir(path)

    monkeypatch.setattr(os, "scandir", refuse)  # as chmod 000 does, also for root
    result = run("check", "--json", "--no-cache", str(root))
    assert result.exit_code == 1
    assert ("unreadable", "sub/", "cannot read this folder (Permission denied): the notes in "
            "it are missing, and links to them are reported as broken") in problems(result.stdout)
    # Its links are unknown: neither it nor a FIFO is called an orphan or isolated.
    os.mkfifo(root / "fifo.md")
    again = problems(run("check", "--json", "--no-cache", str(root)).stdout)
    assert [(kind, path) for kind, path, _ in again if path in ("sub/", "fifo.md")] == [
        ("unreadable", "fifo.md"), ("unreadable", "sub/")]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads a folder whatever its permissions")
def test_a_folder_without_permissions_is_reported(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "sub/b.md": "[[a]]"})
    (root / "sub").chmod(0)
    try:
        result = run("check", "--json", "--no-cache", str(root))
    finally:
        (root / "sub").chmod(0o755)
    assert result.exit_code == 1
    assert any(kind == "unreadable" and path == "sub/" for kind, path, _ in problems(
        result.stdout))


# --- deep front matter ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["[" * 250 + "]" * 250, "{a: " * 200 + "x" + "}" * 200])
def test_deeply_nested_yaml_is_a_yaml_error_not_a_crash(make_vault: MakeVault,
                                                        value: str) -> None:
    root = make_vault({"deep.md": f"---\ntitle: Deep\na: {value}\n---\n[[b]]", "b.md": "[[deep]]"})
    for args in (("check", "--json", "--no-cache"), ("check", "--json"), ("check", "--json")):
        result = run(*args, str(root))
        assert result.exit_code == 1
        [(kind, path, message)] = problems(result.stdout)
        assert (kind, path) == ("yaml-error", "deep.md") and "nested" in message
    shown = json.loads(run("show", "Deep", "--vault", str(root), "--json").stdout)
    assert shown["title"] == "Deep"


def test_deep_block_nesting_cannot_overflow_the_yaml_parser(make_vault: MakeVault) -> None:
    """yaml-rs recurses once per level: 20,000 levels of '- ' (40 kB) overflowed its
    stack and killed the process (SIGSEGV)."""
    root = make_vault({"deep.md": "---\ntitle: Deep\na:\n" + "- " * 20_000 + "x\n---\n[[b]]",
                       "nested.md": "---\n" + "".join(" " * i + f"k{i}:\n" for i in range(600))
                       + "---\n[[b]]", "b.md": "[[deep]] [[nested]]"})
    result = zettel("check", "--json", str(root))
    assert result.returncode == 1, result.stderr[-500:]
    assert [(kind, path) for kind, path, _ in problems(result.stdout)] == [
        ("yaml-error", "deep.md"), ("yaml-error", "nested.md")]


# --- planted caches and state folders ------------------------------------------------------


class Boom:
    """Unpickling this runs a command (it does, with plain pickle.loads)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def test_planted_pickles_never_run_code(make_vault: MakeVault, tmp_path: Path) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    marker = tmp_path / "PWNED"
    assert pickle.loads(pickle.dumps(Boom(marker))) == 0 and marker.exists()  # it works...
    marker.unlink()
    folder = root / ".zettel" / "cache"
    folder.mkdir(parents=True)
    boom = Boom(marker)
    for name in ("check.pickle", "summary.pickle", "facts.pickle"):
        (folder / name).write_bytes(pickle.dumps({"key": cache.CACHE_KEY, "rows": [boom],
                                                  "fingerprint": boom, "memo": boom}))
    # The notes cache with a header that passes every check, as a perfect forgery would,
    # and the code in a chunk of notes: the whitelist is what stops it.
    header = {"key": cache.CACHE_KEY, "folder": os.lstat(folder).st_ino}
    chunk = pickle.dumps([("a.md", 1, 1, boom)])
    (folder / "notes.pickle").write_bytes(pickle.dumps(header) + pickle.dumps(chunk)
                                          + pickle.dumps(None))
    result = zettel("check", "--json", str(root), cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["notes"] == 2, result.stderr
    assert zettel("show", "a", "--vault", str(root), cwd=tmp_path).returncode == 0
    assert cache.load_summary(root) is None
    assert not marker.exists()
    (folder / "notes.pickle").write_bytes(pickle.dumps(boom))  # and in the header itself
    assert zettel("check", "--no-cache", str(root)).returncode == 0
    assert zettel("check", str(root), cwd=tmp_path).returncode == 0
    assert not marker.exists()


def test_a_cache_made_elsewhere_is_not_used(make_vault: MakeVault, tmp_path: Path) -> None:
    """A cache that came with a vault (a copy, an archive, a clone) is never trusted,
    even when each file's size and mtime match those it records."""
    first = make_vault({"a.md": "---\ntitle: Mine\n---\n"})
    stamp = os.stat(first / "a.md")
    os.utime(first / "a.md", ns=(stamp.st_atime_ns, stamp.st_mtime_ns - 10**10))
    assert open_vault(first).notes[0].title == "Mine"
    assert open_vault(first).stats.cached == 1
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)  # mtimes kept, to the nanosecond
    stamp = os.stat(copy / "a.md")
    (copy / "a.md").write_text("---\ntitle: Edit\n---\n", encoding="utf-8")  # same size
    os.utime(copy / "a.md", ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    opened = open_vault(copy)
    assert opened.notes[0].title == "Edit" and opened.stats.cached == 0
    assert any("not written here" in notice for notice in opened.notices)
    assert open_vault(copy).stats.cached == 1  # its own cache, from now on


@pytest.mark.parametrize("linked", [".zettel", ".zettel/cache"])
def test_a_linked_state_folder_is_refused(make_vault: MakeVault, tmp_path: Path,
                                          linked: str) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]", ".zettel/config.yaml": ""})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if linked == ".zettel":
        (root / ".zettel" / "config.yaml").unlink()
        (root / ".zettel").rmdir()
    os.symlink(elsewhere, root / linked)
    result = zettel("check", str(root))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "symbolic link" in result.stderr
    assert list(elsewhere.iterdir()) == []
    if linked == ".zettel/cache":  # the settings in .zettel are still read
        assert zettel("check", "--no-cache", str(root)).returncode == 0  # and no cache


def test_planted_links_and_fifos_in_the_cache_folder(make_vault: MakeVault,
                                                     tmp_path: Path) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    folder = root / ".zettel" / "cache"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "notes.pickle")
    os.mkfifo(folder / "check.pickle")
    outside = tmp_path / "outside.txt"
    os.symlink(outside, folder / ".gitignore")  # writing it would create a file out there
    os.symlink(tmp_path / "summary", folder / "summary.pickle")
    result = zettel("check", str(root))
    assert result.returncode == 0, result.stderr
    assert "not a regular file" in result.stderr
    assert not outside.exists() and not (tmp_path / "summary").exists()


# --- temporaries left by a crash -------------------------------------------------------------


def test_temporaries_left_by_a_killed_zettel_are_removed(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    folder = root / ".zettel" / "cache"
    folder.mkdir(parents=True)
    stale = [".notes.k3x9_a0q.tmp", ".check.pickle.zz99yy88.tmp", ".facts.pickle.abcdefgh.tmp"]
    others = ["notes.tmp", ".notes.tmp", "mine.txt", ".notes.short.tmp"]
    for name in stale + others:
        (folder / name).write_bytes(b"\0" * 1000)
    assert zettel("check", str(root)).returncode == 0
    assert sorted(p.name for p in folder.iterdir() if p.name in stale + others) == sorted(others)


@pytest.mark.skipif(sys.platform == "win32", reason="no flock")
def test_temporaries_of_a_running_zettel_are_kept(make_vault: MakeVault) -> None:
    import fcntl

    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    folder = root / ".zettel" / "cache"
    folder.mkdir(parents=True)
    (folder / ".notes.k3x9_a0q.tmp").write_bytes(b"being written")
    with open(folder / cache.LOCK_FILE, "a+b") as lock:  # as a zettel writing its caches
        fcntl.flock(lock, fcntl.LOCK_SH)
        assert zettel("check", str(root)).returncode == 0
        assert (folder / ".notes.k3x9_a0q.tmp").exists()
    assert zettel("check", "--no-cache", str(root)).returncode == 0
    (root / "c.md").write_text("[[a]]", encoding="utf-8")  # something to write again
    assert zettel("check", str(root)).returncode == 0
    assert not (folder / ".notes.k3x9_a0q.tmp").exists()
