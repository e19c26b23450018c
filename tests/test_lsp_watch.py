"""``zettel lsp`` follows files changed on disk: through the editor's
``workspace/didChangeWatchedFiles`` when it can watch files for the server,
else with its own watcher; and survives its vault disappearing (a real
client over stdio)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest_lsp
from conftest import MakeVault
from lsp_client import SERVER, diagnostics_until, doc, open_note, position, settled, start
from lsprotocol import types
from pytest_lsp import LanguageClient

REGISTERED: list[types.Registration] = []
A = "---\ntitle: A\n---\nSee [[Later]] and [[b]].\n"
B = "---\ntitle: B\n---\nBack to [[a]].\n"


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    REGISTERED.clear()

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        REGISTERED.extend(params.registrations)

    yield
    await lsp_client.shutdown_session()


def codes(found: list[types.Diagnostic]) -> list[object]:
    return [d.code for d in found]


async def test_the_editor_watches_files_for_the_server(client: LanguageClient,
                                                       make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": A, "b.md": B})
    await start(client, vault, watch=True)
    document = await open_note(client, vault / "a.md")
    assert [r.method for r in REGISTERED] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert codes(client.diagnostics[document]) == ["broken-link"]
    later = vault / "later.md"
    later.write_text("---\ntitle: Later\n---\nHere.\n", encoding="utf-8")
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=later.as_uri(), type=types.FileChangeType.Created)]))
    await settled(client, document)
    assert codes(client.diagnostics[document]) == []
    later.unlink()
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=later.as_uri(), type=types.FileChangeType.Deleted)]))
    await settled(client, document)
    assert codes(client.diagnostics[document]) == ["broken-link"]


async def test_its_own_watcher_when_the_editor_cannot(client: LanguageClient,
                                                      make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": A, "b.md": B})
    await start(client, vault, watch=False)
    document = await open_note(client, vault / "a.md")
    assert REGISTERED == []
    assert codes(client.diagnostics[document]) == ["broken-link"]
    (vault / "later.md").write_text("---\ntitle: Later\n---\nHere.\n", encoding="utf-8")
    await diagnostics_until(client, document, lambda found: codes(found) == [])
    (vault / "b.md").write_text("---\ntitle: B\n---\nNo link back.\n", encoding="utf-8")
    await diagnostics_until(client, document, lambda found: codes(found) == ["orphan"])


async def test_a_vault_that_disappears_and_comes_back(client: LanguageClient,
                                                      make_vault: MakeVault,
                                                      tmp_path: Path) -> None:
    vault = make_vault({"a.md": A, "b.md": B, "later.md": "# Later\n"})
    await start(client, vault, watch=False)
    document = await open_note(client, vault / "a.md")
    assert codes(client.diagnostics[document]) == []
    saved = tmp_path / "saved"
    shutil.move(vault, saved)
    await diagnostics_until(client, document,
                            lambda found: codes(found).count("broken-link") == 2)
    assert any("does not exist any more" in m.message for m in client.log_messages)
    at = position(A, "[[b]]", 2)  # still served: a link that reaches nothing now
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(document), position=at))
    assert found is not None and "Broken link" in str(found.contents)
    shutil.move(saved, vault)
    await diagnostics_until(client, document, lambda found: codes(found) == [])
