"""Reading a vault: what is scanned, settings, bad files, the parse cache."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from conftest import MakeVault

from zettel.vault import cache
from zettel.vault import scan as vault
from zettel.vault.config import ConfigError
from zettel.vault.facts import check_vault
from zettel.vault.scan import VaultError, open_vault
from zettel.vault.statedir import UnsafeStateDir


def paths(root: Path, **kwargs) -> list[str]:
    return [n.path for n in open_vault(root, **kwargs).notes]


def test_scan_is_recursive_and_skips_hidden_and_non_notes(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "", "sub/b.markdown": "", "sub/deep/c.txt": "", "img.png": b"\x89",
                       ".obsidian/x.md": "", ".git/y.md": "", "sub/.hidden.md": "", "d.MD": ""})
    v = open_vault(root, use_cache=False)
    assert [n.path for n in v.notes] == ["a.md", "d.MD", "sub/b.markdown", "sub/deep/c.txt"]
    assert v.files == ("img.png",)


def test_config_extensions_and_ignore(make_vault: MakeVault) -> None:
    root = make_vault({".zettel/config.yaml": "extensions: [md]\nignore: ['drafts/*', '*.tmp.md']\n",
                       "a.md": "", "b.txt": "", "drafts/c.md": "", "d.tmp.md": ""})
    assert paths(root, use_cache=False) == ["a.md"]


def test_unknown_config_key_is_a_warning(make_vault: MakeVault) -> None:
    root = make_vault({".zettel/config.yaml": "extension: [md]\n", "a.md": ""})
    v = open_vault(root, use_cache=False)
    assert any("unknown setting 'extension'" in n for n in v.notices)


@pytest.mark.parametrize("text", ["extensions: 3\n", "filename: plain.md\n", "ignore: [a\n", "- a\n"])
def test_bad_config_value_is_an_error(make_vault: MakeVault, text: str) -> None:
    root = make_vault({".zettel/config.yaml": text, "a.md": ""})
    with pytest.raises(ConfigError):
        open_vault(root)


def test_missing_vault_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(VaultError, match="does not exist"):
        open_vault(tmp_path / "nope")
    (tmp_path / "file.md").write_text("")
    with pytest.raises(VaultError, match="not a folder"):
        open_vault(tmp_path / "file.md")


def test_unreadable_note_is_reported_not_fatal(make_vault: MakeVault) -> None:
    root = make_vault({"ok.md": "[[gone]]"})
    os.symlink(root / "missing-target.md", root / "gone.md")  # a dangling link
    v = open_vault(root, use_cache=False)
    gone = next(n for n in v.notes if n.path == "gone.md")
    assert [p.kind for p in gone.problems] == ["unreadable"]
    report, _ = check_vault(root, use_cache=False)
    assert report.counts["unreadable"] == 1 and report.errors == 1


def test_parallel_parse_gives_the_same_notes(make_vault: MakeVault,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"n{i:03}.md": f"---\ntitle: N{i}\n---\n[[n{(i + 1) % 60:03}]] #t{i % 5}" for i in range(60)}
    root = make_vault(files)
    serial = open_vault(root, use_cache=False, workers=1).notes
    monkeypatch.setattr(vault, "PARALLEL_THRESHOLD", 10)
    monkeypatch.setattr(cache, "CHUNK_SIZE", 7)
    seen: list[tuple[int, int]] = []
    parallel = open_vault(root, use_cache=False, workers=2,
                          progress=lambda done, total: seen.append((done, total))).notes
    assert parallel == serial
    assert seen[-1] == (60, 60)


# --- the parse cache ---------------------------------------------------------------------


def age(path: Path, seconds: int = 10) -> None:
    """Make a file look older, so it is out of the cache's racy window."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 1_000_000_000))


def test_second_scan_comes_from_the_cache(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "x"})
    for p in root.glob("*.md"):
        age(p)
    first = open_vault(root)
    assert (first.stats.parsed, first.stats.cached) == (2, 0)
    second = open_vault(root)
    assert (second.stats.parsed, second.stats.cached) == (0, 2)
    assert second.notes == first.notes
    assert (root / ".zettel" / "cache" / ".gitignore").is_file()


