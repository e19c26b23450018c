"""The public Python API (zettel.open, zettel.Vault) and its page, docs/api.md."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, MakeVault

import zettel
from zettel.cli.main import main


def doc_blocks() -> list[tuple[str, str]]:
    """Each ```python block of docs/api.md and the ```text block after it (what it prints)."""
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    fences = re.findall(r"^```(\w*)\n(.*?)^```$", text, re.M | re.S)
    blocks = []
    for i, (lang, code) in enumerate(fences):
        if lang == "python":
            after = fences[i + 1] if i + 1 < len(fences) else ("", "")
            blocks.append((code, after[1] if after[0] == "text" else ""))
    return blocks


def test_the_example_of_docs_api_md_runs(sample_vault: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sample_vault.parent)  # the example opens "notes", a copy of notes/
    blocks = doc_blocks()
    assert len(blocks) >= 5
    namespace: dict[str, object] = {}
    try:
        for number, (code, expected) in enumerate(blocks, 1):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"docs/api.md block {number}", "exec"), namespace)  # noqa: S102
            assert out.getvalue() == expected, f"block {number} of docs/api.md"
    finally:
        vault = namespace.get("vault")
        if isinstance(vault, zettel.Vault):
            vault.close()
    assert len(list(sample_vault.glob("*.md"))) == 16  # 15 notes and the example's new one


def _loaded(code: str) -> list[str]:
    """The heavy packages really loaded (not a lazy stub) after running ``code``."""
    script = (code + "\nimport sys, types\n"
              "print(sorted({m.split('.')[0] for m, mod in list(sys.modules.items())\n"
              "              if isinstance(mod, types.ModuleType)\n"
              "              and type(mod).__name__ != '_LazyModule'}\n"
              "             & {'textual', 'whoosh', 'networkx', 'rapidfuzz', 'yaml', 'rich'}))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout.replace("'", '"'))


def test_import_zettel_loads_no_textual_whoosh_or_networkx(make_vault: MakeVault) -> None:
    assert _loaded("import zettel") == []
    root = make_vault({"a.md": "---\ntitle: Alpha\n---\n[[b]]", "b.md": "[[a]]"})
    reading = (f"import zettel\nv = zettel.open({str(root)!r})\n"
               "assert v.note('Alpha').path == 'a.md' and len(v.notes) == 2")
    assert _loaded(reading) == []  # the notes and a name need no graph
    assert _loaded(reading + "\nv.orphans()") == ["networkx"]
    searched = _loaded(reading + "\nassert v.search('alpha')\nv.close()")
    assert "whoosh" in searched and "textual" not in searched


def test_every_public_name_is_there() -> None:
    for name in zettel.__all__:
        assert getattr(zettel, name) is not None, name
    assert "Vault" in dir(zettel)
    with pytest.raises(AttributeError):
        zettel.no_such_name  # noqa: B018


VAULT = {
    "hub.md": "---\nid: \"20240101000000\"\ntitle: Hub\naliases: [Centre]\n---\n"
              "Intro.\n\nSee [[Leaf]] and [[20240101000002]].\n\nAlso [[Leaf|the leaf]] "
              "and [[nowhere]] and [[Twin]] and [[Hub]].\n",
    "leaf.md": "---\ntitle: Leaf\n---\nBack to [[Hub]], about apples.\n",
    "sub/end.md": "---\nid: \"20240101000002\"\ntitle: End\n---\nNo links, apples and pears.\n",
    "twin1.md": "---\ntitle: Twin\n---\nalone one\n",
    "twin2.md": "---\ntitle: Twin\n---\nalone two\n",
    "lone.md": "---\ntitle: Lone\n---\nnothing here, about pears.\n",
    "typo.md": "---\ntitle: Typo\n---\n[[Leaff]]\n",
}


def test_a_note_by_path_id_title_alias_or_file(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    vault = zettel.open(root)
    assert [n.path for n in vault.notes] == ["hub.md", "leaf.md", "lone.md", "sub/end.md",
                                            "twin1.md", "twin2.md", "typo.md"]
    hub = vault.note("hub.md")
    assert hub.title == "Hub"
    for name in ("20240101000000", "Hub", "hub", "HUB", "Centre", "hub", root / "hub.md",
                 Path("hub.md"), hub):
        assert vault.note(name) == hub, name
    assert vault.note("sub/end").path == vault.note("End").path == "sub/end.md"
    with pytest.raises(zettel.AmbiguousName) as twin:
        vault.note("Twin")
    assert twin.value.paths == ("twin1.md", "twin2.md")
    for missing in ("Nowhere", "sub", root / "missing.md", root.parent / "hub.md",
                    Path("../hub.md")):
        with pytest.raises(zettel.NoteNotFound):
            vault.note(missing)


def test_graph_backlinks_and_the_lists(make_vault: MakeVault) -> None:
    vault = zettel.open(make_vault(VAULT))
    graph = vault.graph
    assert set(graph.successors("hub.md")) == {"leaf.md", "sub/end.md", "hub.md"}
    assert graph.edges["hub.md", "leaf.md"]["count"] == 2
    backs = vault.backlinks("Leaf")
    assert [(b.source, b.link.line, b.link.label) for b in backs] == [
        ("hub.md", 8, None), ("hub.md", 10, "the leaf")]
    assert backs[1].context.startswith("Also [[Leaf|the leaf]] and [[nowhere]]")
    assert [b.source for b in vault.backlinks(vault.note("Hub"))] == ["leaf.md"]  # not itself
    assert [n.path for n in vault.orphans()] == ["lone.md", "twin1.md", "twin2.md", "typo.md"]
    assert [n.path for n in vault.isolated()] == ["lone.md", "twin1.md", "twin2.md", "typo.md"]
    assert [n.path for n in vault.dead_ends()] == ["lone.md", "sub/end.md", "twin1.md",
                                                   "twin2.md", "typo.md"]


def test_broken_and_ambiguous_links(make_vault: MakeVault) -> None:
    vault = zettel.open(make_vault(VAULT))
    assert [(b.source, b.link.target, b.link.line, b.suggestion) for b in vault.broken()] == [
        ("hub.md", "nowhere", 10, None), ("typo.md", "Leaff", 4, "Leaf")]
    assert vault.broken()[0].context.startswith("Also [[Leaf|the leaf]]")
    [twin] = vault.ambiguous()
    assert (twin.source, twin.link.target, twin.candidates, twin.step) == (
        "hub.md", "Twin", ("twin1.md", "twin2.md"), "title")


def test_the_check_is_zettel_checks(make_vault: MakeVault) -> None:
    root = make_vault({**VAULT, "bad.md": "---\ntags: [unclosed\n---\n",
                       "Key.md": "---\nID: 1\n---\n"})
    report = zettel.open(root, cache=False).check()
    cli = CliRunner().invoke(main, ["check", "--json", "--no-cache", str(root)])
    assert cli.exit_code == 1
    assert report.to_json() == json.loads(cli.stdout)
    # isolated: the twins (the link to them is ambiguous), lone, typo (its link is broken), bad, Key
    assert report.counts == {"yaml-error": 1, "broken-link": 2, "ambiguous-link": 1,
                             "malformed-id": 1, "key-case": 1, "isolated": 6}
    assert (report.errors, report.warnings) == (3, 9)


def test_with_and_without_the_cache(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: A\n---\n"})
    assert zettel.open(root, cache=False).note("A").path == "a.md"
    assert not (root / ".zettel").exists()  # no cache read or written
    assert zettel.open(root).note("A").path == "a.md"
    assert (root / ".zettel" / "cache").is_dir()
    assert zettel.open(root).cache and not zettel.open(root, cache=False).cache


def test_reload_sees_the_files_as_they_are(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: A\n---\n"})
    vault = zettel.open(root)
    vault.note("A")
    (root / "a.md").write_text("---\ntitle: Renamed\n---\n[[b]]", encoding="utf-8")
    (root / "b.md").write_text("b", encoding="utf-8")
    assert vault.note("A").title == "A"  # a snapshot, until read again
    vault.reload()
    assert vault.note("a.md").title == "Renamed"
    assert [b.source for b in vault.backlinks("b")] == ["a.md"]


def test_search_and_related(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    with zettel.open(root) as vault:
        assert {h.path for h in vault.search("apples")} == {"leaf.md", "sub/end.md"}
        pears = [(h.path, h.title) for h in vault.search("pears")]
        assert sorted(pears) == [("lone.md", "Lone"), ("sub/end.md", "End")]
        assert [(h.path, h.title) for h in vault.search("pears", limit=1)] == pears[:1]
        assert vault.search("title:Leaf")[0].title == "Leaf"
        assert vault.search("zebra") == []
        with pytest.raises(ValueError):
            vault.search('"unclosed')
        related = [h.path for h in vault.related("End")]  # apples and pears
        assert "sub/end.md" not in related and {"lone.md", "leaf.md"} <= set(related)
        assert [h.path for h in vault.related(vault.note("End"), limit=1)] == related[:1]
        (root / "new.md").write_text("kiwis", encoding="utf-8")
        assert [h.path for h in vault.search("kiwis")] == ["new.md"]  # the files as they are
    assert (root / ".zettel" / "index").is_dir()


def test_a_new_note(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: A\n---\n"})
    vault = zettel.open(root)
    first = vault.new_note("  My   idea ", types=["concept"], tags=["x", "y"])
    second = vault.new_note("My idea")
    assert (first.title, first.types, first.tags) == ("My idea", ("concept",), ("x", "y"))
    assert first.id and second.id and first.id != second.id
    assert (root / first.path).read_text(encoding="utf-8").startswith("---\ntitle: My idea\n")
    assert [n.path for n in vault.notes] == sorted(["a.md", first.path, second.path])
    assert vault.note(first.id) == first
    with pytest.raises(zettel.CreateError):
        vault.new_note("   ")


def test_what_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(zettel.VaultError):
        zettel.open(tmp_path / "missing")
    (tmp_path / "file.md").write_text("x", encoding="utf-8")
    with pytest.raises(zettel.VaultError):
        zettel.open(tmp_path / "file.md")
    (tmp_path / "v" / ".zettel").mkdir(parents=True)
    (tmp_path / "v" / ".zettel" / "config.yaml").write_text("extensions: 3\n", encoding="utf-8")
    with pytest.raises(zettel.ConfigError):
        zettel.open(tmp_path / "v")
