"""Golden tests on the five real seed notes (skipped when shared/seeds is absent)."""

from __future__ import annotations

from pathlib import Path

from zettel.vault.facts import check_vault, graph_of
from zettel.vault.scan import open_vault


def by_name(root: Path) -> dict:
    return {n.path.split("_")[0]: n for n in open_vault(root, use_cache=False).notes}


def test_seed_metadata(seeds_vault: Path) -> None:
    notes = by_name(seeds_vault)
    insee = notes["000"]
    assert (insee.id, insee.title, insee.types, insee.thumbnail) == (
        "20230927140247", "INSEE", ("organisation",), "organisation.png")
    assert insee.tags == ("analyse des données", "base de données", "analyse", "collecte",
                          "échange de données")
    assert list(insee.meta) == ["kezako", "link"]
    assert insee.meta["link"] == "https://www.insee.fr/fr/information/2410988"

    page = notes["001"]  # nested lists of mappings, no id, no title field
    assert page.id is None and page.title == "Découvrir L'OpenData"
    assert page.meta["buttons"][0] == {"title": "Citoyen", "default": "faq/citoyen"}
    assert [link.kind for link in page.links] == ["external"] * 4

    plain = notes["002"]  # no front matter, bare URLs, tabs
    assert not plain.has_front_matter and plain.title == "002_4dbb839e7be774e3"
    assert plain.id is None and plain.meta == {}

    assert notes["003"].title == "L'open data" and notes["003"].meta == {"permalink": "/juridique/opendata"}
    assert notes["004"].title == "Les jeux de données de forte valeur"
    assert all(n.problems == () for n in notes.values())


def test_seed_broken_link(seeds_vault: Path) -> None:
    graph = graph_of(open_vault(seeds_vault, use_cache=False))
    [broken] = graph.broken
    assert (broken.source, broken.link.target, broken.link.line) == (
        "000_247ff810d1c38f2b.md", "20230924193522", 25)
    assert "Data Gouv [[20230924193522]] en libre accès" in graph.notes[broken.source].context(broken.link)
    report, _ = check_vault(seeds_vault, use_cache=False)
    assert report.counts == {"broken-link": 1, "isolated": 5} and report.errors == 1
