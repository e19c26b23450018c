"""Every problem kind, severities, suggestions and the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import MakeVault

from zettel.vault.facts import check_vault


def problems(root: Path) -> list[tuple[str, str, int | None]]:
    report, _ = check_vault(root, use_cache=False)
    return [(p.kind, p.path, p.line) for p in report.problems]


def test_clean_vault_has_no_problem(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    report, _ = check_vault(root, use_cache=False)
    assert report.problems == () and report.errors == 0 and report.counts == {}
    assert (report.notes, report.links) == (2, 2)


EVERY_KIND_VAULT = {
    **{f"n{i}.md": f"---\nid: \"2020010100000{i}\"\n---\n[[hub]]\n" for i in range(4)},
    "hub.md": "---\nid: \"20200101000009\"\n---\n[[n0]] [[n1]] [[n2]] [[n3]] [[dup]] [[bad]] "
              "[[Twin]] [[key]] [[odd]] [[enc]]\n",
    "bad.md": "---\ntags: [unclosed\n---\n",
    "dup.md": "---\nid: \"20200101000001\"\n---\n[[hub]]\n",
    "twin1.md": "---\ntitle: Twin\n---\n[[hub]]",
    "twin2.md": "---\ntitle: Twin\n---\n[[hub]]",
    "key.md": "---\nID: \"20200101000012\"\n---\n[[hub]]\n[[20200101000099]]\n",
    "odd.md": "---\nid: \"202001010000123\"\n---\n[[hub]]",
    "enc.md": b"caf\xe9 [[hub]]",
    "alone.md": "nothing",
}


def test_every_problem_kind(make_vault: MakeVault) -> None:
    root = make_vault(EVERY_KIND_VAULT)
    found = problems(root)
    assert ("yaml-error", "bad.md", 2) in found
    assert ("duplicate-id", "dup.md", None) in found and ("duplicate-id", "n1.md", None) in found
    assert ("broken-link", "key.md", 5) in found
    assert ("ambiguous-link", "hub.md", 4) in found
    assert ("malformed-id", "odd.md", None) in found
    assert ("key-case", "key.md", 2) in found
    assert ("bad-encoding", "enc.md", None) in found
    assert ("isolated", "alone.md", None) in found
    assert ("orphan", "twin1.md", None) in found  # the link to "Twin" is ambiguous


def test_errors_and_warnings(make_vault: MakeVault) -> None:
    report, _ = check_vault(make_vault({"a.md": "[[nowhere]]", "b.md": "x"}), use_cache=False)
    kinds = {p.kind: p.severity for p in report.problems}
    assert kinds == {"broken-link": "error", "isolated": "warning"}
    assert (report.errors, report.warnings) == (1, 2)  # a.md is isolated too


def test_broken_link_suggests_a_close_id(make_vault: MakeVault) -> None:
    root = make_vault({
        "a.md": "---\nid: \"20230924193522\"\n---\n[[Open data portals]] [[Hypertxt]]",
        "b.md": "---\ntitle: Open data portal\n---\n[[202309241935221]] [[20230924193522]]",
        "c.md": "---\ntitle: Hypertext\n---\n[[20230924913522]] [[a]]",
    })
    report, _ = check_vault(root, use_cache=False)
    guesses = {p.target: p.suggestion for p in report.problems if p.kind == "broken-link"}
    assert guesses == {"202309241935221": "20230924193522",  # a digit too many
                       "20230924913522": "20230924193522",   # two digits swapped
                       "Open data portals": "Open data portal",
                       "Hypertxt": "Hypertext"}  # a short title, another case
    far = make_vault({"c.md": "---\nid: \"20230924193522\"\n---\n[[20991231000000]]"})
    report, _ = check_vault(far, use_cache=False)
    assert [p.suggestion for p in report.problems if p.kind == "broken-link"] == [None]


def test_malformed_id_only_when_most_ids_are_timestamps(make_vault: MakeVault) -> None:
    mostly = make_vault({"a.md": "---\nid: \"20200101000000\"\n---\n",
                         "b.md": "---\nid: \"20200101000001\"\n---\n",
                         "c.md": "---\nid: my-slug\n---\n"})
    assert [p for p in problems(mostly) if p[0] == "malformed-id"] == [("malformed-id", "c.md", None)]


def test_custom_ids_are_fine_when_the_vault_uses_them(tmp_path: Path) -> None:
    root = tmp_path / "custom"
    root.mkdir()
    for name in ("alpha", "beta", "gamma"):
        (root / f"{name}.md").write_text(f"---\nid: {name}\n---\n", encoding="utf-8")
    assert not [p for p in problems(root) if p[0] == "malformed-id"]


def test_json_report_shape(make_vault: MakeVault) -> None:
    report, _ = check_vault(make_vault({"a.md": "[[b]]\n[[nope]]", "b.md": "[[a]]"}),
                            use_cache=False)
    data = report.to_json()
    assert set(data) == {"notes", "links", "counts", "problems"}
    assert data["counts"] == {"broken-link": 1}
    assert data["problems"] == [{
        "kind": "broken-link", "severity": "error", "path": "a.md", "line": 2, "target": "nope",
        "message": "link to 'nope' matches no note (by id, path, file name, title or alias)",
        "suggestion": None}]


# "Did you mean": candidates close to the target (or the label), ranked with the paragraph
# around the link; no suggestion unless one candidate is clearly best (zettel.core.suggest).

ATOMIC, LUHMANN, OTLET = "20240105101501", "20240105101600", "20240105102510"
TYPO = "20240105101500"  # one edit from ATOMIC and from LUHMANN, two from OTLET


def note(title: str, note_id: str | None = None, body: str = "", aliases: str = "") -> str:
    """A note's text: front matter with a title, maybe an id and aliases, then the body."""
    lines = [f"title: {title}"]
    if note_id:
        lines.append(f'id: "{note_id}"')
    if aliases:
        lines.append(f"aliases: [{aliases}]")
    return "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"


