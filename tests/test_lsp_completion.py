"""``zettel lsp`` completion, through a real client over stdio (pytest-lsp).

Expected answers come from the sample vault notes/ as written (titles, ids,
tags counted by hand from its files)."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsp_client import SERVER, change, doc, open_note, position, start
from lsprotocol import types
from pytest_lsp import LanguageClient

ZETTELKASTEN, MEMEX, AHRENS = "20240105093000", "20240109090000", "20240108103000"


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, sample_vault: Path) -> object:
    await start(lsp_client, sample_vault)
    yield
    await lsp_client.shutdown_session()


async def complete(client: LanguageClient, document: str,
                   where: types.Position) -> types.CompletionList:
    found = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(document), position=where))
    assert isinstance(found, types.CompletionList)
    return found


async def typed(client: LanguageClient, vault: Path, note: str, text: str,
                needle: str, offset: int = 0) -> tuple[str, types.CompletionList, str]:
    """Open ``note`` with ``text`` appended and complete at ``needle`` (+ ``offset``)."""
    path = vault / note
    whole = path.read_text(encoding="utf-8") + text
    document = await open_note(client, path, whole)
    where = position(whole, needle, offset if offset else len(needle))
    return document, await complete(client, document, where), whole


async def test_a_title_completes_to_a_link_in_the_vault_style(client: LanguageClient,
                                                             sample_vault: Path) -> None:
    _, found, whole = await typed(client, sample_vault, "20240106091000.md",
                                  "\nSee [[slip", "[[slip")
    first = found.items[0]
    assert found.is_incomplete
    assert first.label == "Zettelkasten"  # by its alias "slip box"
    edit = first.text_edit
    assert isinstance(edit, types.TextEdit)
    assert edit.new_text == f"[[{ZETTELKASTEN}]]"  # the sample vault links by id
    assert edit.range.start == position(whole, "[[slip")
    assert edit.range.end == position(whole, "[[slip", 6)
    assert first.detail is not None and "concept" in first.detail and "#méthode" in first.detail


async def test_accents_are_folded_and_ids_match(client: LanguageClient,
                                                sample_vault: Path) -> None:
    _, found, _ = await typed(client, sample_vault, "20240106091000.md", "\n[[sonke", "[[sonke")
    assert found.items[0].label == "Sönke Ahrens"
    _, found, _ = await typed(client, sample_vault, "20240107140000.md", "\n[[20240112",
                              "[[20240112")
    assert {item.label for item in found.items[:3]} == {"Cosma", "Obsidian",
                                                        "YAML front matter"}


async def test_closing_brackets_already_there_are_replaced(client: LanguageClient,
                                                           sample_vault: Path) -> None:
    _, found, whole = await typed(client, sample_vault, "20240106091000.md",
                                  "\nA [[mem]] here", "[[mem", 5)
    first = found.items[0]
    assert first.label == "Memex"
    assert isinstance(first.text_edit, types.TextEdit)
    assert first.text_edit.new_text == f"[[{MEMEX}]]"
    assert first.text_edit.range.end == position(whole, "[[mem]]", 7)  # the ]] too


async def test_a_markdown_link_completes_to_a_relative_path(client: LanguageClient,
                                                            sample_vault: Path) -> None:
    _, found, _ = await typed(client, sample_vault, "people/20240105101500.md",
                              "\nRead [the book](smart", "](smart")
    first = found.items[0]
    assert first.label == "How to Take Smart Notes"
    assert isinstance(first.text_edit, types.TextEdit)
    assert first.text_edit.new_text == "../works/20240108100000.md)"


async def test_tags_after_a_hash_with_their_counts(client: LanguageClient,
                                                   sample_vault: Path) -> None:
    _, found, _ = await typed(client, sample_vault, "20240106091000.md", "\nSee #hyper",
                              "#hyper")
    assert [(i.label, i.detail) for i in found.items] == [("hypertexte", "4 notes")]
    _, found, _ = await typed(client, sample_vault, "20240107140000.md", "\nSee #hist", "#hist")
    assert [(i.label, i.detail) for i in found.items] == [("histoire", "9 notes"),
                                                          ("history", "1 note")]


async def test_front_matter_tags_and_types(client: LanguageClient, sample_vault: Path) -> None:
    path = sample_vault / "20240107143000.md"  # Orphan notes: types concept, tags graphe
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - graphe\n", "  - graphe\n  - hist\n", 1)
    text = text.replace("  - concept\n", "  - concept\n  - pers\n", 1)
    document = await open_note(client, path, text)
    found = await complete(client, document, position(text, "- hist", 6))
    assert found.items[0].label == "histoire"
    found = await complete(client, document, position(text, "- pers", 6))
    assert [(i.label, i.detail) for i in found.items] == [("personne", "4 notes")]


async def test_typed_links_complete_their_type_then_the_note(client: LanguageClient,
                                                             sample_vault: Path) -> None:
    _, found, _ = await typed(client, sample_vault, "20240106091000.md", "\n[[auth", "[[auth")
    assert found.items[0].label == "author:"  # the type of [[author:...]] in a note
    _, found, _ = await typed(client, sample_vault, "20240106091000.md",
                              "\n[[author:ahrens", "[[author:ahrens")
    first = found.items[0]
    assert first.label == "Sönke Ahrens"
    assert isinstance(first.text_edit, types.TextEdit)
    assert first.text_edit.new_text == f"[[author:{AHRENS}]]"


async def test_headings_of_the_linked_note(client: LanguageClient, sample_vault: Path) -> None:
    _, found, _ = await typed(client, sample_vault, "20240106091000.md",
                              f"\n[[{ZETTELKASTEN}#hi", "#hi")
    assert [item.label for item in found.items] == ["History"]


async def test_a_note_linked_in_this_session_ranks_first(client: LanguageClient,
                                                         sample_vault: Path) -> None:
    path = sample_vault / "20240113090000.md"
    text = path.read_text(encoding="utf-8") + "\n[[notes"
    document = await open_note(client, path, text)
    before = await complete(client, document, position(text, "[[notes", 7))
    labels = [item.label for item in before.items]
    assert "Permanent notes" in labels and labels[0] != "Permanent notes"
    text2 = text.replace("[[notes", "[[20240106095500]]\n[[notes")
    await change(client, document, 2, text2)  # a link to Permanent notes is written
    after = await complete(client, document, position(text2, "[[notes", 7))
    assert after.items[0].label == "Permanent notes"


async def test_no_completion_in_code_or_outside_links(client: LanguageClient,
                                                      sample_vault: Path) -> None:
    path = sample_vault / "20240106091000.md"
    text = path.read_text(encoding="utf-8") + "\n`[[slip` and plain words"
    document = await open_note(client, path, text)
    for where in (position(text, "[[slip", 6), position(text, "plain", 3)):
        found = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc(document), position=where))
        assert found is None or not getattr(found, "items", None)


@pytest.mark.parametrize("folder", ["inside", "outside"])
async def test_a_file_outside_the_vault_gets_no_note_completion(
        client: LanguageClient, sample_vault: Path, tmp_path: Path, folder: str) -> None:
    path = (sample_vault / ".hidden.md") if folder == "inside" else tmp_path / "loose.md"
    path.write_text("[[slip", encoding="utf-8")
    document = await open_note(client, path)
    found = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(document), position=position("[[slip", "p", 1)))
    assert found is None or not getattr(found, "items", None)
