"""Every problem kind, severities, suggestions and the JSON report."""

from __future__ import annotations

from pathlib import Path

from conftest import MakeVault

from zettel.check import check_vault


def problems(root: Path) -> list[tuple[str, str, int | None]]:
    report, _ = check_vault(root, use_cache=False)
    return [(p.kind, p.path, p.line) for p in report.problems]


def test_clean_vault_has_no_problem(make_vault: MakeVault) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    report, _ = check_vault(root, use_cache=False)
    assert report.problems == () and report.errors == 0 and report.counts == {}
    assert (report.notes, report.links) == (2, 2)


def test_every_problem_kind(make_vault: MakeVault) -> None:
    ids = {f"n{i}.md": f"---\nid: \"2020010100000{i}\"\n---\n[[hub]]\n" for i in range(4)}
    root = make_vault({
        **ids,
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
    })
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
        "a.md": "---\nid: \"20230924193522\"\n---\n[[202309241935221]] [[20230924913522]]",
        "b.md": "---\ntitle: Open data portal\n---\n[[Open data portals]] [[20230924193522]]",
        "c.md": "---\ntitle: Hypertext\n---\n[[Hypertxt]] [[a]]",
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