def guesses(root: Path) -> list[tuple[str, int | None, str | None]]:
    """(path, line, suggestion) of every broken link, in report order."""
    report, _ = check_vault(root, use_cache=False)
    return [(p.path, p.line, p.suggestion) for p in report.problems if p.kind == "broken-link"]


ID_NOTES = {
    "atomic.md": note("Atomic note", ATOMIC),
    "luhmann.md": note("Niklas Luhmann", LUHMANN),
    "otlet.md": note("Paul Otlet", OTLET),
    "memex.md": note("Memex", "20230101000000"),
}


def test_an_id_suggestion_follows_the_note_the_paragraph_names(make_vault: MakeVault) -> None:
    root = make_vault({**ID_NOTES, "log.md": note("Reading log", body=(
        f"Niklas Luhmann kept his slip box for forty years [[{TYPO}]].\n\n"
        f"Paul Otlet's Mundaneum came first, see [[{TYPO}|there]].\n\n"
        f"An atomic note holds one idea [[{TYPO}]]."))})
    assert guesses(root) == [
        ("log.md", 4, LUHMANN),  # one edit away, as ATOMIC is (the smaller id, once chosen)
        ("log.md", 6, OTLET),    # two edits away, but named: it beats ATOMIC, one edit away
        ("log.md", 8, ATOMIC),   # one edit away and named
    ]


def test_the_nearest_id_is_kept_when_it_is_right(make_vault: MakeVault) -> None:
    root = make_vault({"atomic.md": note("Atomic note", ATOMIC),
                       "otlet.md": note("Paul Otlet", OTLET),
                       "memex.md": note("Memex", "20230101000000"),
                       "log.md": note("Reading log", body=(
                           f"The Memex was a desk of microfilm [[{TYPO}]]."))})
    # ATOMIC is the only id one edit away: OTLET (two edits) and the Memex (named, but far)
    # do not outweigh it
    assert guesses(root) == [("log.md", 4, ATOMIC)]


def test_no_id_suggestion_when_no_candidate_is_clearly_best(make_vault: MakeVault) -> None:
    root = make_vault({**ID_NOTES,
                       "otlet.md": note("Paul Otlet", OTLET, body=(
                           f"Paul Otlet wrote this [[{TYPO}]].")),
                       "log.md": note("Reading log", body=(
                           f"Nothing here names a note [[{TYPO}]].\n\n"
                           "Paul Otlet again [[20240105109999]].\n\n"
                           "Two typos from the id of a note not named [[20240105102522]].\n\n"
                           "The Memex, named, but its id is far [[20240105101999]]."))})
    assert guesses(root) == [
        ("log.md", 4, None),     # ATOMIC and LUHMANN, one edit each, neither named: a tie
        ("log.md", 6, None),     # named, but its id is three edits away or more
        ("log.md", 8, None),     # two edits, and nothing around it names the note
        ("log.md", 10, None),    # named, and far
        ("otlet.md", 5, None),   # a note is no candidate for its own link: a tie again
    ]


