"""The language server: pygls wiring of the features of `zettel.lsp`.

Every request runs on one event loop, one at a time, against the server's own
`zettel.lsp.workspace.Workspace` (pygls keeps no copy of the documents: its
line splitting is not the protocol's). Nothing the client sends stops the
server: a request whose parameters cannot be read gets an ``InvalidParams``
error, a failing handler an error response, a failing notification a logged
message (``window/logMessage``), and the next message is served.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import from_fs_path

from zettel import __version__
from zettel.lsp import (
    actions,
    completion,
    diagnostics,
    fixes,
    hover,
    navigation,
    rename,
    symbols,
)
from zettel.lsp.positions import UTF8, UTF16, UTF32
from zettel.lsp.state import VaultState, settle
from zettel.lsp.watch import Watcher
from zettel.lsp.workspace import Buffer, Change

logger = logging.getLogger(__name__)
_ENCODINGS = {types.PositionEncodingKind.Utf8: UTF8, types.PositionEncodingKind.Utf16: UTF16,
              types.PositionEncodingKind.Utf32: UTF32}


class RequestFailed(JsonRpcException):
    """LSP's ``RequestFailed``: a valid request that could not be carried out."""

    CODE = -32803


class _Refused:
    """A request whose parameters could not be read: answered with an error."""

    def __init__(self, msg_id: Any, error: JsonRpcException) -> None:
        self.id, self.error = msg_id, error


class ZettelProtocol(LanguageServerProtocol):
    """pygls' protocol, with the server keeping the documents itself and a
    request it cannot read answered instead of dropped."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams) -> Any:
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as err:
            if "id" in data and "method" in data and data["id"] is not None:
                return _Refused(data["id"], err)
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Refused):
            self._send_response(message.id, error=JsonRpcInvalidParams(
                "zettel: the parameters of this request cannot be read").to_response_error())
            return
        super().handle_message(message)


class ZettelServer(LanguageServer):
    """The server of ``zettel lsp`` (see the module doc)."""

    def __init__(self, vault: Path | None = None) -> None:
        super().__init__("zettel", __version__, protocol_cls=ZettelProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        from zettel.lsp.workspace import Workspace  # noqa: PLC0415

        self.space = Workspace(vault, log=self.log)
        self.watcher = Watcher(self)
        self.space.on_load = self._loaded
        self.markdown = True
        self.documents = True

    def _loaded(self, state: VaultState) -> None:
        """A vault was read: watch it, and prepare what the first requests need."""
        self.watcher.watch(state)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop: nothing to do later
        asyncio.ensure_future(self._warm_up(state))

    async def _warm_up(self, state: VaultState) -> None:
        """Build the link index, the names to complete and the link style, one at a
        time between requests (each is built on first use otherwise)."""
        for step in (state.prepare, lambda: completion.matcher(state)[0].prepare(),
                     lambda: completion.style(state), lambda: fixes.prepare(state)):
            await asyncio.sleep(0)
            try:
                step()
            except Exception:  # noqa: BLE001 - built again, and reported, when used
                logger.exception("warming up")
        settle()

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """A notice in the editor's log (``window/logMessage``)."""
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # noqa: BLE001 - no client to tell (yet, or any more)
            logger.info("%s", message)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors go to the editor's log, not to pop-ups (a request gets its error too;
        a refusal, `RequestFailed`, was already said to the person)."""
        if isinstance(error, RequestFailed):
            return
        self.log(f"zettel lsp: {type(error).__name__}: {error}", types.MessageType.Error)

    def publish(self, buffer: Buffer) -> None:
        """Send the buffer's diagnostics."""
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=buffer.uri, version=buffer.version,
            diagnostics=diagnostics.diagnostics(buffer)))

    def republish(self, vaults: list[VaultState]) -> None:
        """Send again the diagnostics of every buffer of these vaults."""
        for buffer in list(self.space.buffers.values()):
            if buffer.vault in vaults:
                self.publish(buffer)

    def disk_changed(self, changes: list[Change]) -> None:
        """Files changed on disk (from the editor or the server's own watcher); a
        failure is logged, and the next change is followed."""
        try:
            touched = self.space.disk_changed(changes)
            if touched:
                self.republish(touched)
        except Exception as err:  # noqa: BLE001 - never stop following the disk
            logger.exception("following changes on disk")
            self.log(f"zettel: following changes on disk failed: {type(err).__name__}: {err}",
                     types.MessageType.Error)

    def buffer(self, uri: str) -> Buffer:
        """The open document ``uri`` (an error for a document the editor did not open)."""
        found = self.space.buffer(uri)
        if found is None:
            raise RequestFailed(f"zettel: '{uri}' is not open")
        return found


