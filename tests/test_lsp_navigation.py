"""``zettel lsp`` hover, definition, references, document links and symbols,
through a real client over stdio (pytest-lsp), on the sample vault and on
vaults written here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_lsp
from conftest import MakeVault
from lsp_client import SERVER, doc, open_note, position, start
from lsprotocol import types
from pytest_lsp import LanguageClient

ZETTELKASTEN = "20240105093000.md"
#: The notes of notes/ that link to Zettelkasten, and the line of each link
#: (1-based, as `zettel show Zettelkasten` lists them).
BACKLINKS = {("20240105110200.md", 12), ("20240106095500.md", 11), ("20240109090000.md", 14),
             ("20240113090000.md", 12), ("20240114090000.md", 13),
             ("people/20240105101500.md", 15), ("people/20240110110000.md", 17),
             ("works/20240108100000.md", 13)}


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    yield
    await lsp_client.shutdown_session()


async def hover_text(client: LanguageClient, document: str, where: types.Position) -> str:
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(document), position=where))
    assert found is not None
    assert isinstance(found.contents, types.MarkupContent)
    return found.contents.value


async def test_hover_on_a_link_shows_the_note(client: LanguageClient,
                                              sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / ZETTELKASTEN
    text = path.read_text(encoding="utf-8")
    document = await open_note(client, path)
    shown = await hover_text(client, document, position(text, "[[20240109090000]]", 4))
    assert "**Memex**" in shown
    assert "20240109090000" in shown and "concept" in shown
    assert "\\#histoire" in shown and "\\#hypertexte" in shown
    assert "The memex is the desk\\-sized machine imagined by" in shown  # its first paragraph


async def test_hover_on_a_broken_link_says_what_check_says(client: LanguageClient,
                                                           sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240109090000.md"  # Memex
    text = path.read_text(encoding="utf-8") + "\nSee the [[Zetelkasten]] too.\n"
    document = await open_note(client, path, text)
    shown = await hover_text(client, document, position(text, "[[Zetelkasten]]", 3))
    assert "Broken link" in shown
    assert "matches no note" in shown and "did you mean 'Zettelkasten'?" in shown.replace(
        "\\", "")


async def test_hover_on_an_ambiguous_link_lists_the_candidates(
        client: LanguageClient, make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": "---\ntitle: Twin\n---\nOne.\n",
                        "b.md": "---\ntitle: Twin\n---\nTwo.\n",
                        "c.md": "---\ntitle: C\n---\nSee [[Twin]].\n"})
    await start(client, vault)
    text = (vault / "c.md").read_text(encoding="utf-8")
    document = await open_note(client, vault / "c.md")
    shown = await hover_text(client, document, position(text, "[[Twin]]", 2))
    assert "Ambiguous link" in shown and "2 notes match by title" in shown
    assert "a\\.md" in shown and "b\\.md" in shown


async def test_hover_escapes_markdown_of_the_vault(client: LanguageClient,
                                                   make_vault: MakeVault) -> None:
    title = "**x** [run](command:workbench.action.quit) <img src=y>"
    vault = make_vault({"a.md": f"---\ntitle: '{title}'\n---\n<script>alert(1)</script>\n",
                        "b.md": "---\ntitle: B\n---\nSee [[a]].\n"})
    await start(client, vault)
    document = await open_note(client, vault / "b.md")
    text = (vault / "b.md").read_text(encoding="utf-8")
    shown = await hover_text(client, document, position(text, "[[a]]", 2))
    assert ("\\*\\*x\\*\\* \\[run\\]\\(command\\:workbench\\.action\\.quit\\) "
            "\\<img src\\=y\\>") in shown
    assert "](command:" not in shown and not re.search(r"(?<!\\)<", shown)  # no raw HTML


async def test_definition_goes_to_the_note_its_heading_and_an_embed(
        client: LanguageClient, sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "people/20240105101500.md"  # Luhmann, with ![[luhmann.png]]
    text = path.read_text(encoding="utf-8") + f"\nSee [[{ZETTELKASTEN[:-3]}#How it works]].\n"
    document = await open_note(client, path, text)

    async def definition(needle: str) -> list[types.Location]:
        found = await client.text_document_definition_async(types.DefinitionParams(
            text_document=doc(document), position=position(text, needle, 3)))
        assert isinstance(found, list)
        return found

    (heading,) = await definition("#How it works")
    assert heading.uri == (sample_vault / ZETTELKASTEN).as_uri()
    assert heading.range.start == types.Position(line=24, character=0)  # "## How it works"
    (image,) = await definition("![[luhmann.png]]")
    assert image.uri == (sample_vault / "images/luhmann.png").as_uri()


async def test_references_are_the_backlinks(client: LanguageClient, sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / ZETTELKASTEN
    text = path.read_text(encoding="utf-8")
    document = await open_note(client, path)
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc(document), position=position(text, "A **Zettelkasten**"),
        context=types.ReferenceContext(include_declaration=False)))
    assert found is not None
    where = {(Path(loc.uri[len(sample_vault.as_uri()) + 1 :]).as_posix(), loc.range.start.line + 1)
             for loc in found}
    assert where == BACKLINKS
    # On a link: the backlinks of the note it reaches (Memex: linked from Zettelkasten,
    # Vannevar Bush and Paul Otlet, as grep finds them).
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc(document), position=position(text, "[[20240109090000]]", 3),
        context=types.ReferenceContext(include_declaration=False)))
    assert found is not None
    assert sorted(loc.uri.rsplit("/", 1)[-1] for loc in found) == [
        "20240105093000.md", "20240109093000.md", "20240110110000.md"]


async def test_document_links_and_symbols(client: LanguageClient, make_vault: MakeVault) -> None:
    body = ("# A\n\nSee [[b]] and [[nothing]].\n\n## B\n\n### C\n\n## D\n\n"
            "```\n# not one\n```\n# E\n")
    vault = make_vault({"a.md": body, "b.md": "# Bee\n"})
    await start(client, vault)
    document = await open_note(client, vault / "a.md")
    links = await client.text_document_document_link_async(
        types.DocumentLinkParams(text_document=doc(document)))
    assert [(link.target, link.range.start) for link in links or []] == [
        ((vault / "b.md").as_uri(), position(body, "[[b]]", 2))]
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(document)))
    assert symbols is not None

    def tree(items: list[types.DocumentSymbol]) -> list[object]:
        return [(s.name, tree(list(s.children or []))) for s in items]

    assert tree(symbols) == [("A", [("B", [("C", [])]), ("D", [])]), ("E", [])]  # type: ignore[arg-type]


async def test_workspace_symbols_find_notes_by_title(client: LanguageClient,
                                                     sample_vault: Path) -> None:
    await start(client, sample_vault)
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="luhman"))
    assert found
    first = found[0]
    assert first.name == "Niklas Luhmann"
    assert isinstance(first.location, types.Location)
    assert first.location.uri == (sample_vault / "people/20240105101500.md").as_uri()


async def test_positions_count_utf16_units_and_keep_crlf(client: LanguageClient,
                                                         make_vault: MakeVault) -> None:
    # An emoji (2 UTF-16 units) and CRLF line ends before the link: positions must match.
    text = "\ufeff---\r\ntitle: Emoji\r\n---\r\n\r\n🦉🦉 x [[b]] y\r\n"
    vault = make_vault({"a.md": text.encode("utf-8"), "b.md": "---\ntitle: Bee\n---\nHi.\n"})
    await start(client, vault)
    document = await open_note(client, vault / "a.md", text)
    where = types.Position(line=4, character=len("🦉🦉 x ".encode("utf-16-le")) // 2)
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(document), position=where))
    assert found is not None and found.range is not None
    assert found.range.start == where
    assert found.range.end == types.Position(line=4, character=where.character + 5)
    before = types.Position(line=4, character=where.character - 1)
    assert await client.text_document_hover_async(
        types.HoverParams(text_document=doc(document), position=before)) is None
