"""zettel mv: moving a note rewrites every link that reached it, and nothing else.

Expected texts are written by hand from the vaults built here.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
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
from zettel.core.resolve import Resolver
from zettel.core.rewrite import Rename, Row, after_resolver
from zettel.vault.editing import PlanRefused, plan_move
from zettel.vault.journal import apply_plan
from zettel.vault.write import WriteError

OLD = """---
title: Old note
id: "20240101000001"
---
# Old note

See [other](../b/other.md), ![pic](../img/pic.png), [file](../img/pic.png)
and [me](old.md#top).
Ref [r] here. [[#Top]] is here.

[r]: ../b/other.md
"""

OTHER = """---
title: Other
---
Stem [[old]], path [[a/old]], ext [[old.md]],
embed ![[old]], heading [[old#Part]],
label [[old|the old one]], both [[a/old#Part|x]], block [[old#^abc]].
Markdown [t](../a/old.md), [t](../a/old.md#part),
[t](<../a/old.md>), [t](/a/old.md).
Kept: id [[20240101000001]], title [[Old note]], code `[[old]]`, other [[top]].
Ref [o] and again [o].

[o]: ../a/old.md
"""

OTHER_AFTER = """---
title: Other
---
Stem [[new name]], path [[n/2024/new name]], ext [[new name.md]],
embed ![[new name]], heading [[new name#Part]],
label [[new name|the old one]], both [[n/2024/new name#Part|x]], block [[new name#^abc]].
Markdown [t](../n/2024/new%20name.md), [t](../n/2024/new%20name.md#part),
[t](<../n/2024/new name.md>), [t](/n/2024/new%20name.md).
Kept: id [[20240101000001]], title [[Old note]], code `[[old]]`, other [[top]].
Ref [o] and again [o].

[o]: ../n/2024/new%20name.md
"""

OLD_AFTER = """---
title: Old note
id: "20240101000001"
---
# Old note

See [other](../../b/other.md), ![pic](../../img/pic.png), [file](../../img/pic.png)
and [me](new%20name.md#top).
Ref [r] here. [[#Top]] is here.

[r]: ../../b/other.md
"""


def every_form(make_vault: MakeVault) -> Path:
    return make_vault({
        "a/old.md": OLD,
        "b/other.md": OTHER,
        "c/deep/far.md": "Far: [x](../../a/old.md) and [[old]].\n",
        "top.md": "Top: [x](a/old.md), [[/a/old]], [[old|Old]].\n",
        "crlf.md": "---\r\ntitle: Crlf\r\n---\r\nCRLF [[old]] and\r\n[[a/old]]\r\n",
        "bom.md": "\ufeff---\ntitle: Bom\n---\nBOM\t[[old]]  \n",
        "nofinal.md": "no final newline [[old]]",
        "img/pic.png": b"\x89PNG\r\n",
    })


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_link_form_is_rewritten(make_vault: MakeVault) -> None:
    root = every_form(make_vault)
    # A Markdown image is looked for from the top folder, not from its note's folder
    # (zettel.core.resolve): broken before as after, although written right.
    assert broken(root) == [("a/old.md", "../img/pic.png")]
    code, out, err = run("mv", "a/old.md", "n/2024/new name.md", "--vault", str(root))
    assert code == 0, err
    assert "mv a/old.md -> n/2024/new name.md" in out
    assert not (root / "a/old.md").exists()
    assert (root / "n/2024/new name.md").read_text() == OLD_AFTER
    assert (root / "b/other.md").read_text() == OTHER_AFTER
    assert (root / "c/deep/far.md").read_text() == (
        "Far: [x](../../n/2024/new%20name.md) and [[new name]].\n")
    assert (root / "top.md").read_text() == (
        "Top: [x](n/2024/new%20name.md), [[/n/2024/new name]], [[new name|Old]].\n")
    assert (root / "crlf.md").read_bytes() == (
        b"---\r\ntitle: Crlf\r\n---\r\nCRLF [[new name]] and\r\n[[n/2024/new name]]\r\n")
    assert (root / "bom.md").read_bytes() == (
        "\ufeff---\ntitle: Bom\n---\nBOM\t[[new name]]  \n".encode())
    assert (root / "nofinal.md").read_bytes() == b"no final newline [[new name]]"
    assert (root / "img/pic.png").read_bytes() == b"\x89PNG\r\n"
    assert broken(root) == [("n/2024/new name.md", "../../img/pic.png")]


def test_dry_run_writes_nothing_and_shows_the_rename(make_vault: MakeVault) -> None:
    root = every_form(make_vault)
    files = snapshot(root)
    code, out, err = run("mv", "old", "n/new.md", "--vault", str(root), "--dry-run", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["written"] is False
    assert data["note"] == "a/old.md" and data["new_path"] == "n/new.md"
    assert "rename from a/old.md\nrename to n/new.md\n" in data["diff"]
    assert "-Stem [[old]], path [[a/old]]" in data["diff"]
    assert "+Stem [[new]], path [[n/new]]" in data["diff"]
    assert {f["path"]: f["new_path"] for f in data["files"]}["a/old.md"] == "n/new.md"
    assert snapshot(root) == files
    code, out, err = run("mv", "old", "n/new.md", "--vault", str(root), "--dry-run")
    assert code == 0 and "rename from a/old.md" in out and "dry run" in err
    assert snapshot(root) == files


def test_stem_taken_by_another_note_becomes_a_path(make_vault: MakeVault) -> None:
    root = make_vault({
        "a/old.md": "# Old\n",
        "x/foo.md": "# Foo\n",
        "links.md": "[[old]] and [[foo]] and [[x/foo]] and [[Foo]]\n",
    })
    code, _, err = run("mv", "a/old.md", "y/foo.md", "--vault", str(root))
    assert code == 0, err
    assert (root / "links.md").read_text() == (
        "[[y/foo]] and [[x/foo|foo]] and [[x/foo]] and [[x/foo|Foo]]\n")
    assert "not unique" in err and "other notes" in err
    assert broken(root) == []


def test_a_title_the_new_name_would_take_keeps_its_note(make_vault: MakeVault) -> None:
    root = make_vault({
        "old.md": "# Old\n",
        "zeta.md": "---\nid: \"20240101000002\"\ntitle: Neo\n---\n",
        "links.md": "[[Neo]], [[Neo|the one]], [[old]]\n",
    })
    code, _, err = run("mv", "old.md", "neo.md", "--vault", str(root))
    assert code == 0, err
    assert (root / "links.md").read_text() == (
        "[[20240101000002|Neo]], [[20240101000002|the one]], [[neo]]\n")
    assert broken(root) == []


def test_folder_targets_and_extension(make_vault: MakeVault) -> None:
    root = make_vault({"old.md": "# Old\n", "b/x.md": "[[old]]\n"})
    assert run("mv", "old", "b/", "--vault", str(root))[0] == 0
    assert (root / "b/old.md").is_file()
    assert run("mv", "b/old.md", "c/renamed", "--vault", str(root))[0] == 0
    assert (root / "c/renamed.md").is_file()
    (root / "d").mkdir()
    assert run("mv", "renamed", "d", "--vault", str(root))[0] == 0
    assert (root / "d/renamed.md").is_file()
    assert run("mv", "renamed", str((root / "e/abs.md").resolve()), "--vault", str(root))[0] == 0
    assert (root / "e/abs.md").is_file()
    assert (root / "b/x.md").read_text() == "[[abs]]\n"


@pytest.mark.parametrize(("new_path", "says"), [
    ("b.md", "already exists"),
    ("../out.md", "'..'"),
    ("/elsewhere/out.md", "outside the vault"),
    ("pic.png", "note extension"),
    (".hidden/x.md", "hidden"),
    ("a.md", "already there"),
    ("drafts/a.md", "ignored by the vault's settings ('drafts/*')"),
    ("x.tmp.md", "ignored by the vault's settings ('*.tmp.md')"),
])
def test_refusals(make_vault: MakeVault, new_path: str, says: str) -> None:
    root = make_vault({"a.md": "# A\n", "b.md": "[[a]]\n",
                       ".zettel/config.yaml": 'ignore: ["drafts/*", "*.tmp.md"]\n'})
    files = snapshot(root)
    code, out, err = run("mv", "a", new_path, "--vault", str(root))
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and out == ""
    assert snapshot(root) == files


def test_a_linking_file_that_is_not_utf8_is_refused(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "# A\n", "ok.md": "[[a]]\n",
                       "latin.md": b"caf\xe9 [[a]]\n"})
    files = snapshot(root)
    code, _, err = run("mv", "a", "z.md", "--vault", str(root))
    assert code == 2
    assert "latin.md" in err and "UTF-8" in err and "nothing was written" in err
    assert snapshot(root) == files


def test_a_file_changed_after_the_plan_is_not_clobbered(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "# A\n", "b.md": "[[a]]\n", "c.md": "[[a]]\n"})
    plan = plan_move(root, "a.md", "z.md")
    (root / "c.md").write_text("someone else wrote [[a]] here\n")
    with pytest.raises(WriteError):
        apply_plan(root, plan)
    assert (root / "c.md").read_text() == "someone else wrote [[a]] here\n"
    assert (root / "b.md").read_text() == "[[a]]\n"
    assert (root / "a.md").is_file() and not (root / "z.md").exists()


def test_links_by_id_and_title_get_no_change(make_vault: MakeVault) -> None:
    root = make_vault({"old.md": "---\nid: \"20240101000001\"\ntitle: Old\n---\n",
                       "x.md": "[[20240101000001]] [[Old]] [[20240101000001|o]]\n"})
    plan = plan_move(root, "old.md", "new.md")
    assert [(c.path, c.new_path, c.edits) for c in plan.changes] == [("old.md", "new.md", ())]
    assert plan.links == 0


def test_an_id_from_the_file_name_is_kept(make_vault: MakeVault) -> None:
    root = make_vault({"20240101120000 Old.md": "# Old\n\nbody\n",
                       "x.md": "[[20240101120000]] and [[20240101120000 Old]]\n"})
    code, _, err = run("mv", "Old", "new.md", "--vault", str(root))
    assert code == 0, err
    assert (root / "new.md").read_text() == '---\nid: "20240101120000"\n---\n# Old\n\nbody\n'
    assert (root / "x.md").read_text() == "[[20240101120000]] and [[new]]\n"
    assert "front matter" in err
    assert broken(root) == []


def test_sample_vault_moves_keep_check(sample_vault: Path) -> None:
    before = broken(sample_vault)
    for note, new_path in [("202401150900 Reading list.md", "reading/list.md"),
                           ("20240105093000.md", "concepts/zettelkasten.md"),
                           ("Paul Otlet", "people/otlet/")]:
        code, _, err = run("mv", note, new_path, "--vault", str(sample_vault))
        assert code == 0, err
        assert broken(sample_vault) == before
    assert "[[Zettelkasten]]" in (sample_vault / "20240106095500.md").read_text()


def test_seed_notes_move(seeds_vault: Path) -> None:
    first = sorted(p.name for p in seeds_vault.glob("*.md"))[0]
    before = [("moved/renamed.md" if path == first else path, target)
              for path, target in broken(seeds_vault)]
    code, _, err = run("mv", first, "moved/renamed.md", "--vault", str(seeds_vault))
    assert code == 0, err
    assert broken(seeds_vault) == sorted(before)


def test_api_mv(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "# A\n", "b.md": "[[a]]\n"})
    with zettel.open(root) as vault:
        plan = vault.mv("a", "z.md", dry_run=True)
        assert plan.describe() == "1 file changed, 1 link rewritten, 1 moved"
        assert (root / "a.md").is_file()
        vault.mv("a", "z.md")
        assert vault.note("z").path == "z.md"
    assert (root / "b.md").read_text() == "[[z]]\n"
    with pytest.raises(PlanRefused):
        plan_move(root, "z.md", "b.md")


def test_a_path_link_to_the_top_folder(make_vault: MakeVault) -> None:
    root = make_vault({"f/a.md": "# A\n", "x.md": "[[f/a]] [[a]]\n"})
    apply_plan(root, plan_move(root, "f/a.md", "moved.md"))
    assert (root / "x.md").read_text() == "[[moved]] [[moved]]\n"
    apply_plan(root, plan_move(root, "moved.md", "f/a.md"))
    assert (root / "x.md").read_text() == "[[a]] [[a]]\n"


# -- A -> B -> A gives back every byte

FORMS = ["[[{stem}]]", "[[{path}]]", "[[{stem}.md]]", "![[{stem}]]", "[[{stem}#Part]]",
         "[[{stem}|label]]", "[[{path}#^b|l]]", "[t]({rel})", "[t](<{rel}>)", "[t]({rel}#h)",
         "[[{title}]]", "[[20240101000001]]"]
PLACES = ["top.md", "f/one.md", "f/g/two.md", "h/three.md"]
# Not the top folder: there a path is a file name, and [[f/a]] moved there and back
# comes back as [[a]] (test_a_path_link_to_the_top_folder).
TARGETS = ["f/moved.md", "f/g/x y.md", "k/l/m.md", "h/a.md"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(links=st.lists(st.tuples(st.sampled_from(PLACES), st.sampled_from(FORMS),
                                st.sampled_from(["\n", "\r\n"])), min_size=1, max_size=12),
       start=st.sampled_from(["e/a.md", "f/a.md", "f/g/a.md"]), target=st.sampled_from(TARGETS))
def test_round_trip(links: list[tuple[str, str, str]], start: str, target: str) -> None:
    if start == target:
        return
    files: dict[str, str] = {start: '---\nid: "20240101000001"\ntitle: The A\n---\n'
                                    "[up](../x.md) [[#Part]]\n"}
    stem = start.rsplit("/", 1)[-1][:-3]
    for place, form, newline in links:

        rel = os.path.relpath(start, os.path.dirname(place) or ".").replace(" ", "%20")
        line = form.format(stem=stem, path=start[:-3], rel=rel, title="The A") + newline
        files[place] = files.get(place, "") + line
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel_path, text in files.items():
            (root / rel_path).parent.mkdir(parents=True, exist_ok=True)
            (root / rel_path).write_bytes(text.encode())
        original = snapshot(root)
        for note, new in ((start, target), (target, start)):
            apply_plan(root, plan_move(root, note, new))
        assert snapshot(root) == original



# -- the resolver after a rename, made from the one before, answers as one built afresh

NAMES = ["a", "b", "c", "x y", "20240101000001", "Shared", "Alias"]


@settings(max_examples=60, deadline=None)
@given(notes=st.lists(st.tuples(st.sampled_from(["", "f/", "f/g/"]), st.sampled_from(NAMES),
                                st.sampled_from([None, "20240101000001", "20240101000002"]),
                                st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES),
                                                                 max_size=2)),
                      min_size=1, max_size=6, unique_by=lambda n: n[0] + n[1]),
       new_folder=st.sampled_from(["", "f/", "h/"]), new_name=st.sampled_from(NAMES),
       new_title=st.sampled_from(NAMES), alias=st.booleans())
def test_refiled_resolver(notes: list[tuple[str, str, str | None, str, list[str]]],
                          new_folder: str, new_name: str, new_title: str, alias: bool) -> None:
    rows = [Row(f"{folder}{name}.md", note_id, title, tuple(aliases))
            for folder, name, note_id, title, aliases in notes]
    old = rows[0]
    new = Row(f"{new_folder}{new_name}.md", old.id, new_title,
              (*old.aliases, old.title) if alias else old.aliases)
    if new.path != old.path and any(r.path == new.path for r in rows):
        return
    rename = Rename(old, new, ())
    before = Resolver(rows, ["f/pic.png"])
    quick = after_resolver(rows, rename, ["f/pic.png"], before.extensions, before=before)
    fresh = after_resolver(rows, rename, ["f/pic.png"], before.extensions)
    for target in [*NAMES, "f/a", "f/g/b", "h/c", "pic.png", "f/x y", "type:a"]:
        got, want = quick.resolve(target), fresh.resolve(target)
        assert (got.status, sorted(got.paths), got.step) == (
            want.status, sorted(want.paths), want.step), target
    assert before.resolve(old.title).status != "broken"  # the one before is unchanged


@pytest.mark.parametrize("planted", [
    {"id": {}, "path": {}, "stem": {"a": 1}, "title": {}, "alias": {}},
    {"id": {}, "path": {}, "stem": {"a": [1]}, "title": {}, "alias": {}},
    {"id": {}, "path": {}},
    ["not", "tables"],
])
def test_resolver_tables_of_the_wrong_shape_are_not_used(make_vault: MakeVault,
                                                         planted: object) -> None:
    from zettel.vault import cache
    from zettel.vault.facts import RESOLVER_FILE, vault_facts

    root = make_vault({"a.md": "# A\n", "b.md": "[[a]]\n"})
    old = time.time() - 3600
    for path in root.rglob("*.md"):
        os.utime(path, (old, old))
    vault_facts(root)
    facts, _ = vault_facts(root)
    assert facts.fingerprint
    cache.save_memo(root, RESOLVER_FILE, facts.fingerprint, planted)
    facts, _ = vault_facts(root)
    assert facts.resolver.resolve("a").paths == ("a.md",)
    assert plan_move(root, "a.md", "z.md", facts=facts).links == 1
