"""What the language server tests share: a real client over stdio (pytest-lsp)
starting ``zettel lsp``, opening notes, and finding places in their text."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "zettel.cli.main", "lsp"])
PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
#: A bound on any one wait, so that a server that never answers fails the test
#: instead of hanging it (no test measures speed).
WAIT = 120.0


def capabilities(*, watch: bool = False, markdown: bool = True,
                 encodings: list[str] | None = None) -> types.ClientCapabilities:
    """What the test client says it can do (much as VS Code does)."""
    formats = [types.MarkupKind.Markdown, types.MarkupKind.PlainText] if markdown \
        else [types.MarkupKind.PlainText]
    return types.ClientCapabilities(
        general=types.GeneralClientCapabilities(
            position_encodings=encodings or [types.PositionEncodingKind.Utf16]),
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[types.ResourceOperationKind.Create,
                                     types.ResourceOperationKind.Rename,
                                     types.ResourceOperationKind.Delete]),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                dynamic_registration=watch),
            apply_edit=True),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=formats),
            completion=types.CompletionClientCapabilities(
                completion_item=types.ClientCompletionItemOptions(
                    documentation_format=formats)),
            document_symbol=types.DocumentSymbolClientCapabilities(
                hierarchical_document_symbol_support=True),
            rename=types.RenameClientCapabilities(prepare_support=True),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities()),
        window=types.WindowClientCapabilities(
            show_document=types.ShowDocumentClientCapabilities(support=True)))


def _action_or_command(value: Any, _: type) -> types.Command | types.CodeAction:
    """lsprotocol reads any code action with a ``command`` as a Command; editors
    tell them apart as the protocol says: a Command's ``command`` is a string."""
    if isinstance(value.get("command"), str):
        return _CONVERTER.structure(value, types.Command)
    return _CONVERTER.structure(value, types.CodeAction)


_CONVERTER: Any = None


async def start(client: LanguageClient, folder: Path | None, **options: Any
                ) -> types.InitializeResult:
    """Initialize a session on the workspace folder ``folder`` (None: no folder)."""
    global _CONVERTER
    _CONVERTER = client.protocol._converter
    _CONVERTER.register_structure_hook(types.Command | types.CodeAction, _action_or_command)
    folders = [types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)] if folder else None
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(**options), workspace_folders=folders,
        root_uri=folder.as_uri() if folder else None))


def uri(path: Path) -> str:
    return path.as_uri()


async def open_note(client: LanguageClient, path: Path, text: str | None = None) -> str:
    """Open ``path`` (with ``text``, else its file's text); return its URI once the
    server has handled it (its diagnostics are then in ``client.diagnostics``)."""
    text = path.read_text(encoding="utf-8") if text is None else text
    found = uri(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=found, language_id="markdown", version=1,
                                             text=text)))
    await settled(client, found)
    return found


async def settled(client: LanguageClient, document: str) -> None:
    """Wait until the server has handled every message sent before (a request is
    answered after them: the notifications they caused have come before it)."""
    await asyncio.wait_for(client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=document))),
        WAIT)


async def change(client: LanguageClient, document: str, version: int, text: str,
                 where: types.Range | None = None) -> None:
    """Replace ``where`` (the whole text when None) with ``text``, then wait for the server."""
    event: Any = (types.TextDocumentContentChangeWholeDocument(text=text) if where is None
                  else types.TextDocumentContentChangePartial(range=where, text=text))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=document, version=version),
        content_changes=[event]))
    await settled(client, document)


async def diagnostics_until(client: LanguageClient, document: str, wanted: Any) -> list[Any]:
    """The document's diagnostics once ``wanted(diagnostics)`` is true (waiting for
    the notifications the server sends on its own, after a change on disk)."""
    for _ in range(1000):
        found = list(client.diagnostics.get(document, []))
        if wanted(found):
            return found
        await asyncio.wait_for(client.protocol.wait_for_notification_async(PUBLISH), WAIT)
    raise AssertionError(f"diagnostics of {document} never became as wanted")


def position(text: str, needle: str, offset: int = 0) -> types.Position:
    """The LSP position (UTF-16) of the first ``needle`` in ``text``, plus ``offset``
    characters (``text`` without CRLF; astral characters count 2, as in UTF-16)."""
    at = text.index(needle) + offset
    before = text[:at]
    line = before.count("\n")
    column = before[before.rfind("\n") + 1 :]
    return types.Position(line=line, character=len(column.encode("utf-16-le")) // 2)


def doc(document: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=document)
