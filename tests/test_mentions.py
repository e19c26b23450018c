"""zettel mentions: a note's title or aliases written as text in other notes, and --link.

Expected places and texts are written by hand from the vaults built here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zettel.cli.main import main
from zettel.core.mentions import MentionFinder, find_mentions
from zettel.core.parse import parse_text
from zettel.vault.repair import find_all_mentions
from zettel.vault.repair import find_mentions as mentions_in_vault

TARGET = """---
title: Données Réseau
id: "20240101000001"
aliases: [Graphe de liens]
---
Données réseau is named in its own note: not a mention.
"""

SOURCE = """---
title: Source
tags: [données réseau]
---
Les DONNEES reseau sont là.
In code `données réseau` and
```
données réseau
```
[[données réseau]], [données réseau](x.md), https://x.org/données réseau
<https://ex.com/données>, <b title="données réseau">x</b> #données-réseau
mesdonnées réseau, données réseaux, données_réseau.
Wrapped données
réseau over a line.
données

réseau across a blank line.
Le graphe  de liens, (données réseau).
| données réseau | cell |
"""

SOURCE_LINKED = """---
title: Source
tags: [données réseau]
---
Les [[20240101000001|DONNEES reseau]] sont là.
In code `données réseau` and
```
données réseau
```
[[données réseau]], [données réseau](x.md), https://x.org/données réseau
<https://ex.com/données>, <b title="données réseau">x</b> #données-réseau
mesdonnées réseau, données réseaux, données_réseau.
Wrapped [[20240101000001|données réseau]] over a line.
données

