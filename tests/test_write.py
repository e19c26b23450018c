"""zettel.vault.write: atomic replacement, exclusive creation and span edits of notes.

Expected bytes are written out literally; offsets in the tests count characters of
the file's text decoded as UTF-8, BOM and CR included (the documented contract).
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zettel.cli.main import main
from zettel.vault import cache
from zettel.vault.write import (
    Edit,
    EditRefused,
    EditsInterrupted,
    FileChanged,
    FileEdits,
    Fingerprint,
    apply_edits,
    atomic_write,
    create_exclusive,
    is_temp_name,
    read_for_edit,
)

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and links")


def edit(root: Path, path: str, *edits: tuple[int, int, str]) -> dict[str, object]:
    """Read ``path`` and apply ``edits`` to it at once."""
    _, fingerprint = read_for_edit(root, path)
    return dict(apply_edits(root, [FileEdits(path, fingerprint, [Edit(*e) for e in edits])]))


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- bytes outside the spans ----------------------------------------------------------------


@pytest.mark.parametrize(("original", "edits", "expected"), [
    pytest.param(b"# T\n\nSee [[a]] here.\n", [(11, 12, "b c")],
                 b"# T\n\nSee [[b c]] here.\n", id="lf"),
    pytest.param(b"---\r\ntitle: T\r\n---\r\nSee [[a]].\r\nEnd\r\n", [(26, 27, "b")],
                 b"---\r\ntitle: T\r\n---\r\nSee [[b]].\r\nEnd\r\n", id="crlf"),
    pytest.param(b"\xef\xbb\xbfSee [[a]]\n", [(7, 8, "zz")],  # the BOM is character 0
                 b"\xef\xbb\xbfSee [[zz]]\n", id="bom"),
    pytest.param(b"See [[a]]", [(6, 7, "b")], b"See [[b]]", id="no-final-newline"),
    pytest.param(b"\tSee [[a]]  \n\t\t- x \t\n", [(7, 8, "b")],
                 b"\tSee [[b]]  \n\t\t- x \t\n", id="tabs-and-trailing-spaces"),
    pytest.param(b"caf\xc3\xa9 [[a]]\r\n", [(7, 8, "\xe9t\xe9")],  # characters, not bytes
                 b"caf\xc3\xa9 [[\xc3\xa9t\xc3\xa9]]\r\n", id="characters-not-bytes"),
    pytest.param(b"[[a]] [[a]]\r\n\r\n[[a]]", [(17, 18, "c"), (2, 3, "b"), (8, 9, "")],
                 b"[[b]] [[]]\r\n\r\n[[c]]", id="several-in-any-order"),
    pytest.param(b"x\r\ny", [(1, 1, "!"), (1, 3, "\n"), (3, 3, "?")],
                 b"x!\n?y", id="insertions-around-a-replacement"),
])
def test_bytes_outside_the_spans_are_kept(make_vault: MakeVault, original: bytes,
                                          edits: list[tuple[int, int, str]],
                                          expected: bytes) -> None:
    root = make_vault({"n.md": original})
    edit(root, "n.md", *edits)
    assert (root / "n.md").read_bytes() == expected


def test_the_new_fingerprint_allows_a_second_edit(make_vault: MakeVault) -> None:
    root = make_vault({"n.md": "[[a]]\n"})
    _, first = read_for_edit(root, "n.md")
    after = apply_edits(root, [FileEdits("n.md", first, [Edit(2, 3, "bb")])])
    apply_edits(root, [FileEdits("n.md", after["n.md"], [Edit(2, 4, "c")])])
    assert (root / "n.md").read_bytes() == b"[[c]]\n"
    with pytest.raises(FileChanged):  # the first fingerprint is stale now
        apply_edits(root, [FileEdits("n.md", first, [Edit(0, 0, "x")])])


def test_edits_that_change_nothing_do_not_rewrite_the_file(make_vault: MakeVault) -> None:
    root = make_vault({"n.md": "[[a]]\n"})
    os.utime(root / "n.md", ns=(1_000_000_000, 1_000_000_000))
    edit(root, "n.md", (2, 3, "a"))
    assert (root / "n.md").stat().st_mtime_ns == 1_000_000_000


# --- refusals -------------------------------------------------------------------------------


def test_a_file_changed_since_it_was_read_is_refused_and_left_as_written(
        make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n", "b.md": "[[x]]\n"})
    _, a = read_for_edit(root, "a.md")
    _, b = read_for_edit(root, "b.md")
    (root / "b.md").write_bytes(b"[[x]] and more, by another program\n")
    with pytest.raises(FileChanged, match="'b.md' changed"):
        apply_edits(root, [FileEdits("a.md", a, [Edit(2, 3, "y")]),
                           FileEdits("b.md", b, [Edit(2, 3, "y")])])
    assert (root / "b.md").read_bytes() == b"[[x]] and more, by another program\n"
    assert (root / "a.md").read_bytes() == b"[[x]]\n"  # every file is checked before any write


def test_a_file_removed_since_it_was_read_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n"})
    _, a = read_for_edit(root, "a.md")
    (root / "a.md").unlink()
    with pytest.raises(FileChanged, match="'a.md' was removed"):
        apply_edits(root, [FileEdits("a.md", a, [Edit(2, 3, "y")])])
    assert names(root) == []


def test_a_file_merely_touched_is_edited(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[x]]\n"})
    _, a = read_for_edit(root, "a.md")
    os.utime(root / "a.md", ns=(5_000_000_000, 5_000_000_000))
    apply_edits(root, [FileEdits("a.md", a, [Edit(2, 3, "y")])])
    assert (root / "a.md").read_bytes() == b"[[y]]\n"


def test_a_file_changed_while_the_batch_is_written_stops_it(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "[[x]]\n", "b.md": "[[x]]\n"})
    edits = [FileEdits(p, read_for_edit(root, p)[1], [Edit(2, 3, "y")]) for p in ("a.md", "b.md")]
    real_replace = os.replace

    def replace_then_edit_b(src: str, dst: str) -> None:  # another program saves b.md meanwhile
        real_replace(src, dst)
        (root / "b.md").write_bytes(b"saved by an editor\n")

    monkeypatch.setattr(os, "replace", replace_then_edit_b)
    with pytest.raises(EditsInterrupted, match="'b.md' not written") as caught:
        apply_edits(root, edits)
    assert list(caught.value.written) == ["a.md"]
    assert isinstance(caught.value.__cause__, FileChanged)
    assert (root / "a.md").read_bytes() == b"[[y]]\n"
    assert (root / "b.md").read_bytes() == b"saved by an editor\n"


@pytest.mark.parametrize("spans", [
    [(0, 5, "a"), (3, 8, "b")],
    [(2, 2, "a"), (2, 2, "b")],  # two insertions at one place: no order to choose
    [(0, 9, "a"), (4, 4, "b")],
    [(3, 2, "a")],
    [(0, 99, "a")],
    [(-1, 1, "a")],
])
def test_bad_spans_are_refused_and_nothing_is_written(make_vault: MakeVault,
                                                      spans: list[tuple[int, int, str]]) -> None:
    root = make_vault({"a.md": "[[x]]\n", "n.md": "[[a]] [[b]]\n"})
    _, a = read_for_edit(root, "a.md")
    _, n = read_for_edit(root, "n.md")
    with pytest.raises(EditRefused, match="'n.md'"):
        apply_edits(root, [FileEdits("a.md", a, [Edit(2, 3, "y")]),
                           FileEdits("n.md", n, [Edit(*s) for s in spans])])
    assert (root / "a.md").read_bytes() == b"[[x]]\n"
    assert (root / "n.md").read_bytes() == b"[[a]] [[b]]\n"


@pytest.mark.parametrize("data", [b"caf\xe9 [[a]]\n", b"\xff\xfe[\x00[\x00a\x00]\x00]\x00"],
                         ids=["latin-1", "utf-16"])
def test_a_file_that_is_not_utf8_is_refused_not_reencoded(make_vault: MakeVault,
                                                          data: bytes) -> None:
    root = make_vault({"n.md": data, "ok.md": "[[a]]"})
    _, ok = read_for_edit(root, "ok.md")
    with pytest.raises(EditRefused, match="'n.md' is not valid UTF-8"):
        read_for_edit(root, "n.md")
    from zettel.vault.scan import content_digest  # the fingerprint a reader would have made

    found = (root / "n.md").stat()
    fingerprint = Fingerprint(found.st_size, found.st_mtime_ns, content_digest(data))
    with pytest.raises(EditRefused, match="'n.md' is not valid UTF-8"):
        apply_edits(root, [FileEdits("ok.md", ok, [Edit(2, 3, "b")]),
                           FileEdits("n.md", fingerprint, [Edit(0, 1, "x")])])
    assert (root / "n.md").read_bytes() == data
    assert (root / "ok.md").read_bytes() == b"[[a]]"


@pytest.mark.parametrize("path", ["../outside.md", "/etc/passwd", "sub/../../outside.md",
                                  "..\\outside.md", "", "."])
def test_a_path_out_of_the_vault_is_refused(make_vault: MakeVault, tmp_path: Path,
                                            path: str) -> None:
    root = make_vault({"sub/a.md": "[[a]]"})
    (tmp_path / "outside.md").write_bytes(b"[[a]]")
    _, fingerprint = read_for_edit(root, "sub/a.md")
    with pytest.raises(EditRefused, match="not a path inside the vault|leads out"):
        apply_edits(root, [FileEdits(path, fingerprint, [Edit(2, 3, "b")])])
    assert (tmp_path / "outside.md").read_bytes() == b"[[a]]"


@posix_only
@pytest.mark.parametrize("link", ["out.md", "linked/out.md"], ids=["file", "folder"])
def test_a_link_leading_out_of_the_vault_is_refused(make_vault: MakeVault, tmp_path: Path,
                                                    link: str) -> None:
    root = make_vault({"a.md": "[[a]]"})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "out.md").write_bytes(b"[[a]]")
    if link == "out.md":
        (root / "out.md").symlink_to(outside / "out.md")
    else:
        (root / "linked").symlink_to(outside)
    with pytest.raises(EditRefused, match="leads out of the vault"):
        read_for_edit(root, link)
    _, fingerprint = read_for_edit(root, "a.md")  # the same bytes as the file out there
    with pytest.raises(EditRefused, match="leads out of the vault"):
        apply_edits(root, [FileEdits(link, fingerprint, [Edit(2, 3, "b")])])
    assert (outside / "out.md").read_bytes() == b"[[a]]"


@posix_only
def test_a_fifo_is_refused_without_blocking(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[a]]"})
    os.mkfifo(root / "pipe.md")
    with pytest.raises(EditRefused, match="'pipe.md' is not a regular file"):
        read_for_edit(root, "pipe.md")


@posix_only
def test_a_link_to_a_note_inside_edits_that_note_once(make_vault: MakeVault) -> None:
    root = make_vault({"notes/b.md": "[[a]]\n"})
    (root / "b.md").symlink_to("notes/b.md")
    batch = [FileEdits(p, read_for_edit(root, p)[1], [Edit(2, 3, "c")]) for p in ("b.md",
                                                                               "notes/b.md")]
    after = apply_edits(root, batch)
    assert (root / "notes/b.md").read_bytes() == b"[[c]]\n"  # applied once, not twice
    assert os.readlink(root / "b.md") == "notes/b.md"  # the link stays a link
    assert after["b.md"] == after["notes/b.md"]
    again = [FileEdits("b.md", after["b.md"], [Edit(2, 3, "d")]),
             FileEdits("notes/b.md", after["b.md"], [Edit(2, 3, "e")])]
    with pytest.raises(EditRefused, match="same file"):
        apply_edits(root, again)
    assert (root / "notes/b.md").read_bytes() == b"[[c]]\n"


# --- atomic_write and create_exclusive ------------------------------------------------------


@posix_only
def test_a_link_at_the_destination_is_replaced_not_written_through(tmp_path: Path) -> None:
    target = tmp_path / "target.md"
    target.write_bytes(b"the link's target\n")
    (tmp_path / "dir").mkdir()
    link = tmp_path / "dir" / "file.md"
    link.symlink_to(target)
    atomic_write(link, b"new\n")
    assert not link.is_symlink() and link.read_bytes() == b"new\n"
    assert target.read_bytes() == b"the link's target\n"
    dangling = tmp_path / "dir" / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    atomic_write(dangling, b"x")
    assert not (tmp_path / "nowhere").exists() and dangling.read_bytes() == b"x"


@posix_only
def test_create_exclusive_never_replaces_nor_follows(tmp_path: Path) -> None:
    create_exclusive(tmp_path / "new.md", b"hello\n")
    assert (tmp_path / "new.md").read_bytes() == b"hello\n"
    with pytest.raises(FileExistsError):
        create_exclusive(tmp_path / "new.md", b"other\n")
    assert (tmp_path / "new.md").read_bytes() == b"hello\n"
    (tmp_path / "link.md").symlink_to(tmp_path / "nowhere.md")
    with pytest.raises(FileExistsError):
        create_exclusive(tmp_path / "link.md", b"other\n")
    assert not (tmp_path / "nowhere.md").exists()


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_the_mode_of_a_replaced_file_is_kept(make_vault: MakeVault, mode: int) -> None:
    root = make_vault({"a.md": "[[a]]", "b.md": "x"})
    os.chmod(root / "a.md", mode)
    os.chmod(root / "b.md", mode)
    edit(root, "a.md", (2, 3, "b"))
    atomic_write(root / "b.md", b"y")
    assert stat.S_IMODE((root / "a.md").stat().st_mode) == mode
    assert stat.S_IMODE((root / "b.md").stat().st_mode) == mode


@posix_only
def test_a_new_file_is_0644_less_the_umask_unless_a_mode_is_given(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a", b"")
        atomic_write(tmp_path / "b", b"", mode=0o600)
        create_exclusive(tmp_path / "c", b"")
        os.umask(0o077)
        atomic_write(tmp_path / "d", b"")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"a": 0o644, "b": 0o600, "c": 0o644, "d": 0o600}


def test_a_crash_before_the_replace_leaves_the_original_and_no_temporary(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "[[a]]\r\n", "b.md": "old"})

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    _, fingerprint = read_for_edit(root, "a.md")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(root / "b.md", b"new")
    with pytest.raises(EditsInterrupted, match="No space left") as caught:
        apply_edits(root, [FileEdits("a.md", fingerprint, [Edit(2, 3, "b")])])
    assert caught.value.written == {}
    assert (root / "a.md").read_bytes() == b"[[a]]\r\n"
    assert (root / "b.md").read_bytes() == b"old"
    assert names(root) == ["a.md", "b.md"]


def test_an_error_while_streaming_leaves_the_original_and_no_temporary(tmp_path: Path) -> None:
    from zettel.vault.write import AtomicFile

    (tmp_path / "a").write_bytes(b"old")
    with pytest.raises(RuntimeError), AtomicFile(tmp_path / "a") as out:
        out.write(b"half")
        raise RuntimeError("the writer's bug")
    assert names(tmp_path) == ["a"] and (tmp_path / "a").read_bytes() == b"old"


def test_a_crash_while_writing_the_parse_cache_leaves_no_temporary(
        make_vault: MakeVault, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})

    def crash(src: object, dst: object) -> None:
        raise OSError(5, "EIO")

    monkeypatch.setattr(os, "replace", crash)
    writer = cache.NotesCacheWriter(root)
    with writer:
        writer.add(cache.dump_chunk([]))
    assert writer.notice is not None and "not written (EIO)" in writer.notice
    assert cache.save_summary(root, []) is not None
    assert names(root / ".zettel" / "cache") == [".gitignore", "lock"]


@posix_only
def test_cache_files_are_for_the_user_only(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    assert CliRunner().invoke(main, ["check", str(root)]).exit_code == 0
    assert cache.save_summary(root, []) is None
    folder = root / ".zettel" / "cache"
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()
             if p.name.endswith(".pickle")}
    assert modes and set(modes.values()) == {0o600}, modes


def test_temporaries_are_named_as_ours() -> None:
    assert is_temp_name(".notes.pickle.k3x9_a0q.tmp") and is_temp_name(".a b.md.abcdefgh.tmp")
    assert not any(map(is_temp_name, ["notes.tmp", ".notes.tmp", ".notes.short.tmp",
                                      "a.md.abcdefgh.tmp", ".a.md.ABCDEFGH.tmp"]))


# --- the writers of zettel's commands -------------------------------------------------------


@posix_only
def test_trust_keeps_the_mode_of_the_users_settings(make_vault: MakeVault,
                                                    user_settings: Path) -> None:
    vault = make_vault({"a.md": "x"})
    settings = user_settings / "config.yaml"
    settings.write_text("editor: vi\n", encoding="utf-8")
    os.chmod(settings, 0o600)
    old = os.umask(0o022)  # a new file would be 0o644
    try:
        result = CliRunner().invoke(main, ["trust", str(vault)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert str(vault.resolve()) in settings.read_text(encoding="utf-8")
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600
    assert names(user_settings) == ["config.yaml"]


# --- any edits, undone ----------------------------------------------------------------------

_TEXT = st.lists(st.sampled_from(["a", "é", "\r\n", "\n", "\t", " ", "[[x]]", "\ufeff", "😀",
                                  "\r"]), max_size=6).map("".join)


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    """A text and non-overlapping edits of it (at most one insertion at a place)."""
    text = draw(st.text(alphabet=st.sampled_from("ab\r\n\t é😀\ufeff"), max_size=60))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits: list[tuple[int, int, str]] = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if edits and start == edits[-1][0] == edits[-1][1] == end:
            continue
        edits.append((start, end, draw(_TEXT)))
    return text, edits


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_and_edits())
def test_edits_then_their_inverse_give_the_original_bytes(
        case: tuple[str, list[tuple[int, int, str]]]) -> None:
    text, edits = case
    original = text.encode("utf-8")
    expected, done = [], 0  # the text between the spans, as it was, and the replacements
    for start, end, replacement in edits:
        expected += [text[done:start], replacement]
        done = end
    expected.append(text[done:])
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "n.md").write_bytes(original)
        after = edit(root, "n.md")  # no edits: nothing written, the same fingerprint back
        edit(root, "n.md", *edits)
        assert (root / "n.md").read_bytes() == "".join(expected).encode("utf-8")
        inverse: list[tuple[int, int, str]] = []
        shift = 0
        for start, end, replacement in edits:
            undo = (start + shift, start + shift + len(replacement), text[start:end])
            shift += len(replacement) - (end - start)
            if inverse and inverse[-1][1] == undo[0]:  # touching: one edit, so that two
                last = inverse.pop()                   # insertions never meet at one place
                undo = (last[0], undo[1], last[2] + undo[2])
            inverse.append(undo)
        edit(root, "n.md", *inverse)
        assert (root / "n.md").read_bytes() == original
        assert after and os.listdir(root) == ["n.md"]


def test_a_write_that_need_not_survive_a_crash_is_not_fsynced(tmp_path, monkeypatch) -> None:
    from zettel.vault import write

    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    write.atomic_write(tmp_path / "cache.bin", b"rebuilt when lost", durable=False)
    assert synced == [] and (tmp_path / "cache.bin").read_bytes() == b"rebuilt when lost"
    write.atomic_write(tmp_path / "note.md", b"a note")
    assert len(synced) >= 1 and (tmp_path / "note.md").read_bytes() == b"a note"
