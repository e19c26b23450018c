"""The graph: terms (orphan, isolated, dead end), backlinks, edges, exports."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from zettel.core.graph import KnowledgeGraph
from zettel.core.parse import parse_text


def graph_of(files: dict[str, str]) -> KnowledgeGraph:
    return KnowledgeGraph([parse_text(path, text) for path, text in files.items()])


@pytest.fixture
def small() -> KnowledgeGraph:
    return graph_of({
        "hub.md": "---\nid: \"20200101000000\"\ntitle: Hub\ntypes: [concept]\ntags: [t]\n---\n"
                  "Links to [[leaf]] and [[leaf|again]] and [[cite:20200101000001]].\n",
        "leaf.md": "---\nid: \"20200101000001\"\n---\nBack to [[Hub]].\n",
        "lonely.md": "Only [[lonely]] itself and [[missing]].\n",
        "source.md": "To [[Hub]].\n",
    })


def test_terms(small: KnowledgeGraph) -> None:
    assert small.orphans() == ["lonely.md", "source.md"]
    assert small.isolated() == ["lonely.md"]  # a self-link and a broken link count for nothing
    assert small.dead_ends() == ["lonely.md"]
    assert not small.is_orphan("hub.md") and small.is_dead_end("lonely.md")


def test_edges_carry_count_links_types_and_contexts(small: KnowledgeGraph) -> None:
    edge = small.graph.edges["hub.md", "leaf.md"]
    assert edge["count"] == 3 and edge["types"] == ("cite",)
    assert [link.line for link in edge["links"]] == [7, 7, 7]
    assert small.contexts("hub.md", "leaf.md")[0].startswith("Links to [[leaf]]")
    assert small.graph.nodes["hub.md"] == {"id": "20200101000000", "title": "Hub",
                                            "types": ("concept",), "tags": ("t",)}
    assert small.graph.has_edge("lonely.md", "lonely.md")  # kept, but counts for no term
    assert small.link_count == 7


def test_backlinks_and_outgoing(small: KnowledgeGraph) -> None:
    assert [(b.source, b.link.target) for b in small.backlinks("hub.md")] == [
        ("leaf.md", "Hub"), ("source.md", "Hub")]
    assert small.backlinks("lonely.md") == []  # its self-link is not a backlink
    statuses = [r.resolution.status for r in small.outgoing("lonely.md")]
    assert statuses == ["resolved", "broken"]
    assert [b.link.target for b in small.broken] == ["missing"]
    assert small.links_to("hub.md") == ["leaf.md"] and small.links_to("lonely.md") == []
    assert small.linked_from("hub.md") == ["leaf.md", "source.md"]


def test_graphml_and_gexf_exports_open_in_networkx(small: KnowledgeGraph, tmp_path: Path) -> None:
    small.export("graphml", tmp_path / "g.graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert back.number_of_nodes() == 4 and back.edges["hub.md", "leaf.md"]["weight"] == 3
    assert back.nodes["hub.md"]["title"] == "Hub"
    assert back.nodes["hub.md"]["note_id"] == "20200101000000"
    small.export("gexf", tmp_path / "g.gexf")
    assert ET.parse(tmp_path / "g.gexf").getroot().tag.endswith("gexf")
    gexf = nx.read_gexf(tmp_path / "g.gexf")
    assert sorted(gexf.nodes) == sorted(small.notes)  # notes without an id keep their own node
    assert gexf.nodes["leaf.md"]["note_id"] == "20200101000001"


def test_json_export_is_node_link_with_contexts(small: KnowledgeGraph) -> None:
    out = io.StringIO()
    small.export("json", out)
    data = json.loads(out.getvalue())
    assert {n["id"] for n in data["nodes"]} == set(small.notes)
    hub = next(n for n in data["nodes"] if n["id"] == "hub.md")
    assert hub["note_id"] == "20200101000000" and hub["types"] == ["concept"]
    edge = next(e for e in data["links"] if (e["source"], e["target"]) == ("hub.md", "leaf.md"))
    assert edge["count"] == 3 and len(edge["contexts"]) == 3


def test_dot_export_quotes_names() -> None:
    g = graph_of({'say "hi".md': "[[b]]", "b.md": ""})
    out = io.StringIO()
    g.export("dot", out)
    assert '"say \\"hi\\".md" -> "b.md";' in out.getvalue()


def test_unknown_format_is_refused(small: KnowledgeGraph) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        small.export("svg", io.StringIO())


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_xml_exports_are_well_formed_with_control_characters(fmt: str) -> None:
    g = graph_of({
        "a\x01\x1b.md": '---\ntitle: "Bell \\a, escape \\e]0;x\\a, null \\0"\n'
                        'tags: ["t\\x08"]\ntypes: ["k\\x0e"]\n---\n[[b]] [[cite\\x0b:b]]\n',
        "b.md": "---\ntitle: B\n---\n[[a\x01\x1b]]\n",
    })
    out = io.StringIO()
    g.export(fmt, out)
    root = ET.fromstring(out.getvalue())  # raises on a character XML cannot hold
    text = " ".join(value for element in root.iter()
                    for value in [element.text or "", *element.attrib.values()])
    assert "Bell \\x07, escape \\x1b]0;x\\x07, null \\x00" in text
    assert "a\\x01\\x1b.md" in text and "t\\x08" in text and "k\\x0e" in text


def test_many_links_between_two_notes_are_one_edge_in_file_order(make_vault) -> None:
    lines = "\n".join(f"[[B]] then [[cite:C]] on line {i}" for i in range(3000))
    vault = make_vault({"a.md": "# A\n" + lines, "b.md": "# B\n", "c.md": "# C\n"})
    from zettel.vault.facts import graph_of
    from zettel.vault.scan import open_vault

    graph = graph_of(open_vault(vault, use_cache=False))
    edge = graph.graph.edges["a.md", "b.md"]
    assert edge["count"] == 3000
    assert [link.line for link in edge["links"]] == list(range(2, 3002))
    assert graph.graph.edges["a.md", "c.md"]["types"] == ("cite",)
    assert graph.link_count == 6000
