"""The TUI's model, without a terminal: filtering, history, neighbourhoods, rendering."""

from __future__ import annotations

from pathlib import Path

from zettel.tui.model import History, VaultModel

ZETTELKASTEN = "20240105093000.md"


def model_of(vault: Path) -> VaultModel:
    model = VaultModel(vault)
    model.load()
    model.analyse()
    return model


def test_filter_ranks_title_prefixes_then_substrings_then_near_misses(sample_vault: Path) -> None:
    model = model_of(sample_vault)
    # One title starts with "li"; four notes hold it further on, in their title or (for
    # Zettelkasten) an alias, "slip box"; they come after it, in title order.
    assert [n.title for n in model.filtered("li")] == [
        "Literature notes", "Backlinks", "Reading list", "Tags versus links", "Wiki links",
        "Zettelkasten"]
    assert [n.title for n in model.filtered("perm")][0] == "Permanent notes"
    assert [n.title for n in model.filtered("permanant")] == ["Permanent notes"]  # a typo
    assert model.filtered("qqqqqq") == []


def test_filter_by_tags_is_any_of_them(sample_vault: Path) -> None:
    model = model_of(sample_vault)
    a, b = "histoire", "méthode"
    both = model.filtered(tags=[a, b])
    assert {n.path for n in both} == {n.path for n in model.notes.values()
                                      if a in n.tags or b in n.tags}


def test_history_is_a_browser_history() -> None:
    history = History()
    for path in ("a", "b", "c"):
        history.visit(path)
    assert history.back() == "b" and history.back() == "a" and history.back() is None
    assert history.forward() == "b"
    history.visit("d")  # a new visit drops what was ahead
    assert history.forward() is None and history.back_stack == ["a", "b"]
    history.forget({"b", "d"})
    assert history.current == "a" and history.back_stack == []


def test_neighbourhood_grows_with_depth_and_follows_direction(sample_vault: Path) -> None:
    model = model_of(sample_vault)
    one = model.neighbourhood(ZETTELKASTEN, 1, "both")
    two = model.neighbourhood(ZETTELKASTEN, 2, "both")
    assert set(one) <= set(two)
    assert set(one[ZETTELKASTEN]) == (set(model.graph.links_to(ZETTELKASTEN))
                                      | set(model.graph.linked_from(ZETTELKASTEN)))
    assert set(model.neighbourhood(ZETTELKASTEN, 1, "out")[ZETTELKASTEN]) == \
        set(model.graph.links_to(ZETTELKASTEN))


def test_render_marks_broken_and_selected_links(sample_vault: Path) -> None:
    model = model_of(sample_vault)
    text = model.render(ZETTELKASTEN, selected=1)
    assert "**▶ [Paul Otlet](zettel:1)**" in text
    assert "[[" not in text
    hypertext = model.render("20240110113000.md")
    assert "Project Xanadu ✗" in hypertext


def test_read_changes_nothing_until_adopted(sample_vault: Path) -> None:
    model = model_of(sample_vault)
    (sample_vault / "new.md").write_text("---\ntitle: New\n---\n", encoding="utf-8")
    notes = model.notes
    vault, fingerprint = model.read()  # as a worker does, while the screen reads the model
    assert model.notes is notes and "new.md" not in model.notes
    model.adopt(vault, fingerprint)
    assert "new.md" in model.notes and not model.changed_on_disk()


def test_summary_gives_the_list_before_the_vault_is_read(sample_vault: Path) -> None:
    model_of(sample_vault)  # saves the summary
    again = VaultModel(sample_vault)
    assert again.load_summary() and not again.complete
    assert len(again.notes) == 23 and again.notes[ZETTELKASTEN].body == ""
    assert "slip box" in again.note(ZETTELKASTEN).body  # read from its file
    assert "Niklas Luhmann" in again.render(ZETTELKASTEN)  # titles by id meanwhile


def test_render_replaces_each_link_where_it_is_written(make_vault) -> None:  # type: ignore[no-untyped-def]
    vault = make_vault({
        "a.md": "---\ntitle: A\n---\nSee [the b](b(1).md \"t\") and ![[b(1).md]] and "
                "[[b(1)|B*]].\r\nThen [web](https://x.org/a_(b)) [[gone]].\n",
        "b(1).md": "---\ntitle: Bee\n---\nlinks to [[a]]\n",
    })
    model = model_of(vault)
    assert model.render("a.md", selected=2) == (
        "See [the b](zettel:0) and [⧉ Bee](zettel:1) and **▶ [B\\*](zettel:2)**.\n"
        "Then [web](https://x.org/a_(b)) [gone ✗](zettel:4).\n")


def test_readable_shows_wiki_links_by_label_or_title(make_vault) -> None:  # type: ignore[no-untyped-def]
    vault = make_vault({"a.md": "---\ntitle: A\n---\n[[b(1)]]\n",
                        "b(1).md": "---\ntitle: Bee\n---\n"})
    model = model_of(vault)
    assert model.readable("x [[b(1)|Label]] y ![[b(1).md]] [[ b(1) ]] ![pic](b(1).md) [[#h]] "
                          "[[nowhere]] [t](b(1).md)") == (
        "x Label y Bee Bee ![pic](b(1).md) [[#h]] nowhere [t](b(1).md)")