def _capability(source: Any, path: str) -> Any:
    """A client capability by dotted path, None when it is not given."""
    for name in path.split("."):
        source = getattr(source, name, None)
        if source is None:
            return None
    return source


def create_server(vault: Path | None = None) -> ZettelServer:
    """A server with every feature registered."""
    server = ZettelServer(vault)
    _register_documents(server)
    _register_features(server)
    _register_commands(server)
    return server


def _register_documents(server: ZettelServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ZettelServer, params: types.InitializeParams) -> None:
        folders = [f.uri for f in params.workspace_folders or []]
        if not folders and params.root_uri:
            folders = [params.root_uri]
        elif not folders and params.root_path:
            folders = [from_fs_path(params.root_path) or ""]
        ls.space.set_folders(folders)
        caps = params.capabilities
        from pygls.capabilities import ServerCapabilitiesBuilder  # noqa: PLC0415

        chosen = ServerCapabilitiesBuilder.choose_position_encoding(caps)
        ls.space.encoding = _ENCODINGS.get(chosen, UTF16)  # type: ignore[call-overload]
        formats = _capability(caps, "text_document.hover.content_format") or []
        ls.markdown = not formats or types.MarkupKind.Markdown in formats
        ls.documents = bool(_capability(caps, "workspace.workspace_edit.document_changes"))
        ls.watcher.client_watches = bool(_capability(
            caps, "workspace.did_change_watched_files.dynamic_registration"))

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ZettelServer, params: types.InitializedParams) -> None:
        await ls.watcher.start()
        ls.space.served()  # read the vault(s) now: the first answers need them

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ZettelServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        buffer = ls.space.open(doc.uri, doc.text, doc.version)
        if buffer.vault is not None:
            ls.republish([buffer.vault])  # its text may differ from its file's
        else:
            ls.publish(buffer)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ZettelServer, params: types.DidChangeTextDocumentParams) -> None:
        doc = params.text_document
        before = ls.space.buffer(doc.uri)
        version = before.vault.links_version if before and before.vault else None
        buffer = ls.space.change(doc.uri, params.content_changes, doc.version)
        if buffer is None:
            return
        if buffer.vault is not None and buffer.vault.links_version != version:
            ls.republish([buffer.vault])  # names or links changed: other notes' problems too
        else:
            ls.publish(buffer)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ZettelServer, params: types.DidCloseTextDocumentParams) -> None:
        buffer = ls.space.buffer(params.text_document.uri)
        ls.space.close(params.text_document.uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=params.text_document.uri, diagnostics=[]))
        if buffer is not None and buffer.vault is not None:
            ls.republish([buffer.vault])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: ZettelServer, params: types.DidChangeWatchedFilesParams) -> None:
        changes = []
        for event in params.changes:
            path = _fs_path(event.uri)
            if path is not None:
                changes.append((path, event.type != types.FileChangeType.Deleted))
        ls.disk_changed(changes)

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders(ls: ZettelServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        gone = {f.uri for f in params.event.removed}
        kept = [from_fs_path(str(p)) or "" for p in ls.space.folders]
        ls.space.set_folders([u for u in kept if u not in gone]
                             + [f.uri for f in params.event.added])


def _fs_path(uri: str) -> Path | None:
    from pygls.uris import to_fs_path  # noqa: PLC0415

    found = to_fs_path(uri) if uri.startswith("file:") else None
    return Path(found) if found else None


def _register_features(server: ZettelServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=completion.TRIGGERS))
    def complete(ls: ZettelServer,
                 params: types.CompletionParams) -> types.CompletionList | None:
        return completion.complete(ls.buffer(params.text_document.uri), params.position,
                                   ls.markdown)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: ZettelServer, params: types.HoverParams) -> types.Hover | None:
        return hover.hover(ls.buffer(params.text_document.uri), params.position, ls.markdown)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: ZettelServer,
                   params: types.DefinitionParams) -> list[types.Location] | None:
        return navigation.definition(ls.space, ls.buffer(params.text_document.uri),
                                     params.position)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: ZettelServer,
                   params: types.ReferenceParams) -> list[types.Location] | None:
        return navigation.references(ls.space, ls.buffer(params.text_document.uri),
                                     params.position, params.context.include_declaration)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_LINK)
    def links(ls: ZettelServer, params: types.DocumentLinkParams) -> list[types.DocumentLink]:
        tips = _capability(ls.client_capabilities, "text_document.document_link.tooltip_support")
        return navigation.document_links(ls.space, ls.buffer(params.text_document.uri),
                                         bool(tips))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def outline(ls: ZettelServer, params: types.DocumentSymbolParams) -> Any:
        nested = _capability(ls.client_capabilities, "text_document.document_symbol."
                             "hierarchical_document_symbol_support")
        return symbols.document_symbols(ls.buffer(params.text_document.uri), bool(nested))

    @server.feature(types.WORKSPACE_SYMBOL)
    def notes(ls: ZettelServer,
              params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
        return symbols.workspace_symbols(ls.space, params.query)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix,
                           types.CodeActionKind.RefactorExtract,
                           types.CodeActionKind.RefactorRewrite]))
    def code_actions(ls: ZettelServer,
                     params: types.CodeActionParams) -> list[types.CodeAction]:
        return actions.code_actions(ls.buffer(params.text_document.uri), params.range,
                                    ls.documents)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: ZettelServer,
                       params: types.PrepareRenameParams) -> types.PrepareRenameResult | None:
        return rename.prepare(ls.buffer(params.text_document.uri), params.position)

    @server.feature(types.TEXT_DOCUMENT_RENAME,
                    types.RenameOptions(prepare_provider=True))
    def on_rename(ls: ZettelServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        try:
            return rename.rename(ls.space, ls.buffer(params.text_document.uri),
                                 params.position, params.new_name, ls.client_capabilities)
        except rename.RenameRefused as err:
            ls.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Warning, message=f"zettel: {err}"))
            raise RequestFailed(f"zettel: {err}") from err