def test_changed_added_and_removed_files_are_seen(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: Old\n---\n", "b.md": "x", "c.md": "y"})
    for p in root.glob("*.md"):
        age(p, 60)
    open_vault(root)
    (root / "a.md").write_text("---\ntitle: New\n---\n", encoding="utf-8")  # same size
    age(root / "a.md", 30)
    (root / "c.md").unlink()
    (root / "d.md").write_text("z", encoding="utf-8")
    v = open_vault(root)
    assert [n.path for n in v.notes] == ["a.md", "b.md", "d.md"]
    assert v.notes[0].title == "New"
    assert (v.stats.parsed, v.stats.cached) == (2, 1)
    assert open_vault(root).stats.parsed == 1  # d.md is racy (just written): parsed again


def test_racy_entries_are_not_trusted(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: One\n---\n"})
    open_vault(root)  # a.md changed within the racy window: recorded as untrusted
    st = (root / "a.md").stat()
    (root / "a.md").write_text("---\ntitle: Two\n---\n", encoding="utf-8")
    os.utime(root / "a.md", ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert open_vault(root).notes[0].title == "Two"


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "version"])
def test_damaged_cache_is_rebuilt_with_a_notice(make_vault: MakeVault, damage: str) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "x"})
    for p in root.glob("*.md"):
        age(p)
    open_vault(root)
    file = root / ".zettel" / "cache" / "notes.pickle"
    data = file.read_bytes()
    if damage == "truncate":
        file.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        file.write_bytes(b"not a pickle at all")
    elif damage == "empty":
        file.write_bytes(b"")
    else:
        file.write_bytes(pickle.dumps({"key": "zettel/0/old"}) + pickle.dumps(None))
    v = open_vault(root)
    assert [n.path for n in v.notes] == ["a.md", "b.md"] and v.stats.parsed == 2
    assert any("rebuilt" in n for n in v.notices)
    assert open_vault(root).stats.cached == 2  # and it is good again


class Boom:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def test_cache_never_runs_code(make_vault: MakeVault, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"a.md": "x"})
    folder = root / ".zettel" / "cache"
    folder.mkdir(parents=True)
    chunk = pickle.dumps([("a.md", 1, 1, Boom())])
    (folder / "notes.pickle").write_bytes(
        pickle.dumps({"key": cache.CACHE_KEY}) + pickle.dumps(chunk) + pickle.dumps(None))
    (folder / "check.pickle").write_bytes(pickle.dumps(Boom()))
    monkeypatch.chdir(tmp_path)
    v = open_vault(root)
    check_vault(root)
    assert not (tmp_path / "PWNED").exists()
    assert v.notes[0].path == "a.md" and any("rebuilt" in n for n in v.notices)


def test_unwritable_cache_file_is_a_notice(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "x", ".zettel/cache/notes.pickle/x": "a folder, not a file"})
    v = open_vault(root)
    assert v.notes[0].path == "a.md"
    assert any("not readable" in n for n in v.notices)
    assert any("not written" in n for n in v.notices)


def test_cache_folder_that_is_a_file_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "x", ".zettel/cache": "a file where the folder should be"})
    with pytest.raises(UnsafeStateDir, match="not a folder"):
        open_vault(root)
    assert open_vault(root, use_cache=False).notes[0].path == "a.md"  # reads and writes none


def test_check_reuses_its_last_result_until_something_changes(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[nope]]"})
    for p in root.glob("*.md"):
        age(p)
    first, _ = check_vault(root)
    memo = root / ".zettel" / "cache" / "check.pickle"
    assert memo.is_file()
    stamp = memo.stat().st_mtime_ns
    again, _ = check_vault(root)
    assert again == first and memo.stat().st_mtime_ns == stamp  # reused, not recomputed
    (root / "nope.md").write_text("[[a]]", encoding="utf-8")
    age(root / "nope.md")
    after, _ = check_vault(root)
    assert after.counts.get("broken-link") is None and after.notes == 3
