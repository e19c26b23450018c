"""Symbols: a buffer's headings (an outline), and the vault's notes by title."""

from __future__ import annotations

from lsprotocol import types

from zettel.core.display import clean
from zettel.lsp.completion import ranked
from zettel.lsp.cursor import headings, span_range
from zettel.lsp.workspace import Buffer, Workspace

#: At most this many notes answer a workspace symbol query.
LIMIT = 100
_ZERO = types.Range(start=types.Position(line=0, character=0),
                    end=types.Position(line=0, character=0))


def document_symbols(buffer: Buffer, hierarchical: bool = True
                     ) -> list[types.DocumentSymbol] | list[types.SymbolInformation]:
    """The buffer's ATX headings, nested by level (or flat, for an editor that
    cannot show a tree)."""
    found = headings(buffer.masked)
    if not hierarchical:
        return [types.SymbolInformation(
            name=clean(h.text), kind=types.SymbolKind.String,
            location=types.Location(uri=buffer.uri,
                                    range=span_range(buffer, h.start, h.end)))
            for h in found]
    roots: list[types.DocumentSymbol] = []
    open_: list[tuple[int, types.DocumentSymbol]] = []  # the heading each level is under
    for index, h in enumerate(found):
        end = len(buffer.note.body)
        for later in found[index + 1 :]:
            if later.level <= h.level:
                end = later.start
                break
        symbol = types.DocumentSymbol(
            name=clean(h.text), detail="#" * h.level, kind=types.SymbolKind.String,
            range=span_range(buffer, h.start, max(h.end, end)),
            selection_range=span_range(buffer, h.text_start, h.end), children=[])
        while open_ and open_[-1][0] >= h.level:
            open_.pop()
        if open_:
            parent = open_[-1][1]
            parent.children = [*(parent.children or []), symbol]
        else:
            roots.append(symbol)
        open_.append((h.level, symbol))
    return roots


def workspace_symbols(space: Workspace, query: str) -> list[types.WorkspaceSymbol]:
    """The notes of the vaults served whose title, alias, id or path matches ``query``."""
    out: list[types.WorkspaceSymbol] = []
    for state in space.served():
        for path, _ in ranked(state, query, limit=LIMIT):
            note = state.notes[path]
            out.append(types.WorkspaceSymbol(
                name=clean(note.title), kind=types.SymbolKind.File, container_name=clean(path),
                location=types.Location(uri=space.uri_of(state, path), range=_ZERO)))
    return out[:LIMIT]