def _register_commands(server: ZettelServer) -> None:
    def refused(ls: ZettelServer, err: Exception) -> JsonRpcException:
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning,
                                                       message=f"zettel: {err}"))
        return RequestFailed(f"zettel: {err}")

    @server.command(actions.CREATE)
    def create(ls: ZettelServer, *args: Any) -> dict[str, str]:
        if len(args) != 2 or not all(isinstance(a, str) for a in args):
            raise JsonRpcInvalidParams(f"{actions.CREATE} takes a document URI and a title")
        buffer = ls.buffer(args[0])
        try:
            rel = actions.create_note(buffer, args[1])
        except actions.ActionError as err:
            raise refused(ls, err) from err
        assert buffer.vault is not None
        uri = ls.space.uri_of(buffer.vault, rel)
        ls.republish([buffer.vault])
        if _capability(ls.client_capabilities, "window.show_document.support"):
            ls.window_show_document(types.ShowDocumentParams(uri=uri, take_focus=False))
        return {"path": rel, "uri": uri}

    @server.command(actions.EXTRACT)
    async def extract(ls: ZettelServer, *args: Any) -> dict[str, Any]:
        if len(args) != 2 or not isinstance(args[0], str):
            raise JsonRpcInvalidParams(f"{actions.EXTRACT} takes a document URI and a range")
        try:
            where = ls.protocol._converter.structure(args[1], types.Range)
        except Exception as err:  # noqa: BLE001 - whatever the client sent
            raise JsonRpcInvalidParams(f"{actions.EXTRACT}: not a range: {args[1]!r}") from err
        buffer = ls.buffer(args[0])
        try:
            rel, edit = actions.extract(buffer, where, ls.documents)
        except (actions.ActionError, OSError) as err:
            raise refused(ls, err) from err
        assert buffer.vault is not None
        try:
            result = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
                edit=edit, label="Extract into a new note"))
            applied = bool(result and result.applied)
        except Exception as err:  # noqa: BLE001 - the editor refused the edit
            ls.log(f"zettel: the editor did not put the link in place ({err})")
            applied = False
        ls.republish([buffer.vault])
        return {"path": rel, "uri": ls.space.uri_of(buffer.vault, rel), "applied": applied}


def serve(vault: Path | None = None) -> None:
    """Run the server on stdin and stdout until the editor stops it."""
    create_server(vault).start_io()
