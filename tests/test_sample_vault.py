"""The sample vault notes/ shows every feature and exactly its two planted problems."""

from __future__ import annotations

from pathlib import Path

from zettel.vault.facts import check_vault, graph_of
from zettel.vault.scan import open_vault


def test_sample_vault_has_exactly_its_planted_problems(sample_vault: Path) -> None:
    report, notices = check_vault(sample_vault, use_cache=False)
    assert notices == ()  # its config.yaml is valid and fully known
    assert report.counts == {"broken-link": 1, "orphan": 1}
    broken = next(p for p in report.problems if p.kind == "broken-link")
    assert (broken.path, broken.target, broken.suggestion) == (
        "20240110113000.md", "Project Xanadu", None)
    orphan = next(p for p in report.problems if p.kind == "orphan")
    assert orphan.path == "20240114090000.md"


def test_sample_vault_uses_every_link_form(sample_vault: Path) -> None:
    vault = open_vault(sample_vault, use_cache=False)
    graph = graph_of(vault)
    kinds = {link.kind for note in vault.notes for link in note.links}
    assert kinds == {"wiki", "embed", "markdown", "external"}
    found = {}
    for note in vault.notes:
        for item in graph.outgoing(note.path):
            found.setdefault(item.resolution.step, item)
    assert {"id", "path", "title", "alias", "file"} <= set(found)  # "stem": see test_resolve.py
    assert found["file"].target == "images/luhmann.png"
    typed = [r for n in vault.notes for r in graph.outgoing(n.path) if r.resolution.link_type]
    assert [(r.resolution.link_type, r.target) for r in typed] == [
        ("author", "people/20240108103000.md")]
    reading = next(n for n in vault.notes if n.path == "202401150900 Reading list.md")
    assert reading.id == "202401150900" and not reading.has_front_matter
    assert any(n.thumbnail for n in vault.notes) and any(n.aliases for n in vault.notes)