def test_a_label_names_the_note_an_id_link_meant(make_vault: MakeVault) -> None:
    root = make_vault({**ID_NOTES, "log.md": note("Reading log", body=(
        "[[20991231000000|Atomic note]]\n\n"            # far from every id, but labelled
        f"[[{TYPO}|Niklas Luhmann]]\n\n"                # the label settles the tie
        "[[20991231000000|a few words]]"))})            # a label that names nothing
    assert guesses(root) == [("log.md", 4, ATOMIC), ("log.md", 6, LUHMANN),
                             ("log.md", 8, None)]


NAME_NOTES = {
    "niklas.md": note("Niklas Luhmann", aliases="Luhmann"),
    "lehman.md": note("Lehman"),
    "ahrens.md": note("How to Take Smart Notes"),
    "hypertext.md": note("Hypertext"),
    "analyses.md": note("Network analyses"),
    "analysts.md": note("Network analysts"),
}


def test_a_title_suggestion_follows_the_paragraph(make_vault: MakeVault) -> None:
    root = make_vault({**NAME_NOTES, "log.md": note("Reading log", body=(
        "Lehman Brothers went bankrupt in 2008 [[Luhman]].\n\n"
        "[[Luhman]] kept a slip box.\n\n"
        "Sönke Ahrens wrote How to Take Smart Notes, see [[Smart notes]].\n\n"
        "The [[hypertxt]] of the Memex."))})
    assert guesses(root) == [
        ("log.md", 4, "Lehman"),   # less similar than the alias Luhmann, but named
        ("log.md", 6, "Luhmann"),  # the nearest name, an alias
        ("log.md", 8, "How to Take Smart Notes"),  # 65% similar, and named
        ("log.md", 10, "Hypertext"),
    ]


def test_no_title_suggestion_when_nothing_is_clearly_close(make_vault: MakeVault) -> None:
    root = make_vault({**NAME_NOTES, "log.md": note("Reading log", body=(
        "Ted Nelson coined hypertext; his [[Project Xanadu]] never shipped.\n\n"
        "[[Network analysis]] of the links.\n\n"
        "Read [[Smart notes]] again."))})
    assert guesses(root) == [
        ("log.md", 4, None),  # the paragraph names Hypertext, which is nothing like the target
        ("log.md", 6, None),  # two titles one letter away: a tie
        ("log.md", 8, None),  # 65% similar, and not named
    ]


def test_suggestions_through_the_cli(make_vault: MakeVault) -> None:
    from click.testing import CliRunner

    from zettel.cli.main import main

    root = make_vault({**ID_NOTES, "lehman.md": note("Lehman"), "log.md": note("Reading log", body=(
        f"Niklas Luhmann kept his slip box for forty years [[{TYPO}]].\n\n"
        "Lehman Brothers went bankrupt in 2008 [[Luhman]].\n\n"
        f"Nothing here names a note [[{TYPO}]]."))})
    runner = CliRunner()
    broken = runner.invoke(main, ["broken", "--json", str(root)], catch_exceptions=False)
    assert broken.exit_code == 1
    assert [(r["line"], r["suggestion"]) for r in json.loads(broken.stdout)] == [
        (4, LUHMANN), (6, "Lehman"), (8, None)]
    check = runner.invoke(main, ["check", "--json", "--no-cache", str(root)],
                          catch_exceptions=False)
    problems = [p for p in json.loads(check.stdout)["problems"] if p["kind"] == "broken-link"]
    assert [(p["line"], p["suggestion"]) for p in problems] == [
        (4, LUHMANN), (6, "Lehman"), (8, None)]
    assert problems[0]["message"].endswith(f"; did you mean '{LUHMANN}'?")


def test_a_note_is_never_suggested_for_its_own_link(make_vault) -> None:
    # The link's target is one typo from the note's own id, and from no other.
    vault = make_vault({
        "a.md": "---\nid: '20240101000000'\ntitle: Alpha\n---\nSee [[20240101000001]].\n",
        "b.md": "---\nid: '20240505050505'\ntitle: Beta\n---\nSee [[20240505050506]].\n",
        "c.md": "---\nid: '20240505050507'\ntitle: Gamma\n---\n[[Alpha]] [[Beta]]\n",
    })
    from zettel.vault.facts import check_vault

    report, _ = check_vault(vault, use_cache=False)
    suggestions = {(p.path, p.target): p.suggestion for p in report.problems
                   if p.kind == "broken-link"}
    assert suggestions == {("a.md", "20240101000001"): None,
                           ("b.md", "20240505050506"): "20240505050507"}


