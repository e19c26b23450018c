"""zettel fix: broken and ambiguous links, their candidates, --apply, --create-stubs.

Expected candidates, winners and texts are written by hand from the vaults built here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault

from zettel.cli.main import main
from zettel.core.plan import Plan
from zettel.vault.facts import check_vault
from zettel.vault.repair import find_fixes, plan_fix

METHOD = """---
title: Zettelkasten method
id: "20240101000001"
---
# Zettelkasten method

## Part
"""

SOURCE = """---
title: Source
---
An id typo [[2024010100001]] here.

A title typo [[Zettelkasten metod|the method]].

Ambiguous [[paris]] here.

A moved file [moved](notes/moved.md).

Nothing like [[Xyzzy plugh]] at all.

An embed ![[2024010100001#Part]].
"""

SOURCE_FIXED = """---
title: Source
---
An id typo [[20240101000001]] here.

A title typo [[Zettelkasten method|the method]].

Ambiguous [[paris]] here.

A moved file [moved](notes/moved.md).

Nothing like [[Xyzzy plugh]] at all.

An embed ![[20240101000001#Part]].
"""

VAULT = {
    "a/20240101000001.md": METHOD,
    "a/20240101000002.md": '---\ntitle: Permanent notes\nid: "20240101000002"\n---\nText.\n',
    "a/paris.md": "---\ntitle: Paris in A\n---\nA.\n",
    "b/paris.md": "---\ntitle: Paris in B\n---\nB.\n",
    "archive/moved.md": "---\ntitle: Moved note\n---\nM.\n",
    "src.md": SOURCE,
    "a/src2.md": "---\ntitle: Source two\n---\nAmbiguous here [[paris]] too.\n",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def problems(root: Path) -> list[tuple[str, str, int | None, str | None]]:
    """(kind, path, line, target) of the broken and ambiguous links `zettel check` reports."""
    report, _ = check_vault(root, use_cache=False)
    return [(p.kind, p.path, p.line, p.target) for p in report.problems
            if p.kind in ("broken-link", "ambiguous-link")]


def test_the_report_ranks_each_link_and_says_what_apply_writes(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    code, out, err = run("fix", str(root), "--json")
    assert code == 1
    fixes = {(f["path"], f["line"]): f for f in json.loads(out)}
    assert list(fixes) == [("a/src2.md", 4), ("src.md", 4), ("src.md", 6), ("src.md", 8),
                           ("src.md", 10), ("src.md", 12), ("src.md", 14)]
    typo = fixes["src.md", 4]
    assert (typo["status"], typo["target"], typo["kind"]) == ("broken", "2024010100001", "wiki")
    assert [(c["path"], c["title"], c["score"], c["reasons"]) for c in typo["candidates"]] == [
        ("a/20240101000001.md", "Zettelkasten method", 1.0, ["its id is one typo away"]),
        ("a/20240101000002.md", "Permanent notes", 0.65, ["its id is two typos away"])]
    assert (typo["winner"], typo["replacement"]) == ("a/20240101000001.md", "[[20240101000001]]")
    assert typo["why"] == "zettel check suggests '20240101000001'"
    assert typo["context"] == "An id typo [[2024010100001]] here."
    title = fixes["src.md", 6]
    assert [c["path"] for c in title["candidates"]] == ["a/20240101000001.md"]
    assert title["replacement"] == "[[Zettelkasten method|the method]]"  # the label kept
    assert fixes["src.md", 14]["replacement"] == "![[20240101000001#Part]]"  # embed, heading
    here = fixes["a/src2.md", 4]
    assert (here["status"], here["winner"], here["replacement"]) == (
        "ambiguous", "a/paris.md", "[[a/paris|paris]]")  # the reader still reads "paris"
    assert [(c["path"], c["reasons"]) for c in here["candidates"]] == [
        ("a/paris.md", ["the link matches it by stem", "it is in the linking note's folder"]),
        ("b/paris.md", ["the link matches it by stem"])]
    elsewhere = fixes["src.md", 8]
    assert (elsewhere["winner"], elsewhere["why"]) == (None, "no match is in the linking "
                                                              "note's folder")
    moved = fixes["src.md", 10]
    assert moved["candidates"][0]["path"] == "archive/moved.md"
    assert "its file name is the one the link names, in another folder" in \
        moved["candidates"][0]["reasons"]
    assert moved["winner"] is None  # zettel check suggests nothing: neither does fix
    nothing = fixes["src.md", 12]
    assert (nothing["candidates"], nothing["winner"], nothing["why"]) == ([], None, "no candidate")
    assert err.strip().endswith("5 broken links, 2 ambiguous links: 4 with a clear winner "
                                "(--apply), 3 left for a person")


def test_the_report_in_words(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    code, out, _ = run("fix", str(root))
    assert code == 1
    assert ("src.md:4:12: broken link 2024010100001 (wiki)\n"
            "    An id typo [[2024010100001]] here.\n"
            "    1. a/20240101000001.md  Zettelkasten method  1.00: its id is one typo away\n"
            "    2. a/20240101000002.md  Permanent notes  0.65: its id is two typos away\n"
            "    --apply writes [[20240101000001]] (zettel check suggests '20240101000001')\n"
            ) in out
    assert ("src.md:12:14: broken link Xyzzy plugh (wiki)\n"
            "    Nothing like [[Xyzzy plugh]] at all.\n"
            "    left for a person: no candidate\n") in out


def test_apply_rewrites_the_clear_ones_and_check_agrees(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    before = problems(root)
    suggested = [(p.path, p.line) for p in check_vault(root, use_cache=False)[0].problems
                 if p.suggestion]
    code, out, err = run("fix", str(root), "--apply")
    assert code == 1  # links are left for a person
    assert out == "fix 7 links: 4 rewritten, 0 notes created, 3 left for a person: " \
                  "2 files changed, 4 links rewritten\n"
    assert "zettel: src.md:12: 'Xyzzy plugh' left as it is: no candidate" in err
    assert (root / "src.md").read_text(encoding="utf-8") == SOURCE_FIXED
    assert (root / "a/src2.md").read_text(encoding="utf-8") == (
        "---\ntitle: Source two\n---\nAmbiguous here [[a/paris|paris]] too.\n")
    after = problems(root)
    assert after == [("ambiguous-link", "src.md", 8, "paris"),
                     ("broken-link", "src.md", 10, "notes/moved.md"),
                     ("broken-link", "src.md", 12, "Xyzzy plugh")]
    # Exactly the links check suggested a note for were rewritten, and those fixed.
    assert suggested == [("src.md", 4), ("src.md", 6), ("src.md", 14)]
    assert set(before) - set(after) == {("broken-link", "src.md", 4, "2024010100001"),
                                        ("broken-link", "src.md", 6, "Zettelkasten metod"),
                                        ("broken-link", "src.md", 14, "2024010100001"),
                                        ("ambiguous-link", "a/src2.md", 4, "paris")}
    code, _, _ = run("fix", str(root), "--apply")
    assert code == 1 and (root / "src.md").read_text(encoding="utf-8") == SOURCE_FIXED


def test_apply_dry_run_prints_the_diff_and_writes_nothing(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    code, out, err = run("fix", str(root), "--apply", "--dry-run")
    assert code == 1
    assert ("-An id typo [[2024010100001]] here.\n"
            "+An id typo [[20240101000001]] here.\n") in out
    assert "+Ambiguous here [[a/paris|paris]] too.\n" in out
    assert "(dry run: nothing written)" in err
    assert (root / "src.md").read_text(encoding="utf-8") == SOURCE
    code, out, _ = run("fix", str(root), "--apply", "--dry-run", "--json")
    data = json.loads(out)
    assert (data["action"], data["written"], data["left"]) == ("fix", False, 3)
    assert sorted(f["path"] for f in data["files"]) == ["a/src2.md", "src.md"]
    assert len(data["fixes"]) == 7


def test_no_broken_link_exits_0(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "---\ntitle: A\n---\n[[B]]\n", "b.md": "---\ntitle: B\n---\n"})
    assert run("fix", str(root)) == (0, "", "0 broken links, 0 ambiguous links: 0 with a clear "
                                            "winner (--apply), 0 left for a person\n")
    code, out, _ = run("fix", str(root), "--apply")
    assert code == 0


def test_markdown_and_reference_links_get_a_relative_path(make_vault: MakeVault) -> None:
    root = make_vault({
        "notes/deep/20240101000001.md": "---\ntitle: Target note\nid: \"20240101000001\"\n---\n",
        "notes/src.md": "---\ntitle: S\n---\nSee [Target note](Target%20nte.md) and "
                        "[Target note].\n\n[Target note]: <Target nte.md>\n",
        "other.md": "---\ntitle: O\n---\n[x](notes/src.md)\n",
    })
    code, _, _ = run("fix", str(root), "--apply")
    assert code == 0
    assert (root / "notes/src.md").read_text(encoding="utf-8") == (
        "---\ntitle: S\n---\nSee [Target note](deep/20240101000001.md) and [Target note].\n\n"
        "[Target note]: <deep/20240101000001.md>\n")
    assert problems(root) == []


def test_crlf_and_bom_keep_every_other_byte(make_vault: MakeVault) -> None:
    text = ("\ufeff---\r\ntitle: Source\r\n---\r\nTabs\there,  trailing  \r\n"
            "An id typo [[2024010100001|see]] here.\r\n"
            "Last line, no newline [[Zettelkasten metod]]")
    root = make_vault({"a/20240101000001.md": METHOD, "src.md": text.encode("utf-8")})
    code, _, _ = run("fix", str(root), "--apply")
    assert code == 0
    assert (root / "src.md").read_bytes() == text.replace(
        "[[2024010100001|see]]", "[[20240101000001|see]]").replace(
        "[[Zettelkasten metod]]", "[[Zettelkasten method]]").encode("utf-8")


def test_a_file_that_is_not_utf8_is_left_with_a_clear_message(make_vault: MakeVault) -> None:
    bad = b"---\ntitle: Latin\n---\nCaf\xe9 [[2024010100001]]\n"
    root = make_vault({"a/20240101000001.md": METHOD, "latin.md": bad})
    code, out, err = run("fix", str(root), "--apply")
    assert code == 1  # the link is left
    assert "'latin.md' is not valid UTF-8" in err and "zettel does not rewrite it" in err
    assert (root / "latin.md").read_bytes() == bad


def test_create_stubs_makes_the_notes_links_name(make_vault: MakeVault) -> None:
    root = make_vault({
        ".zettel/config.yaml": "filename: \"{slug}.md\"\n",
        "src.md": "---\ntitle: S\n---\nSee [[Project Xanadu]], [[project xanadu]] again,\n"
                  "an id [[20240105093000|Memex]], a typed [[cite:20240105093001]], a file "
                  "![[map.png]] and a path [[x/y]].\n",
        "project-xanadu.md": "---\ntitle: Something else\n---\nIn the way.\n",
    })
    in_the_way = (root / "project-xanadu.md").read_bytes()
    code, out, err = run("fix", str(root), "--create-stubs")
    assert code == 1, err  # map.png and x/y get no stub
    assert (root / "project-xanadu.md").read_bytes() == in_the_way  # never overwritten
    stub = (root / "project-xanadu-2.md").read_text(encoding="utf-8")
    assert stub.startswith("---\ntitle: Project Xanadu\nid: '")
    assert (root / "memex.md").read_text(encoding="utf-8") == (
        "---\ntitle: Memex\nid: '20240105093000'\ntypes: []\ntags: []\n---\n")
    assert (root / "20240105093001.md").read_text(encoding="utf-8") == (
        "---\ntitle: '20240105093001'\nid: '20240105093001'\ntypes: []\ntags: []\n---\n")
    assert out == "fix 6 links: 0 rewritten, 3 notes created, 2 left for a person: " \
                  "3 created\n"
    assert problems(root) == [("broken-link", "src.md", 5, "map.png"),
                              ("broken-link", "src.md", 5, "x/y")]


def test_create_stubs_dry_run_shows_the_new_files(make_vault: MakeVault) -> None:
    root = make_vault({"src.md": "---\ntitle: S\n---\n[[20240105093000]]\n"})
    code, out, _ = run("fix", str(root), "--create-stubs", "--dry-run")
    assert code == 0
    assert out == ("--- /dev/null\n+++ b/20240105093000.md\n@@ -0,0 +1,6 @@\n+---\n"
                   "+title: '20240105093000'\n+id: '20240105093000'\n+types: []\n+tags: []\n"
                   "+---\n")
    assert not (root / "20240105093000.md").exists()


def test_a_stub_made_meanwhile_is_not_overwritten(make_vault: MakeVault) -> None:
    from zettel.vault.journal import apply_plan
    from zettel.vault.write import WriteError

    root = make_vault({"src.md": "---\ntitle: S\n---\n[[20240105093000]]\n"})
    plan = plan_fix(root, apply_rule=True, create_stubs=True)
    assert [c.path for c in plan.creates] == ["20240105093000.md"]
    (root / "20240105093000.md").write_text("mine\n", encoding="utf-8")
    with pytest.raises(WriteError):
        apply_plan(root, plan)
    assert (root / "20240105093000.md").read_text(encoding="utf-8") == "mine\n"


def test_the_python_api(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    fixes = find_fixes(root)
    assert [(f.source, f.link.line, f.status, f.ranking.winner) for f in fixes] == [
        ("a/src2.md", 4, "ambiguous", "a/paris.md"),
        ("src.md", 4, "broken", "a/20240101000001.md"),
        ("src.md", 6, "broken", "a/20240101000001.md"),
        ("src.md", 8, "ambiguous", None),
        ("src.md", 10, "broken", None),
        ("src.md", 12, "broken", None),
        ("src.md", 14, "broken", "a/20240101000001.md")]
    plan = plan_fix(root)
    assert isinstance(plan, Plan) and plan.links == 4 and len(plan.warnings) == 3
    assert (root / "src.md").read_text(encoding="utf-8") == SOURCE  # planned, not written


def test_fix_on_the_sample_vault(sample_vault: Path) -> None:
    code, out, _ = run("fix", str(sample_vault), "--json")
    assert code == 1
    assert [(f["path"], f["target"], f["winner"]) for f in json.loads(out)] == [
        ("20240110113000.md", "Project Xanadu", None)]
    code, _, _ = run("fix", str(sample_vault), "--create-stubs")
    assert code == 0
    assert problems(sample_vault) == []


def test_fix_on_the_seed_notes(seeds_vault: Path) -> None:
    before = problems(seeds_vault)
    code, out, _ = run("fix", str(seeds_vault), "--json")
    assert code == (1 if before else 0)
    assert len(json.loads(out)) == len(before)
    run("fix", str(seeds_vault), "--apply")
    assert set(problems(seeds_vault)) <= set(before)


def test_rare_words_of_the_context_find_notes_when_there_is_an_index(
        make_vault: MakeVault) -> None:
    root = make_vault({
        "quantum.md": "---\ntitle: Physics notes\n---\nEntanglement and decoherence.\n",
        "other.md": "---\ntitle: Gardening\n---\nTomatoes and basil.\n",
        "src.md": "---\ntitle: Reading\n---\nThe [[Spooky action]] paper: entanglement and "
                  "decoherence, here.\n",
    })
    code, out, err = run("fix", str(root), "--json")
    assert json.loads(out)[0]["candidates"] == []  # no index: not searched
    assert "no search index" in err
    assert run("index", str(root))[0] == 0
    code, out, err = run("fix", str(root), "--json")
    [fix] = json.loads(out)
    assert fix["candidates"] == [{
        "path": "quantum.md", "title": "Physics notes", "score": 0.4,
        "reasons": ["its text holds words of the link's context: decoherence, entanglement"]}]
    assert (fix["winner"], fix["why"]) == (None, "no candidate is clearly best (the rule of "
                                                 "'did you mean')")
    code, _, _ = run("fix", str(root), "--create-stubs")  # a note found so is no name for it
    assert code == 0
    [stub] = [p for p in root.glob("*.md") if p.name not in ("quantum.md", "other.md", "src.md")]
    assert stub.read_text(encoding="utf-8").startswith("---\ntitle: Spooky action\nid: '")


def test_undo_removes_the_stubs_and_gives_the_links_back(make_vault: MakeVault) -> None:
    root = make_vault({"a/20240101000001.md": METHOD,
                       "src.md": "---\ntitle: S\n---\n[[2024010100001]] and [[20240105093000]]\n"})
    code, _, err = run("fix", str(root), "--apply", "--create-stubs")
    assert code == 0, err
    assert (root / "src.md").read_text(encoding="utf-8") == (
        "---\ntitle: S\n---\n[[20240101000001]] and [[20240105093000]]\n")
    assert (root / "20240105093000.md").exists()
    code, _, err = run("undo", "--vault", str(root))
    assert code == 0, err
    assert not (root / "20240105093000.md").exists()
    assert (root / "src.md").read_text(encoding="utf-8") == (
        "---\ntitle: S\n---\n[[2024010100001]] and [[20240105093000]]\n")
