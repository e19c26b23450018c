"""The zettel command: exit codes, JSON output, stdout and stderr."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import MakeVault

from zettel.cli.main import main

VAULT = {
    "hub.md": "---\ntitle: Hub\nid: \"20200101000000\"\ntypes: [concept]\ntags: [données, idée]\n"
              "kezako: the centre\n---\nSee [[20200101000001]] and [[Leaf|leaf]].\n\nAlso [[gone]].\n",
    "leaf.md": "---\ntitle: Leaf\nid: \"20200101000001\"\ntypes: [concept]\ntags: [données]\n---\n"
               "Back to [[Hub]], in a paragraph.\n",
    "orphan.md": "---\ntitle: Orphan\n---\nPoints at [[Hub]].\n",
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def vault(make_vault: MakeVault) -> Path:
    return make_vault(VAULT)


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(main, list(args), env=env, catch_exceptions=False)


def test_help_on_every_command(runner: CliRunner) -> None:
    for command in ("", "check", "orphans", "broken", "show", "tags", "new", "graph"):
        result = run(runner, *([command] if command else []), "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_check_exit_codes(runner: CliRunner, vault: Path, make_vault: MakeVault) -> None:
    result = run(runner, "check", str(vault))
    assert result.exit_code == 1
    assert "hub.md:10: error broken-link: link to 'gone'" in result.stdout
    assert "3 notes, 5 links: 1 error, 1 warning" in result.stderr
    clean = make_vault({"a.md": "[[b]]", "b.md": "[[a]]", "c.md": "[[a]]"})
    assert run(runner, "check", str(clean)).exit_code == 0
    assert run(runner, "check", "--strict", str(clean)).exit_code == 1  # c.md is an orphan
    assert run(runner, "check", "--no-cache", str(vault)).exit_code == 1


def test_check_json(runner: CliRunner, vault: Path) -> None:
    result = run(runner, "check", "--json", str(vault))
    data = json.loads(result.stdout)
    assert data["notes"] == 3 and data["links"] == 5
    assert data["counts"] == {"broken-link": 1, "orphan": 1}
    assert {p["kind"] for p in data["problems"]} == {"broken-link", "orphan"}


def test_vault_from_environment(runner: CliRunner, vault: Path) -> None:
    result = run(runner, "orphans", env={"ZETTEL_VAULT": str(vault)})
    assert result.stdout == "orphan.md\tOrphan\n"


def test_usage_errors_exit_2_without_traceback(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "check", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.output
    assert run(runner, "check", "--bogus").exit_code == 2
    assert run(runner, "graph", str(tmp_path), "--format", "svg").exit_code == 2
    bad = tmp_path / "bad"
    (bad / ".zettel").mkdir(parents=True)
    (bad / ".zettel" / "config.yaml").write_text("extensions: 3\n")
    result = run(runner, "check", str(bad))
    assert result.exit_code == 2 and "extensions" in result.stderr


@pytest.mark.parametrize("name", ["/no/such/dir", "./missing", "../missing", "~missing",
                                  "sub/missing", "hub.md/x"])
def test_a_vault_that_does_not_exist_is_said_so(runner: CliRunner, vault: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                name: str) -> None:
    monkeypatch.chdir(vault)
    result = runner.invoke(main, [name])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: no such vault: {name}"


def test_an_unknown_command_is_still_one(runner: CliRunner) -> None:
    result = runner.invoke(main, ["chek"])
    assert result.exit_code == 2 and "No such command 'chek'" in result.stderr


def test_orphans(runner: CliRunner, vault: Path) -> None:
    result = run(runner, "orphans", "--json", str(vault))
    assert result.exit_code == 1
    assert json.loads(result.stdout) == [{"path": "orphan.md", "id": None, "title": "Orphan",
                                          "isolated": False}]


def test_broken(runner: CliRunner, vault: Path, make_vault: MakeVault) -> None:
    result = run(runner, "broken", str(vault))
    assert result.exit_code == 1
    assert result.stdout.startswith("hub.md:10:6: gone\n    Also [[gone]].")
    data = json.loads(run(runner, "broken", "--json", str(vault)).stdout)
    assert data == [{"path": "hub.md", "line": 10, "column": 6, "target": "gone", "kind": "wiki",
                     "context": "Also [[gone]].", "suggestion": None}]
    assert run(runner, "broken", str(make_vault({"a.md": "x"}))).exit_code == 0


def test_show_by_id_title_and_path(runner: CliRunner, vault: Path) -> None:
    for query in ("20200101000000", "hub", "Hub", str(vault / "hub.md")):
        result = run(runner, "show", query, "--vault", str(vault), "--json")
        assert result.exit_code == 0, query
        data = json.loads(result.stdout)
        assert data["path"] == "hub.md"
    assert data["meta"] == {"kezako": "the centre"}
    assert [(x["target"], x["status"], x["path"]) for x in data["links"]] == [
        ("20200101000001", "resolved", "leaf.md"), ("Leaf", "resolved", "leaf.md"),
        ("gone", "broken", None)]
    assert [(b["path"], b["context"]) for b in data["backlinks"]] == [
        ("leaf.md", "Back to [[Hub]], in a paragraph."), ("orphan.md", "Points at [[Hub]].")]
    text = run(runner, "show", "Leaf", "--vault", str(vault)).stdout
    assert "Backlinks (2)" in text and text.count("hub.md:8") == 2  # two links from hub


def test_show_unknown_or_ambiguous_note(runner: CliRunner, make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: Same\n---\n", "b.md": "---\ntitle: Same\n---\n"})
    missing = run(runner, "show", "nothing", "--vault", str(root))
    assert missing.exit_code == 2 and "no note matches 'nothing'" in missing.stderr
    assert "did you mean" not in missing.stderr
    close = run(runner, "show", "sam", "--vault", str(root))
    assert close.exit_code == 2 and "did you mean 'Same'" in close.stderr
    twice = run(runner, "show", "Same", "--vault", str(root))
    assert twice.exit_code == 2 and "a.md, b.md" in twice.stderr


def test_tags(runner: CliRunner, vault: Path) -> None:
    data = json.loads(run(runner, "tags", "--json", str(vault)).stdout)
    assert data == {"tags": {"données": 2, "idée": 1}, "types": {"concept": 2}}
    assert "     2  données" in run(runner, "tags", str(vault)).stdout


def test_new_without_editor(runner: CliRunner, vault: Path) -> None:
    result = run(runner, "new", "Fresh idea", "--type", "concept", "--tag", "a", "--tag", "b",
                 "--no-edit", "--vault", str(vault))
    assert result.exit_code == 0
    path = Path(result.stdout.strip())
    assert path.parent == vault and path.stem.isdigit() and len(path.stem) == 14
    text = path.read_text(encoding="utf-8")
    assert "title: Fresh idea" in text and "  - concept" in text and "  - b" in text


def test_new_opens_the_editor(runner: CliRunner, vault: Path, tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor"
    editor.write_text("#!/bin/sh\necho 'Written by [[Hub]].' >> \"$2\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    result = run(runner, "new", "Edited", "--vault", str(vault),
                 env={"VISUAL": f"{editor} --flag", "EDITOR": ""})
    assert result.exit_code == 0
    assert Path(result.stdout.strip()).read_text(encoding="utf-8").endswith("Written by [[Hub]].\n")
    missing = run(runner, "new", "Other", "--vault", str(vault),
                  env={"VISUAL": str(tmp_path / "no-such-editor"), "EDITOR": ""})
    assert missing.exit_code == 2 and "cannot run editor" in missing.stderr


def test_graph_export(runner: CliRunner, vault: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    result = run(runner, "graph", str(vault), "--format", "graphml", "-o", str(out))
    assert result.exit_code == 0 and "3 notes, 3 edges" in result.stderr
    assert nx.read_graphml(out).number_of_edges() == 3
    data = json.loads(run(runner, "graph", str(vault), "--format", "json").stdout)
    assert len(data["nodes"]) == 3
    assert run(runner, "graph", str(vault), "--format", "dot").stdout.startswith("digraph")


def test_installed_command_runs(vault: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "zettel.cli.main", "check", "--json", str(vault)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1 and json.loads(result.stdout)["notes"] == 3


def test_a_file_name_that_is_not_utf8_never_crashes(tmp_path: Path) -> None:
    root = tmp_path / "names"
    root.mkdir()
    with open(os.fsencode(root) + b"/caf\xe9.md", "wb") as stream:  # bytes: not UTF-8
        stream.write(b"[[b]]")
    (root / "b.md").write_text("[[caf]]", encoding="utf-8")

    def zettel(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "zettel.cli.main", *args], capture_output=True,
                              text=True, check=False)

    text = zettel("check", str(root))
    assert text.returncode == 1 and "Traceback" not in text.stderr
    assert "caf\\udce9.md: warning bad-encoding: the file name is not valid UTF-8" in text.stdout
    data = json.loads(zettel("check", "--json", str(root)).stdout)
    assert ("bad-encoding", "caf\udce9.md") in [(p["kind"], p["path"]) for p in data["problems"]]
    out = tmp_path / "g.graphml"
    assert zettel("graph", str(root), "-o", str(out)).returncode == 0
    assert sorted(nx.read_graphml(out).nodes) == ["b.md", "caf\\udce9.md"]


def test_broken_gives_each_link_its_suggestion(runner: CliRunner, make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: Hypertext\n---\n[[b]]",
                       "b.md": "[[Hypertxt]] and [[nothing like it]]\n\n[[a]]"})
    data = json.loads(run(runner, "broken", "--json", str(root)).stdout)
    assert [(r["target"], r["suggestion"]) for r in data] == [
        ("Hypertxt", "Hypertext"), ("nothing like it", None)]
