"""Resolution order, ambiguity, typed links, files, normalisation."""

from __future__ import annotations

import unicodedata

from zettel.core.model import Link, Note
from zettel.core.resolve import Resolver


def note(path: str, title: str = "", id: str | None = None, aliases: tuple[str, ...] = ()) -> Note:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Note(path=path, title=title or stem, id=id, aliases=aliases)


def wiki(target: str) -> Link:
    return Link(target, "wiki", 1, 1)


def test_each_step_resolves() -> None:
    r = Resolver([note("a/one.md", "First", "20200101000000", ("Uno",)), note("two.md", "Second")])
    for target, step in [("20200101000000", "id"), ("a/one", "path"), ("a/one.md", "path"),
                         ("one", "stem"), ("First", "title"), ("uno", "alias")]:
        found = r.resolve(target)
        assert (found.status, found.path, found.step) == ("resolved", "a/one.md", step), target
    assert r.resolve("missing").status == "broken"


def test_first_step_with_one_candidate_wins() -> None:
    # "x" is the title of one note and the stem of another: stem comes first.
    r = Resolver([note("x.md", "Other"), note("y.md", "x")])
    assert r.resolve("x").path == "x.md"


def test_several_candidates_in_a_step_make_the_link_ambiguous() -> None:
    r = Resolver([note("a.md", "Same"), note("b.md", "Same"), note("c.md", "Unique")])
    found = r.resolve("same")
    assert found.status == "ambiguous" and set(found.paths) == {"a.md", "b.md"}
    assert found.step == "title"


def test_links_to_a_duplicated_id_are_ambiguous() -> None:
    r = Resolver([note("a.md", id="20200101000000"), note("b.md", id="20200101000000")])
    assert r.resolve("20200101000000").status == "ambiguous"
    assert r.shared_ids() == [("a.md", "b.md")]


def test_same_stem_in_two_folders_is_ambiguous_but_path_is_not() -> None:
    r = Resolver([note("a/x.md"), note("b/x.md")])
    assert r.resolve("x").status == "ambiguous"
    assert r.resolve("b/x").path == "b/x.md"


def test_case_and_unicode_normalisation() -> None:
    nfd = unicodedata.normalize("NFD", "Données Ouvertes")
    r = Resolver([note("d.md", "Données ouvertes")])
    assert r.resolve(nfd).path == "d.md"
    assert r.resolve("DONNÉES OUVERTES").path == "d.md"
    assert r.resolve("Donnees ouvertes").status == "broken"  # accents are letters


def test_typed_link_only_when_the_whole_text_fails() -> None:
    r = Resolver([note("a.md", id="20200101000000"), note("see:this.md")])
    typed = r.resolve("cite:20200101000000")
    assert (typed.status, typed.path, typed.link_type) == ("resolved", "a.md", "cite")
    whole = r.resolve("see:this")
    assert (whole.path, whole.link_type) == ("see:this.md", None)
    assert r.resolve("cite:nothing").status == "broken"


def test_embeds_resolve_against_files() -> None:
    r = Resolver([note("a.md")], files=["img/map.png", "doc.pdf", "x/dup.png", "y/dup.png"])
    assert r.resolve("map.png").paths == ("img/map.png",) and r.resolve("map.png").is_file
    assert r.resolve("img/map.png").path == "img/map.png"
    assert r.resolve("doc.pdf").path == "doc.pdf"
    assert r.resolve("dup.png").status == "ambiguous"
    assert r.resolve("none.png").status == "broken"


def test_markdown_links_are_relative_to_their_note() -> None:
    r = Resolver([note("a/b/one.md"), note("a/two.md"), note("top.md")], files=["a/pic.png"])
    src = "a/b/one.md"
    md = lambda t: Link(t, "markdown", 1, 1)  # noqa: E731
    assert r.resolve_link(md("../two.md"), src).path == "a/two.md"
    assert r.resolve_link(md("/top.md"), src).path == "top.md"
    assert r.resolve_link(md("../pic.png"), src).path == "a/pic.png"
    assert r.resolve_link(md("top.md"), src).path == "top.md"  # falls back to the vault
    assert r.resolve_link(md("../../../outside.md"), src).status == "broken"


def test_heading_only_link_is_the_note_itself() -> None:
    r = Resolver([note("a.md")])
    assert r.resolve_link(Link("", "wiki", 1, 1, heading="sec"), "a.md").path == "a.md"


def test_markdown_link_extension_decides_between_same_stem_notes() -> None:
    r = Resolver([note("d/a.md"), note("d/a.txt")])
    md = Link("a.txt", "markdown", 1, 1)
    assert r.resolve_link(md, "d/x.md").path == "d/a.txt"
    assert r.resolve_link(md._replace(target="a.md"), "d/x.md").path == "d/a.md"
    assert r.resolve_link(md._replace(target="a"), "d/x.md").status == "ambiguous"