# The registry of problem kinds (zettel.core.problems): one place for names, severities, order and
# meanings, read by the checker, `check --help`, the TUI and docs/format.md.



def test_counts_and_severities_follow_the_registry(make_vault: MakeVault) -> None:
    from click.testing import CliRunner

    from zettel.cli.main import main

    root = make_vault(EVERY_KIND_VAULT)
    result = CliRunner().invoke(main, ["check", "--json", "--no-cache", str(root)],
                                catch_exceptions=False)
    data = json.loads(result.stdout)
    assert list(data["counts"]) == ["yaml-error", "duplicate-id", "broken-link",
                                    "ambiguous-link", "malformed-id", "key-case",
                                    "bad-encoding", "orphan", "isolated"]
    severities = {p["kind"]: p["severity"] for p in data["problems"]}
    assert severities == {"yaml-error": "error", "duplicate-id": "error",
                          "broken-link": "error", "ambiguous-link": "warning",
                          "malformed-id": "warning", "key-case": "warning",
                          "bad-encoding": "warning", "orphan": "warning", "isolated": "warning"}


def test_problems_of_one_line_are_listed_in_registry_order(make_vault: MakeVault) -> None:
    # by path, then line (none first), then the registry's order: a malformed id (no line)
    # after a duplicate id and before isolated; a key-case warning on line 2
    root = make_vault({"a.md": "---\nTitle: A\n---\n[[nowhere]]\n",
                       "b.md": "---\nid: \"x\"\n---\n",
                       "c.md": "---\nid: \"x\"\n---\n",
                       "d.md": "---\nid: \"20200101000000\"\n---\n",
                       "e.md": "---\nid: \"20200101000001\"\n---\n",
                       "f.md": "---\nid: \"20200101000002\"\n---\n",
                       "g.md": "---\nid: \"20200101000003\"\n---\n"})
    assert problems(root)[:5] == [
        ("isolated", "a.md", None), ("key-case", "a.md", 2), ("broken-link", "a.md", 4),
        ("duplicate-id", "b.md", None), ("malformed-id", "b.md", None)]
    assert problems(root)[5] == ("isolated", "b.md", None)


def test_a_problem_of_an_unknown_kind_cannot_be_made() -> None:
    from zettel.core.model import Problem
    from zettel.core.problems import UnknownProblemKind

    assert Problem("broken-link", "a.md", "x").severity == "error"
    for typo in ("broken_link", "Broken-link", "warning", ""):
        try:
            Problem(typo, "a.md", "a typo must not become a warning sorted last")
        except UnknownProblemKind as err:
            assert typo in str(err) or typo == ""
        else:
            raise AssertionError(f"Problem({typo!r}, …) was accepted")


def test_check_help_lists_every_kind_with_its_severity_and_meaning() -> None:
    from click.testing import CliRunner

    from zettel.cli.main import main

    text = CliRunner().invoke(main, ["check", "--help"], catch_exceptions=False).stdout
    errors, warnings = text.split("Errors (exit 1):")[1].split("Warnings (exit 1 with --strict):")
    warnings = warnings.split("Options:")[0]
    assert "  broken-link     a link that reaches no note or file of the vault\n" in errors
    assert "  orphan          a note that no other note links to\n" in warnings
    for name, severity, meaning in format_md_kinds():
        line = next(line for line in text.splitlines() if line.split()[:1] == [name])
        assert line.split(None, 1)[1] == meaning, name
        assert line in (errors if severity == "error" else warnings), name
    assert max(len(line) for line in text.splitlines()) <= 80  # click does not rewrap it


def format_md_kinds() -> list[tuple[str, str, str]]:
    """(kind, severity, meaning) of each row of the table of docs/format.md's Problems."""
    from conftest import ROOT

    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    section = text.split("\n## Problems\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("| kind | severity | meaning |\n| --- | --- | --- |\n", 1)[1]
    rows = []
    for line in table.split("\n\n", 1)[0].splitlines():
        name, severity, meaning = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((name.strip("`"), severity, meaning))
    return rows


def test_the_table_of_docs_format_md_is_the_registry() -> None:
    from zettel.core.problems import KINDS

    assert format_md_kinds() == [(k.name, k.severity, k.meaning) for k in KINDS.values()]
    assert [k.order for k in KINDS.values()] == list(range(len(KINDS)))
