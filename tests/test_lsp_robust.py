"""``zettel lsp`` never dies on bad input: malformed requests, bytes that are
not JSON, buffers of random characters, documents it never saw, positions
past the end, a file outside the vault. Each gets an error response or a
logged notice, and the next request is served (a real client over stdio)."""

from __future__ import annotations

import asyncio
import json
import random
from concurrent.futures import Future
from pathlib import Path

import pytest
import pytest_lsp
from lsp_client import SERVER, WAIT, doc, open_note, position, start
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

MEMEX = "20240109090000.md"


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient, sample_vault: Path) -> object:
    await start(lsp_client, sample_vault)
    yield
    await lsp_client.shutdown_session()


async def raw_request(client: LanguageClient, method: str, params: object) -> object:
    """Send a request as JSON the client's types would not let through; its answer."""
    server = client._server
    assert server is not None and server.stdin is not None
    msg_id = f"raw-{len(client.protocol._request_futures)}-{method}"
    answer: Future[object] = Future()
    client.protocol._request_futures[msg_id] = answer
    body = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method,
                       "params": params}).encode()
    server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    await server.stdin.drain()
    return await asyncio.wait_for(asyncio.wrap_future(answer), WAIT)


async def still_serves(client: LanguageClient, vault: Path) -> None:
    """A hover on a link of Memex is answered as usual."""
    text = (vault / MEMEX).read_text(encoding="utf-8")
    document = await open_note(client, vault / MEMEX)
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(document), position=position(text, "[[Hypertext]]", 3)))
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert "**Hypertext**" in found.contents.value


async def test_malformed_requests_get_errors(client: LanguageClient, sample_vault: Path) -> None:
    document = (sample_vault / MEMEX).as_uri()
    with pytest.raises(JsonRpcInvalidParams):  # no position
        await raw_request(client, types.TEXT_DOCUMENT_HOVER, {"textDocument": {"uri": document}})
    with pytest.raises(JsonRpcInvalidParams):  # a position that is a string
        await raw_request(client, types.TEXT_DOCUMENT_COMPLETION,
                          {"textDocument": {"uri": document}, "position": "here"})
    with pytest.raises(JsonRpcInvalidParams):  # a line that is negative
        await raw_request(client, types.TEXT_DOCUMENT_DEFINITION,
                          {"textDocument": {"uri": document},
                           "position": {"line": -1, "character": 0}})
    with pytest.raises(JsonRpcMethodNotFound):
        await raw_request(client, "zettel/nothing", {})
    with pytest.raises(JsonRpcException):  # a command that does not exist
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="zettel.nothing", arguments=[]))
    with pytest.raises(JsonRpcException):  # a real command with wrong arguments
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="zettel.extractNote", arguments=[1, 2, 3]))
    await still_serves(client, sample_vault)


async def test_bytes_that_are_not_json_are_logged(client: LanguageClient,
                                                  sample_vault: Path) -> None:
    server = client._server
    assert server is not None and server.stdin is not None
    for junk in (b"not json at all", b'{"jsonrpc": "2.0", "id": 1', b"\xff\xfe\x00garbage"):
        server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(junk), junk))
    await server.stdin.drain()
    await still_serves(client, sample_vault)
    assert any("Error" in m.message or "error" in m.message for m in client.log_messages)


async def test_a_document_never_opened_is_an_error(client: LanguageClient,
                                                   sample_vault: Path) -> None:
    never = doc((sample_vault / "20240105093000.md").as_uri())
    origin = types.Position(line=0, character=0)
    with pytest.raises(JsonRpcException, match="is not open"):
        await client.text_document_hover_async(
            types.HoverParams(text_document=never, position=origin))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=never.uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")]))
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=never))
    await still_serves(client, sample_vault)


@pytest.mark.parametrize("seed", range(8))
async def test_random_buffers_and_positions(client: LanguageClient, sample_vault: Path,
                                            seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ("[]()#!|:-`\n\r\t \\^\"'*_<>{}" + "ab01é🦉\u2028\u202e\x00\x1b\ufeff"
                + "\udc80")  # a lone surrogate, as JSON may carry one
    text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 3000)))
    if rng.random() < 0.5:
        text = "---\n" + text
    path = sample_vault / f"random{seed}.md"
    document = await open_note(client, path, text)
    lines = text.count("\n") + 2
    requests = [
        lambda p: client.text_document_hover_async(types.HoverParams(
            text_document=doc(document), position=p)),
        lambda p: client.text_document_completion_async(types.CompletionParams(
            text_document=doc(document), position=p)),
        lambda p: client.text_document_definition_async(types.DefinitionParams(
            text_document=doc(document), position=p)),
        lambda p: client.text_document_references_async(types.ReferenceParams(
            text_document=doc(document), position=p,
            context=types.ReferenceContext(include_declaration=True))),
        lambda p: client.text_document_prepare_rename_async(types.PrepareRenameParams(
            text_document=doc(document), position=p)),
        lambda p: client.text_document_code_action_async(types.CodeActionParams(
            text_document=doc(document), range=types.Range(start=p, end=p),
            context=types.CodeActionContext(diagnostics=[]))),
    ]
    for _ in range(30):
        where = types.Position(line=rng.randrange(lines), character=rng.randrange(200))
        await rng.choice(requests)(where)  # an answer, whatever it is: no error
    for request in (client.text_document_document_symbol_async(
            types.DocumentSymbolParams(text_document=doc(document))),
                    client.text_document_document_link_async(
            types.DocumentLinkParams(text_document=doc(document)))):
        await request
    edits = "".join(rng.choice(alphabet) for _ in range(50))
    far = types.Position(line=lines + 10, character=10_000)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=document, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=3), end=far), text=edits)]))
    await still_serves(client, sample_vault)


async def test_a_file_outside_the_vault(client: LanguageClient, sample_vault: Path,
                                        tmp_path: Path) -> None:
    loose = tmp_path / "elsewhere" / "loose.md"
    loose.parent.mkdir()
    loose.write_text("# Loose\n\nSee [[20240109090000]].\n", encoding="utf-8")
    document = await open_note(client, loose)
    at = position(loose.read_text(encoding="utf-8"), "[[2024", 3)
    assert await client.text_document_hover_async(
        types.HoverParams(text_document=doc(document), position=at)) is None
    assert await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(document), position=at)) is None
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(document)))
    assert [s.name for s in symbols or []] == ["Loose"]
    await still_serves(client, sample_vault)
