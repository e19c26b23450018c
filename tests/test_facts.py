"""`show`, `orphans`, `broken` and `tags` remember what they need of the graph
(zettel.vault.facts) while no file changes, and follow every change."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

from click.testing import CliRunner

from zettel.cli.main import main

OLD = 1_600_000_000  # an mtime well in the past: the memo is kept only for settled files


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def write(vault: Path, rel: str, text: str, mtime: int = OLD) -> None:
    path = vault / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


def small_vault(root: Path) -> Path:
    root.mkdir()
    write(root, "a.md", "---\ntitle: Alpha\nid: '20200101000000'\ntags: [x]\n---\n"
          "See [[20200101000001]] and [[Nowhere]].\n")
    write(root, "b.md", "---\ntitle: Beta\nid: '20200101000001'\n---\nNothing here.\n")
    write(root, "c.md", "---\ntitle: Gamma\nid: '20200101000002'\n---\nAlone.\n")
    return root


def test_the_memo_is_saved_and_then_used(tmp_path: Path) -> None:
    vault = small_vault(tmp_path / "v")
    first = run("orphans", str(vault), "--json")
    assert (vault / ".zettel" / "cache" / "facts.pickle").is_file()
    assert run("orphans", str(vault), "--json") == first
    assert [row["path"] for row in json.loads(first[1])] == ["a.md", "c.md"]


def test_an_edit_is_followed(tmp_path: Path) -> None:
    vault = small_vault(tmp_path / "v")
    assert run("broken", str(vault), "--json")[0] == 1
    assert run("show", "Beta", "--vault", str(vault), "--json")[0] == 0
    # c now links to a and to b, and the broken link is fixed: same second, new size.
    write(vault, "c.md", "---\ntitle: Gamma\nid: '20200101000002'\n---\n[[Alpha]] [[Beta]]\n",
          mtime=OLD + 1)
    write(vault, "a.md", "---\ntitle: Alpha\nid: '20200101000000'\n---\n"
          "See [[20200101000001]].\n", mtime=OLD + 1)
    code, out = run("broken", str(vault), "--json")
    assert (code, json.loads(out)) == (0, [])
    code, out = run("orphans", str(vault), "--json")
    assert [row["path"] for row in json.loads(out)] == ["c.md"]
    shown = json.loads(run("show", "Beta", "--vault", str(vault), "--json")[1])
    assert [(b["path"], b["line"], b["context"]) for b in shown["backlinks"]] == [
        ("a.md", 5, "See [[20200101000001]]."), ("c.md", 5, "[[Alpha]] [[Beta]]")]
    assert json.loads(run("tags", str(vault), "--json")[1])["tags"] == {}


def test_a_deleted_note_is_followed(tmp_path: Path) -> None:
    vault = small_vault(tmp_path / "v")
    run("show", "Beta", "--vault", str(vault))
    (vault / "a.md").unlink()
    code, out = run("show", "Beta", "--vault", str(vault), "--json")
    assert json.loads(out)["backlinks"] == []
    assert run("broken", str(vault), "--json") == (0, "[]\n")


PWNED = "/tmp/zettel-pwned-by-facts"


class _Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {PWNED}",))


def test_a_planted_or_garbled_memo_is_not_trusted(tmp_path: Path) -> None:
    vault = small_vault(tmp_path / "v")
    expected = run("orphans", str(vault), "--json")
    memo = vault / ".zettel" / "cache" / "facts.pickle"
    saved = pickle.loads(memo.read_bytes())  # our own file, just written
    for payload in (
        pickle.dumps(_Boom()),
        pickle.dumps({**saved, "memo": _Boom()}),
        pickle.dumps({**saved, "memo": ([("x",)], [], [], {})}),
        pickle.dumps({**saved, "memo": ([], [("nowhere.md", True)], [], {})}),
        pickle.dumps({**saved, "memo": (saved["memo"][0], [], [], {"b.md": (("zz", 0),)})}),
        b"garbage",
    ):
        memo.write_bytes(payload)
        assert run("orphans", str(vault), "--json") == expected
        assert run("show", "Beta", "--vault", str(vault), "--json")[0] == 0
    assert not Path(PWNED).exists()