réseau across a blank line.
Le [[20240101000001|graphe de liens]], ([[20240101000001|données réseau]]).
| [[20240101000001\\|données réseau]] | cell |
"""

ID_STYLE = "link_style: id\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_mentions_are_text_only_whole_words_folded(make_vault: MakeVault) -> None:
    root = make_vault({"target.md": TARGET, "src.md": SOURCE})
    code, out, err = run("mentions", "Données Réseau", "--vault", str(root), "--json")
    assert code == 1
    found = [(m["number"], m["path"], m["line"], m["column"], m["text"], m["name"], m["flag"])
             for m in json.loads(out)]
    assert found == [
        (1, "src.md", 5, 5, "DONNEES reseau", "Données Réseau", None),
        (2, "src.md", 13, 9, "données\nréseau", "Données Réseau", None),
        (3, "src.md", 18, 4, "graphe  de liens", "Graphe de liens", None),
        (4, "src.md", 18, 23, "données réseau", "Données Réseau", None),
        (5, "src.md", 19, 3, "données réseau", "Données Réseau", None)]
    first = json.loads(out)[0]
    assert (first["target"], first["title"], first["line_text"]) == (
        "target.md", "Données Réseau",
        "Les DONNEES reseau sont là.")
    assert err == ""
    code, out, err = run("mentions", "target.md", "--vault", str(root))
    assert out.splitlines()[1] == "   2. src.md:13:9: Wrapped données"
    assert err == "5 mentions of 'Données Réseau' in 1 note\n"


def test_link_writes_each_mention_with_its_text_as_label(make_vault: MakeVault) -> None:
    root = make_vault({"target.md": TARGET, "src.md": SOURCE, ".zettel/config.yaml": ID_STYLE})
    code, out, err = run("mentions", "20240101000001", "--vault", str(root), "--link")
    assert code == 0, err
    assert out == "link 5 mentions of 'Données Réseau': 1 file changed, 5 links rewritten\n"
    assert (root / "src.md").read_text(encoding="utf-8") == SOURCE_LINKED
    assert (root / "target.md").read_text(encoding="utf-8") == TARGET
    assert run("mentions", "target.md", "--vault", str(root))[0] == 0  # none left
    _, out, _ = run("check", str(root), "--json")  # every new link works
    assert [p["target"] for p in json.loads(out)["problems"] if p["kind"] == "broken-link"] \
        == ["x.md"]


def test_link_follows_the_vaults_style(make_vault: MakeVault) -> None:
    root = make_vault({"target.md": TARGET, "src.md": "---\ntitle: S\n---\nSee données réseau.\n",
                       ".zettel/config.yaml": "link_style: title\n"})
    code, _, _ = run("mentions", "target.md", "--vault", str(root), "--link")
    assert code == 0
    assert (root / "src.md").read_text(encoding="utf-8") == (
        "---\ntitle: S\n---\nSee [[Données Réseau|données réseau]].\n")


def test_pick_in_and_flags(make_vault: MakeVault) -> None:
    root = make_vault({
        ".zettel/config.yaml": ID_STYLE,
        "ai.md": '---\ntitle: AI\nid: "20240101000002"\n---\n',
        "a.md": "---\ntitle: A\n---\nAI and ai.\n",
        "b.md": "---\ntitle: B\n---\nAgain AI.\n",
    })
    code, out, err = run("mentions", "AI", "--vault", str(root))
    assert code == 1
    assert out == ("   1. a.md:4:1: AI and ai.  [short]\n   2. a.md:4:8: AI and ai.  [short]\n"
                   "   3. b.md:4:7: Again AI.  [short]\n")
    code, out, err = run("mentions", "AI", "--vault", str(root), "--link")
    assert "zettel: 3 flagged mentions not linked (pick by number: 1, 2, 3)" in err
    assert (root / "a.md").read_text(encoding="utf-8") == "---\ntitle: A\n---\nAI and ai.\n"
    code, out, err = run("mentions", "AI", "--vault", str(root), "--link", "--pick", "2-3",
                         "--in", "a.md")
    assert code == 0, err
    assert (root / "a.md").read_text(encoding="utf-8") == (
        "---\ntitle: A\n---\nAI and [[20240101000002|ai]].\n")
    assert (root / "b.md").read_text(encoding="utf-8") == "---\ntitle: B\n---\nAgain AI.\n"
    code, _, err = run("mentions", "AI", "--vault", str(root), "--link", "--pick", "9")
    assert code == 2 and "--pick: 9 is not among the mentions shown (1 to 2)" in err
    code, _, err = run("mentions", "AI", "--vault", str(root), "--pick", "1")
    assert code == 2 and "use it with --link" in err


def test_a_name_two_notes_share_and_a_common_word(make_vault: MakeVault) -> None:
    files: dict[str, str | bytes] = {
        "p1.md": "---\ntitle: Paris\n---\n",
        "p2.md": "---\ntitle: City\naliases: [paris]\n---\n",
        "memory.md": "---\ntitle: Memory\n---\n",
        "src.md": "---\ntitle: S\n---\nParis and memory.\n",
    }
    files.update({f"n{i}.md": f"---\ntitle: N{i}\n---\nmemory {i}\n" for i in range(20)})
    root = make_vault(files)
    code, out, _ = run("mentions", "p1.md", "--vault", str(root), "--json")
    assert [(m["path"], m["flag"]) for m in json.loads(out)] == [("src.md", "ambiguous")]
    code, out, _ = run("mentions", "Memory", "--vault", str(root), "--json")
    found = json.loads(out)
    assert len(found) == 21 and {m["flag"] for m in found} == {"common"}


def test_all_lists_every_notes_mentions(make_vault: MakeVault) -> None:
    root = make_vault({
        ".zettel/config.yaml": ID_STYLE,
        "a.md": '---\ntitle: Alpha note\nid: "20240101000001"\n---\nIt cites beta note.\n',
        "b.md": '---\ntitle: Beta note\nid: "20240101000002"\n---\nAlpha note, beta note.\n',
    })
    code, out, err = run("mentions", "--all", "--vault", str(root))
    assert code == 1
    assert out.splitlines() == ["Alpha note (a.md)", "   1. b.md:5:1: Alpha note, beta note.",
                                "Beta note (b.md)", "   2. a.md:5:10: It cites beta note."]
    assert err == "2 mentions in 2 notes\n"
    assert [(m.source, m.target, m.text) for m in find_all_mentions(root)] == [
        ("b.md", "a.md", "Alpha note"), ("a.md", "b.md", "beta note")]
    code, _, _ = run("mentions", "--all", "--vault", str(root), "--link")
    assert code == 0
    assert (root / "a.md").read_text(encoding="utf-8").endswith(
        "It cites [[20240101000002|beta note]].\n")
    assert (root / "b.md").read_text(encoding="utf-8").endswith(
        "[[20240101000001|Alpha note]], beta note.\n")
    code, _, err = run("mentions", "--all", "a.md", "--vault", str(root))
    assert code == 2 and "give a NOTE, or --all" in err


def test_crlf_bom_and_folded_offsets_keep_every_other_byte(make_vault: MakeVault) -> None:
    text = ("\ufeff---\r\ntitle: S\r\n---\r\n\U0001f600 Straße İstanbul: STRASSE\tistanbul!\r\n"
            "Donne\u0301es re\u0301seau, stra\u00dfe ISTANBUL\r\nno final newline")
    root = make_vault({
        ".zettel/config.yaml": ID_STYLE,
        "t.md": '---\ntitle: Strasse Istanbul\nid: "20240101000001"\n'
                "aliases: [Données réseau]\n---\n",
        "s.md": text.encode("utf-8"),
    })
    code, out, _ = run("mentions", "t.md", "--vault", str(root), "--json")
    assert [(m["line"], m["column"], m["text"]) for m in json.loads(out)] == [
        (4, 3, "Straße İstanbul"), (4, 20, "STRASSE\tistanbul"),
        (5, 1, "Donne\u0301es re\u0301seau"), (5, 19, "stra\u00dfe ISTANBUL")]
    code, _, err = run("mentions", "t.md", "--vault", str(root), "--link")
    assert code == 0, err
    assert (root / "s.md").read_bytes() == text.replace(
        "Straße İstanbul", "[[20240101000001|Straße İstanbul]]").replace(
        "STRASSE\tistanbul", "[[20240101000001|STRASSE istanbul]]").replace(
        "Donne\u0301es re\u0301seau", "[[20240101000001|Donne\u0301es re\u0301seau]]").replace(
        "stra\u00dfe ISTANBUL", "[[20240101000001|stra\u00dfe ISTANBUL]]").encode("utf-8")


def test_a_source_that_is_not_utf8_is_refused(make_vault: MakeVault) -> None:
    bad = b"---\ntitle: Latin\n---\nCaf\xe9, Graphe de liens.\n"
    root = make_vault({"target.md": TARGET, "latin.md": bad})
    code, out, err = run("mentions", "target.md", "--vault", str(root))
    assert "latin.md:4:7:" in out
    code, out, err = run("mentions", "target.md", "--vault", str(root), "--link")
    assert "'latin.md' is not valid UTF-8" in err and "zettel does not rewrite it" in err
    assert (root / "latin.md").read_bytes() == bad


def test_a_file_changed_after_it_was_read_is_not_clobbered(make_vault: MakeVault) -> None:
    from zettel.vault.journal import apply_plan
    from zettel.vault.repair import plan_link_mentions
    from zettel.vault.write import WriteError

    root = make_vault({"target.md": TARGET, "src.md": "---\ntitle: S\n---\nSee données réseau.\n"})
    target = parse_text("target.md", TARGET)
    plan = plan_link_mentions(root, mentions_in_vault(root, target), {"target.md": target})
    assert plan.links == 1
    (root / "src.md").write_text("---\ntitle: S\n---\nEdited meanwhile.\n", encoding="utf-8")
    with pytest.raises(WriteError):
        apply_plan(root, plan)
    assert (root / "src.md").read_text(encoding="utf-8") == (
        "---\ntitle: S\n---\nEdited meanwhile.\n")


def test_mentions_on_the_sample_vault(sample_vault: Path) -> None:
    code, out, _ = run("mentions", "Zettelkasten", "--vault", str(sample_vault), "--json")
    assert code == 1
    assert [(m["path"], m["line"], m["text"]) for m in json.loads(out)] == [
        ("20240114090000.md", 13, "slip box")]


def test_mentions_on_the_seed_notes(seeds_vault: Path) -> None:
    code, out, _ = run("mentions", "--all", "--vault", str(seeds_vault), "--json")
    assert code in (0, 1)
    for mention in json.loads(out):
        assert mention["path"] != mention["target"]


# -- the finder itself, on generated text: expected places are where the test put names

NOISE = ["zeta", "\U0001f600", "İyi", "ß", "e\u0301", "`straße noir`", "[[straße noir]]",
         "x-noirs", "straßenoir", "<b title=\"straße noir\">", "\n", "\n\n", ", ", " ", "\t"]
NAMES = ["Straße Noir", "STRASSE noir", "strasse\nNOIR", "Stra\u00dfe No\u0131r",
         "Strasse  Noi\u0307r"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(NOISE), st.sampled_from(NAMES + [None])),
                max_size=12))
def test_names_are_found_exactly_where_they_were_written(pieces: list[tuple[str, str | None]]
                                                         ) -> None:
    body, expected = "", []
    for noise, name in pieces:
        body += " " + noise + " "
        if name is not None:
            expected.append((len(body), len(body) + len(name), name))
            body += name
    source = parse_text("s.md", body)
    target = parse_text("t.md", "---\ntitle: Straße noir\n---\n")
    found = [(m.start, m.end, m.text) for m in find_mentions(source, target)]
    assert found == expected


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(NOISE), st.sampled_from(NAMES + [None])),
                max_size=12))
def test_many_names_at_once_find_the_same(pieces: list[tuple[str, str | None]]) -> None:
    """With many names (found with a table of words, not a pattern each), the same places."""
    body, expected = "", []
    for noise, name in pieces:
        body += " " + noise + " "
        if name is not None:
            expected.append((len(body), len(body) + len(name), name))
            body += name
    source = parse_text("s.md", body)
    target = parse_text("t.md", "---\ntitle: Straße noir\n---\n")
    decoys = [parse_text(f"d{i}.md", f"---\ntitle: Noir zeta {i}\n---\n") for i in range(40)]
    found = [(m.start, m.end, m.text) for m in MentionFinder([target, *decoys]).find(source)
             if m.target == "t.md"]
    assert found == expected


def test_a_note_not_found_or_ambiguous_is_a_usage_error(make_vault: MakeVault) -> None:
    root = make_vault({"target.md": TARGET, "a/paris.md": "---\ntitle: P1\n---\n",
                       "b/paris.md": "---\ntitle: P2\n---\n"})
    code, out, err = run("mentions", "Donnes Reseau", "--vault", str(root))
    assert (code, out) == (2, "")
    assert "no note matches 'Donnes Reseau'" in err and "did you mean 'Données Réseau'?" in err
    code, _, err = run("mentions", "paris", "--vault", str(root))
    assert code == 2 and "'paris' matches 2 notes by stem: a/paris.md, b/paris.md" in err
    assert run("mentions", "a/paris.md", "--vault", str(root))[0] == 0  # by path: no mention


def test_the_sketches_follow_the_notes_and_survive_damage(make_vault: MakeVault) -> None:
    root = make_vault({"target.md": TARGET, "a.md": "---\ntitle: A\n---\nNothing.\n",
                       "b.md": "---\ntitle: B\n---\nSee données réseau.\n"})

    def places() -> list[tuple[str, int]]:
        code, out, _ = run("mentions", "target.md", "--vault", str(root), "--json")
        return [(m["path"], m["column"]) for m in json.loads(out)]

    assert places() == [("b.md", 5)]
    cache = root / ".zettel" / "cache"
    assert {p.name for p in cache.glob("sketches.*")} == {
        "sketches.pickle", "sketches.filters", "sketches.words"}
    (root / "a.md").write_text("---\ntitle: A\n---\nNow Graphe de liens.\n", encoding="utf-8")
    (root / "b.md").unlink()
    assert places() == [("a.md", 5)]  # a note changed, one removed: sketched again
    (cache / "sketches.filters").write_bytes(b"damaged")
    assert places() == [("a.md", 5)]
    (cache / "sketches.words").write_bytes(b"")
    (root / "c.md").write_text("---\ntitle: C\n---\ndonnées réseau\n", encoding="utf-8")
    assert places() == [("a.md", 5), ("c.md", 1)]
