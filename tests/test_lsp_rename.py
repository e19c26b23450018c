"""``zettel lsp`` rename, through a real client over stdio (pytest-lsp): on a
link the note's file moves (as ``zettel mv``), on the title it is retitled (as
``zettel retitle``); the editor gets one workspace edit and applies it."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from conftest import MakeVault
from lsp_client import SERVER, change, doc, open_note, position, start
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

VAULT = {
    "a.md": "---\ntitle: A\n---\nSee [[b]] and [[Bee note]].\n",
    "b.md": "---\ntitle: Bee note\n---\nThe bee.\n",
    "c.md": "---\ntitle: C\n---\nAlso [[b|the bee]], [[Bee note]].\n",
}


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    yield
    await lsp_client.shutdown_session()


def apply(vault: Path, edit: types.WorkspaceEdit) -> dict[str, str]:
    """The files of ``vault`` once ``edit`` is applied, as an editor would."""
    files = {p.relative_to(vault).as_posix(): p.read_text(encoding="utf-8")
             for p in vault.rglob("*.md")}
    for step in edit.document_changes or []:
        if isinstance(step, types.TextDocumentEdit):
            rel = step.text_document.uri[len(vault.as_uri()) + 1 :]
            lines = files[rel].split("\n")
            for e in sorted(step.edits, key=lambda e: (e.range.start.line,  # type: ignore[union-attr]
                                                       e.range.start.character), reverse=True):
                assert isinstance(e, types.TextEdit)
                start, end = e.range.start, e.range.end
                assert start.line == end.line
                line = lines[start.line]
                lines[start.line] = line[: start.character] + e.new_text + line[end.character :]
            files[rel] = "\n".join(lines)
        elif isinstance(step, types.RenameFile):
            old = step.old_uri[len(vault.as_uri()) + 1 :]
            files[step.new_uri[len(vault.as_uri()) + 1 :]] = files.pop(old)
    return files


async def test_rename_on_a_link_moves_the_note(client: LanguageClient,
                                               make_vault: MakeVault) -> None:
    vault = make_vault(VAULT)
    await start(client, vault)
    text = VAULT["a.md"]
    document = await open_note(client, vault / "a.md")
    at = position(text, "[[b]]", 2)
    ready = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(document), position=at))
    assert isinstance(ready, types.PrepareRenamePlaceholder)
    assert ready.placeholder == "b.md"
    assert ready.range == types.Range(start=at, end=position(text, "]] and"))
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=doc(document), position=at, new_name="folder/bee.md"))
    assert edit is not None
    renames = [s for s in edit.document_changes or [] if isinstance(s, types.RenameFile)]
    assert [(r.old_uri, r.new_uri) for r in renames] == [
        ((vault / "b.md").as_uri(), (vault / "folder/bee.md").as_uri())]
    after = apply(vault, edit)
    assert after["a.md"] == "---\ntitle: A\n---\nSee [[bee]] and [[Bee note]].\n"
    assert after["c.md"] == "---\ntitle: C\n---\nAlso [[bee|the bee]], [[Bee note]].\n"
    assert after["folder/bee.md"] == VAULT["b.md"]
    assert (vault / "b.md").is_file() and not (vault / "folder").exists()  # the editor writes


async def test_rename_on_the_title_retitles(client: LanguageClient,
                                            make_vault: MakeVault) -> None:
    vault = make_vault(VAULT)
    await start(client, vault)
    text = VAULT["b.md"]
    document = await open_note(client, vault / "b.md")
    at = position(text, "Bee note", 1)
    ready = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(document), position=at))
    assert isinstance(ready, types.PrepareRenamePlaceholder)
    assert ready.placeholder == "Bee note"
    edit = await client.text_document_rename_async(types.RenameParams(
        text_document=doc(document), position=at, new_name="Honey bee"))
    assert edit is not None
    after = apply(vault, edit)
    assert after["b.md"] == "---\ntitle: Honey bee\n---\nThe bee.\n"
    assert after["a.md"] == "---\ntitle: A\n---\nSee [[b]] and [[Honey bee|Bee note]].\n"
    assert after["c.md"] == "---\ntitle: C\n---\nAlso [[b|the bee]], [[Honey bee|Bee note]].\n"


async def test_unsaved_changes_refuse_the_rename(client: LanguageClient,
                                                 make_vault: MakeVault) -> None:
    vault = make_vault(VAULT)
    await start(client, vault)
    document = await open_note(client, vault / "a.md")
    await change(client, document, 2, VAULT["a.md"] + "More text.\n")
    with pytest.raises(JsonRpcException, match="a.md' has unsaved changes"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=doc(document), position=position(VAULT["a.md"], "[[b]]", 2),
            new_name="bee.md"))
    assert sorted(p.name for p in vault.glob("*.md")) == ["a.md", "b.md", "c.md"]
    assert not (vault / "bee.md").exists()


async def test_an_editor_that_cannot_rename_files_gets_no_half_move(
        client: LanguageClient, make_vault: MakeVault) -> None:
    vault = make_vault(VAULT)
    caps = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=False)))
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, workspace_folders=[types.WorkspaceFolder(uri=vault.as_uri(),
                                                                    name="v")]))
    document = await open_note(client, vault / "a.md")
    with pytest.raises(JsonRpcException, match="cannot rename files"):
        await client.text_document_rename_async(types.RenameParams(
            text_document=doc(document), position=position(VAULT["a.md"], "[[b]]", 2),
            new_name="bee.md"))


async def test_nothing_to_rename_elsewhere(client: LanguageClient,
                                           make_vault: MakeVault) -> None:
    vault = make_vault(VAULT)
    await start(client, vault)
    document = await open_note(client, vault / "a.md")
    ready = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=doc(document), position=position(VAULT["a.md"], "See", 1)))
    assert ready is None
