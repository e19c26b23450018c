"""zettel retitle: a new title where the title comes from, and the links by the old
title rewritten (or the old title kept as an alias). Expected texts by hand."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault
from conftest import broken_and_ambiguous as broken
from conftest import vault_files as snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zettel
from zettel.cli.main import main
from zettel.vault.editing import PlanRefused, plan_retitle
from zettel.vault.journal import apply_plan

LINKS = ("[[Old title]], [[old title]], [[Old title|label]], [[Old title#Part]],\n"
         "[[author:Old title]], ![[Old title]], [[20240101000001]], [[note]], `[[Old title]]`\n")
LINKS_AFTER = ("[[New title|Old title]], [[New title|old title]], [[New title|label]], "
               "[[New title#Part|Old title]],\n"
               "[[author:New title|Old title]], ![[New title]], [[20240101000001]], [[note]], "
               "`[[Old title]]`\n")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def retitle(root: Path, *args: str) -> str:
    code, out, err = run("retitle", *args, "--vault", str(root))
    assert code == 0, err
    return err


def test_front_matter_title_and_links(make_vault: MakeVault) -> None:
    root = make_vault({
        "note.md": '---\ntitle: Old title  # a comment\nid: "20240101000001"\n---\nBody\n',
        "links.md": LINKS,
    })
    retitle(root, "note", "New title")
    assert (root / "note.md").read_text() == (
        '---\ntitle: New title  # a comment\nid: "20240101000001"\n---\nBody\n')
    assert (root / "links.md").read_text() == LINKS_AFTER
    assert broken(root) == []


@pytest.mark.parametrize(("before", "title", "after"), [
    ("---\ntitle: 'Old'\n---\n", "It's new", "---\ntitle: 'It''s new'\n---\n"),
    ('---\ntitle: "Old"\n---\n', "New", '---\ntitle: "New"\n---\n'),
    ("---\ntitle: Old\n---\n", "A: b", '---\ntitle: "A: b"\n---\n'),
    ("---\ntitle: Old\n---\n", "#hash", '---\ntitle: "#hash"\n---\n'),
    ("---\nTitle: Old\n---\n", "Éclair", "---\nTitle: Éclair\n---\n"),
    ("---\ntitle: >\n  Old\n  one\n---\n", "New", "---\ntitle: New\n---\n"),
    ("---\ntags: [a]\n---\n# Old heading ##\nbody\n", "New",
     "---\ntags: [a]\n---\n# New ##\nbody\n"),
    ("Intro\n\n#  Old heading\n", "New", "Intro\n\n#  New\n"),
    ("---\ntags: [a]\n---\nbody\n", "New", "---\ntitle: New\ntags: [a]\n---\nbody\n"),
    ("body\n", "New", "---\ntitle: New\n---\nbody\n"),
    ("body\r\n", "New", "---\r\ntitle: New\r\n---\r\nbody\r\n"),
    ("\ufeffbody", "New", "\ufeff---\ntitle: New\n---\nbody"),
    ("---\r\ntitle: Old\r\nid: x\r\n---\r\n", "New", "---\r\ntitle: New\r\nid: x\r\n---\r\n"),
])
def test_where_the_title_is_written(make_vault: MakeVault, before: str, title: str,
                                    after: str) -> None:
    root = make_vault({"note.md": before.encode()})
    retitle(root, "note.md", title)
    assert (root / "note.md").read_bytes() == after.encode()
    with zettel.open(root) as vault:
        assert vault.note("note.md").title == title


@pytest.mark.parametrize(("front", "after"), [
    ("title: Old\n", "title: Old\naliases:\n  - Old\n"),
    ("title: Old\naliases:\n  - a\n  - b\nid: x\n",
     "title: Old\naliases:\n  - a\n  - b\n  - Old\nid: x\n"),
    ("title: Old\naliases:\n- a\n", "title: Old\naliases:\n- a\n- Old\n"),
    ("title: Old\naliases: [a, b]\n", "title: Old\naliases: [a, b, Old]\n"),
    ("title: Old\naliases: []\n", "title: Old\naliases: [Old]\n"),
    ("title: Old\naliases: a\n", "title: Old\naliases: a, Old\n"),
    ("title: Old\nalias: a  # one\n", "title: Old\nalias: a, Old  # one\n"),
])
def test_alias_keeps_the_old_title(make_vault: MakeVault, front: str, after: str) -> None:
    root = make_vault({"note.md": f"---\n{front}---\nbody\n", "links.md": "[[Old]]\n"})
    retitle(root, "note", "New", "--alias")
    assert (root / "note.md").read_text() == "---\n" + after.replace(
        "title: Old", "title: New", 1) + "---\nbody\n"
    assert (root / "links.md").read_text() == "[[Old]]\n"
    assert broken(root) == []


@pytest.mark.parametrize(("name", "new_name"), [
    ("old-title.md", "new-title.md"),
    ("20240101000001-old-title.md", "20240101000001-new-title.md"),
])
def test_rename_file(make_vault: MakeVault, name: str, new_name: str) -> None:
    stem = name[:-3]
    root = make_vault({f"f/{name}": '---\ntitle: Old title\nid: "20240101000001"\n---\n',
                       "links.md": f"[[{stem}]] [[Old title]] [x](f/{name})\n"})
    err = retitle(root, "Old title", "New title", "--rename-file")
    assert not (root / "f" / name).exists()
    assert (root / "f" / new_name).read_text() == (
        '---\ntitle: New title\nid: "20240101000001"\n---\n')
    assert (root / "links.md").read_text() == (
        f"[[{new_name[:-3]}]] [[New title|Old title]] [x](f/{new_name})\n")
    assert "not named" not in err
    assert broken(root) == []


def test_rename_file_when_the_name_does_not_follow(make_vault: MakeVault) -> None:
    root = make_vault({"other.md": "# Old\n"})
    err = retitle(root, "Old", "New", "--rename-file")
    assert "not named after its title" in err
    assert (root / "other.md").read_text() == "# New\n"


@pytest.mark.parametrize("taken", ["---\ntitle: New\n---\n", "# Something\n"])
def test_a_title_another_note_goes_by_is_refused(make_vault: MakeVault, taken: str) -> None:
    root = make_vault({"note.md": "# Old\n", "new.md": taken, "x.md": "[[Old]]\n"})
    files = snapshot(root)
    code, _, err = run("retitle", "note.md", "New", "--vault", str(root))
    assert code == 2 and "already names new.md" in err
    assert snapshot(root) == files


@pytest.mark.parametrize("title", ["", " New", "two\nlines"])
def test_not_a_title(make_vault: MakeVault, title: str) -> None:
    root = make_vault({"note.md": "# Old\n"})
    code, _, err = run("retitle", "note.md", title, "--vault", str(root))
    assert code == 2 and "not a title" in err


def test_a_linking_file_that_is_not_utf8_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"note.md": "# Old\n", "latin.md": b"caf\xe9 [[Old]]\n"})
    files = snapshot(root)
    code, _, err = run("retitle", "note.md", "New", "--vault", str(root))
    assert code == 2 and "latin.md" in err and "UTF-8" in err
    assert snapshot(root) == files


def test_dry_run_and_json(make_vault: MakeVault) -> None:
    root = make_vault({"note.md": "# Old\n", "x.md": "[[Old]]\n"})
    files = snapshot(root)
    code, out, _ = run("retitle", "note.md", "New", "--vault", str(root), "--dry-run", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["action"], data["note"], data["old_title"], data["title"]) == (
        "retitle", "note.md", "Old", "New")
    assert data["written"] is False and data["alias"] is False and data["new_path"] is None
    assert "-[[Old]]\n+[[New|Old]]\n" in data["diff"]
    assert sorted(f["path"] for f in data["files"]) == ["note.md", "x.md"]
    assert snapshot(root) == files


def test_same_title_changes_nothing(make_vault: MakeVault) -> None:
    root = make_vault({"note.md": "# Old\n"})
    code, _, err = run("retitle", "note.md", "Old", "--vault", str(root))
    assert code == 0 and "nothing to change" in err


def test_sample_vault(sample_vault: Path) -> None:
    before = broken(sample_vault)
    retitle(sample_vault, "Zettelkasten", "Slip-box method")
    retitle(sample_vault, "Reading list", "Sources")
    retitle(sample_vault, "Paul Otlet", "Paul Marie Ghislain Otlet", "--alias")
    assert broken(sample_vault) == before
    text = (sample_vault / "20240106095500.md").read_text()
    assert "[[Slip-box method|Zettelkasten]]" in text


def test_seed_notes(seeds_vault: Path) -> None:
    before = broken(seeds_vault)
    with zettel.open(seeds_vault) as vault:
        note = vault.notes[0]
        vault.retitle(note.path, "A title no note has")
        assert vault.note(note.path).title == "A title no note has"
    assert broken(seeds_vault) == before


def test_api_retitle(make_vault: MakeVault) -> None:
    root = make_vault({"note.md": "# Old\n", "x.md": "[[Old]]\n"})
    with zettel.open(root) as vault:
        plan = vault.retitle("Old", "New", dry_run=True)
        assert plan.links == 1 and (root / "x.md").read_text() == "[[Old]]\n"
        vault.retitle("Old", "New", alias=True)
        assert vault.note("Old").path == "note.md"
    assert (root / "note.md").read_text() == "---\naliases:\n  - Old\n---\n# New\n"
    with pytest.raises(PlanRefused):
        plan_retitle(root, "note.md", "x")


def test_a_title_a_wiki_link_cannot_hold(make_vault: MakeVault) -> None:
    root = make_vault({"note.md": "---\ntitle: Old\n---\n", "x.md": "[[Old]] [[Old|o]]\n"})
    retitle(root, "note.md", "C# [draft]")
    assert (root / "note.md").read_text() == "---\ntitle: C# [draft]\n---\n"
    assert (root / "x.md").read_text() == "[[note|Old]] [[note|o]]\n"
    code, _, err = run("retitle", "note.md", "Draft #two", "--vault", str(root))
    assert code == 0  # in the front matter a # is no tag
    root = make_vault({"h.md": "# Old\n"})
    code, _, err = run("retitle", "h.md", "Draft #two", "--vault", str(root))
    assert code == 2 and "# tag in a heading" in err
    assert (root / "h.md").read_text() == "# Old\n"


# -- X -> Y -> X gives back every byte

FORMS = ["[[{t}]]", "[[{t}|label]]", "[[{t}#Part]]", "[[{t}#^b|l]]", "![[{t}]]",
         "[[type:{t}]]", "[[{low}]]"]
WRITTEN = ["---\ntitle: {t}\n---\n", "---\ntitle: '{t}'\nid: x\n---\n", '---\ntitle: "{t}"\n---\n',
           "# {t}\n", "---\ntags: [a]\n---\n# {t} #\n"]
TITLES = st.sampled_from(["Old", "Old title", "Éclair au café", "C'est la vie", "A: b", "x - y"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=TITLES, new=TITLES, written=st.sampled_from(WRITTEN),
       links=st.lists(st.tuples(st.sampled_from(["p.md", "f/q.md"]), st.sampled_from(FORMS),
                                st.sampled_from(["\n", "\r\n"])), max_size=8))
def test_round_trip(old: str, new: str, written: str, links: list[tuple[str, str, str]]) -> None:
    needs_quotes = {"A: b"}
    if old == new or (written.startswith("---\ntitle: {t}") and old in needs_quotes):
        return  # the same title; a title that cannot be written plain
    # Quoted by choice, or by need: which one is not known once the title is one
    # that needs quotes, and then the second title is written plain.
    if ("title: '" in written or 'title: "' in written) and {old, new} & needs_quotes:
        return
    files = {"note.md": written.format(
        t=old.replace("'", "''") if "title: '" in written else old)}
    for place, form, newline in links:
        files[place] = files.get(place, "") + form.format(t=old, low=old.lower()) + newline
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(text.encode())
        original = snapshot(root)
        assert zettel.open(root).note("note.md").title == old
        for title in (new, old):
            apply_plan(root, plan_retitle(root, "note.md", title))
        assert snapshot(root) == original


@pytest.mark.parametrize(("name", "before", "args", "new_name", "after"), [
    ("plain.md", "body\n", ["--alias"], "plain.md",
     "---\ntitle: New\naliases:\n  - plain\n---\nbody\n"),
    ("plain.md", "---\ntags: [a]\n---\nbody\n", ["--alias"], "plain.md",
     "---\ntitle: New\naliases:\n  - plain\ntags: [a]\n---\nbody\n"),
    ("plain.md", "\ufeffbody\r\n", ["--alias"], "plain.md",
     "\ufeff---\r\ntitle: New\r\naliases:\r\n  - plain\r\n---\r\nbody\r\n"),
    ("20240101120000-old.md", "body\n", ["--rename-file", "--alias"], "new.md",
     '---\ntitle: New\nid: "20240101120000"\naliases:\n  - 20240101120000-old\n---\nbody\n'),
    ("20240101120000-old.md", "---\ntags: [a]\n---\n", ["--rename-file"], "new.md",
     '---\ntitle: New\nid: "20240101120000"\ntags: [a]\n---\n'),
])
def test_several_front_matter_changes_at_once(make_vault: MakeVault, name: str, before: str,
                                              args: list[str], new_name: str,
                                              after: str) -> None:
    root = make_vault({name: before.encode(), "x.md": f"[[{name[:-3]}]]\n"})
    retitle(root, name, "New", *args)
    assert (root / new_name).read_bytes() == after.encode()
    if new_name != name:
        assert not (root / name).exists()
    # With --alias the old name, which was the title, is an alias: the link reaches by it.
    kept = "--alias" in args
    assert (root / "x.md").read_text() == f"[[{(name if kept else new_name)[:-3]}]]\n"
    assert broken(root) == []
