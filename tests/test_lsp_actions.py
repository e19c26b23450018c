"""``zettel lsp`` code actions and their commands, through a real client over
stdio (pytest-lsp): "did you mean", creating a missing note, extracting a
selection into a new note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_lsp
from conftest import MakeVault
from lsp_client import SERVER, doc, open_note, position, start
from lsprotocol import types
from pytest_lsp import LanguageClient

EDITS: list[types.ApplyWorkspaceEditParams] = []


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    EDITS.clear()

    @lsp_client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        EDITS.append(params)
        return types.ApplyWorkspaceEditResult(applied=True)

    yield
    await lsp_client.shutdown_session()


async def actions_at(client: LanguageClient, document: str,
                     where: types.Range) -> list[types.CodeAction]:
    found = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc(document), range=where,
        context=types.CodeActionContext(diagnostics=list(client.diagnostics.get(document, [])))))
    return [a for a in found or [] if isinstance(a, types.CodeAction)]


def text_edits(edit: types.WorkspaceEdit | None) -> list[tuple[str, types.TextEdit]]:
    assert edit is not None and edit.document_changes is not None
    return [(change.text_document.uri, e) for change in edit.document_changes
            if isinstance(change, types.TextDocumentEdit) for e in change.edits
            if isinstance(e, types.TextEdit)]


async def command(client: LanguageClient, action: types.CodeAction) -> Any:
    assert action.command is not None
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments))


async def test_did_you_mean_is_a_quick_fix(client: LanguageClient, sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240109090000.md"
    text = path.read_text(encoding="utf-8") + "\nAnd the [[Zetelkasten]] again.\n"
    document = await open_note(client, path, text)
    at = position(text, "[[Zetelkasten]]", 4)
    found = await actions_at(client, document, types.Range(start=at, end=at))
    fix = next(a for a in found if a.title.startswith("Change to"))
    assert fix.title == "Change to 'Zettelkasten' (did you mean)"
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics and fix.diagnostics[0].code == "broken-link"
    ((where_uri, edit),) = text_edits(fix.edit)
    assert where_uri == document and edit.new_text == "Zettelkasten"
    assert edit.range.start == position(text, "Zetelkasten]]")
    assert edit.range.end == position(text, "]] again")


async def test_create_the_missing_note(client: LanguageClient, sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240109090000.md"
    text = path.read_text(encoding="utf-8") + "\nSee [[Ted Nelson]].\n"
    document = await open_note(client, path, text)
    assert [d.code for d in client.diagnostics[document]] == ["broken-link"]
    at = position(text, "[[Ted Nelson]]", 3)
    create = next(a for a in await actions_at(client, document, types.Range(start=at, end=at))
                  if a.title.startswith("Create"))
    assert create.title == "Create the note 'Ted Nelson'"
    before = {p.name for p in sample_vault.iterdir()}
    result = await command(client, create)
    made = sample_vault / result["path"]
    assert {p.name for p in sample_vault.iterdir()} - before == {made.name}
    written = made.read_text(encoding="utf-8")
    assert written.startswith("---\ntitle: Ted Nelson\nid: '") and "\n# Ted Nelson\n" in written
    assert not client.diagnostics[document]  # the link reaches it by its title
    assert [shown.uri for shown in client.shown_documents] == [made.as_uri()]


async def test_create_never_overwrites(client: LanguageClient, make_vault: MakeVault) -> None:
    vault = make_vault({".zettel/config.yaml": "filename: '{slug}.md'\n",
                        "a.md": "---\ntitle: A\n---\nSee [[Taken Note]].\n",
                        "taken-note.md": "---\ntitle: Something else\n---\nMine.\n"})
    await start(client, vault)
    document = await open_note(client, vault / "a.md")
    text = (vault / "a.md").read_text(encoding="utf-8")
    at = position(text, "[[Taken Note]]", 3)
    create = next(a for a in await actions_at(client, document, types.Range(start=at, end=at))
                  if a.title.startswith("Create"))
    result = await command(client, create)
    assert result["path"] == "taken-note-2.md"
    assert (vault / "taken-note.md").read_text(encoding="utf-8") == (
        "---\ntitle: Something else\n---\nMine.\n")


async def test_extract_the_selection_into_a_new_note(client: LanguageClient,
                                                     make_vault: MakeVault) -> None:
    text = ("---\ntitle: Long\nid: '20240101000000'\n---\n\nIntro.\n\n## Details\n\n"
            "Many details here.\nAnd more.\n\nOutro.\n")
    vault = make_vault({"long.md": text, "other.md": "---\ntitle: O\nid: '20240101000001'\n"
                        "---\n[[20240101000000]]\n"})
    await start(client, vault)
    document = await open_note(client, vault / "long.md")
    selection = types.Range(start=position(text, "## Details"), end=position(text, "\nOutro"))
    extract = next(a for a in await actions_at(client, document, selection)
                   if a.kind == types.CodeActionKind.RefactorExtract)
    result = await command(client, extract)
    assert result["applied"]
    made = (vault / result["path"]).read_text(encoding="utf-8")
    assert "title: Details\n" in made and "Many details here.\nAnd more." in made
    assert "## Details" not in made
    ((where_uri, edit),) = text_edits(EDITS[0].edit)
    assert where_uri == document and edit.range == selection
    new_id = made.split("id: '", 1)[1][:14]
    assert edit.new_text == f"[[{new_id}]]"  # the vault links by id
    assert (vault / "long.md").read_text(encoding="utf-8") == text  # the editor edits it


async def test_an_ambiguous_link_offers_its_matches(client: LanguageClient,
                                                   make_vault: MakeVault) -> None:
    vault = make_vault({"x/here.md": "---\ntitle: Twin\n---\nOne.\n",
                        "there.md": "---\ntitle: Twin\n---\nTwo.\n",
                        "x/c.md": "---\ntitle: C\n---\nSee [[Twin]].\n"})
    await start(client, vault)
    text = (vault / "x/c.md").read_text(encoding="utf-8")
    document = await open_note(client, vault / "x/c.md")
    at = position(text, "[[Twin]]", 3)
    found = [a for a in await actions_at(client, document, types.Range(start=at, end=at))
             if a.title.startswith("Change to")]
    # As zettel fix ranks them: the match in the linking note's folder first, preferred.
    assert [(a.title, a.is_preferred) for a in found] == [
        ("Change to 'x/here' (Twin)", True), ("Change to 'there' (Twin)", None)]
    assert [e.new_text for _, e in text_edits(found[0].edit)] == ["x/here", "|Twin"]  # a label


async def test_an_unlinked_mention_becomes_a_link(client: LanguageClient,
                                                  sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240106091000.md"  # Fleeting notes: "Sönke Ahrens" as text
    text = path.read_text(encoding="utf-8")
    document = await open_note(client, path)
    at = position(text, "Sönke Ahrens", 3)
    (link,) = [a for a in await actions_at(client, document, types.Range(start=at, end=at))
               if a.kind == types.CodeActionKind.RefactorRewrite]
    assert link.title == "Link 'Sönke Ahrens' to 'Sönke Ahrens'"
    ((where_uri, edit),) = text_edits(link.edit)
    assert edit.new_text == "[[20240108103000|Sönke Ahrens]]"  # the vault links by id
    assert edit.range == types.Range(start=position(text, "Sönke Ahrens"),
                                     end=position(text, "Sönke Ahrens", len("Sönke Ahrens")))


async def test_no_action_where_there_is_nothing_to_do(client: LanguageClient,
                                                      sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240109090000.md"
    document = await open_note(client, path)
    at = types.Position(line=0, character=0)
    assert await actions_at(client, document, types.Range(start=at, end=at)) == []
