"""Rename: on a link, the file of the note it reaches is moved (``zettel mv``);
on the note's title (its ``title:`` field, or the ``# heading`` it comes from),
the note is retitled (``zettel retitle``). Both are planned by
`zettel.vault.editing`, from the files on disk, and given to the editor as one
workspace edit (text edits, then the file's rename) that it applies itself.

A file the plan changes that is open with unsaved changes refuses the rename
(the plan was computed from the file, not from the buffer): save it first. An
editor that cannot rename files gets a refusal for a move, never half of it.
"""

from __future__ import annotations

import re
from typing import Any

from lsprotocol import types

from zettel.core.plan import Plan
from zettel.lsp.cursor import front_matter_lines, link_at, target_range
from zettel.lsp.positions import LineIndex
from zettel.lsp.state import VaultState
from zettel.lsp.workspace import Buffer, Workspace

_TITLE = re.compile(r"[ \t]*title[ \t]*:[ \t]*(['\"]?)(.*?)\1[ \t]*(?:#.*)?$")
_H1 = re.compile(r"^#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)


class RenameRefused(Exception):
    """The rename cannot be made (the message says why; nothing is changed)."""


def _target(buffer: Buffer, position: types.Position) -> tuple[str, str, types.Range] | None:
    """What a rename at ``position`` renames: (``move`` or ``retitle``, the note's
    path, the range of the name under the cursor)."""
    state, source = buffer.vault, buffer.rel
    if state is None or source is None:
        return None
    link = link_at(buffer, position)
    if link is not None:
        if link.kind == "external":
            return None
        found = state.resolve(link, source)
        if found.status != "resolved" or found.is_file:
            return None
        return "move", found.paths[0], target_range(buffer, link)
    where = _title_range(buffer)
    if where is not None and where.start.line == position.line:
        return "retitle", source, where
    return None


def _title_range(buffer: Buffer) -> types.Range | None:
    """Where the note's title is written: its ``title:`` value, or its ``# heading``."""
    lines = buffer.lines
    for line in front_matter_lines(buffer):
        start, end = lines.starts[line], lines.line_end(line)
        m = _TITLE.match(buffer.text, start, end)
        if m and m.group(2):
            return lines.range(start + m.start(2), start + m.end(2))
    m = _H1.search(buffer.masked)
    if m and m.group(1).strip() == buffer.note.title:
        body = buffer.body
        return lines.range(body.to_file(m.start(1)), body.to_file(m.end(1)))
    return None


def prepare(buffer: Buffer, position: types.Position) -> types.PrepareRenameResult | None:
    """The name a rename at ``position`` changes, and what to propose in its place."""
    found = _target(buffer, position)
    if found is None or buffer.vault is None:
        return None
    kind, path, where = found
    note = buffer.vault.notes.get(path)
    if note is None:
        return None
    shown = path if kind == "move" else note.title
    return types.PrepareRenamePlaceholder(range=where, placeholder=shown)


def rename(space: Workspace, buffer: Buffer, position: types.Position, new_name: str,
           capabilities: Any) -> types.WorkspaceEdit | None:
    """The edit of a rename at ``position`` to ``new_name``; raises `RenameRefused`."""
    from zettel.vault.editing import PlanRefused, plan_move, plan_retitle  # noqa: PLC0415

    found = _target(buffer, position)
    state = buffer.vault
    if found is None or state is None:
        raise RenameRefused("there is no note name here to rename (a link to a note, or the "
                            "note's title)")
    kind, path, _ = found
    try:
        if kind == "move":
            plan = plan_move(state.root, path, new_name.strip())
        else:
            plan = plan_retitle(state.root, path, new_name.strip())
    except (PlanRefused, OSError) as err:
        raise RenameRefused(str(err)) from err
    return workspace_edit(space, state, plan, capabilities)


def _supports(capabilities: Any, *names: str) -> bool:
    edit = getattr(getattr(capabilities, "workspace", None), "workspace_edit", None)
    if edit is None or not edit.document_changes:
        return False
    operations = edit.resource_operations or []
    return all(name in operations for name in names)


def workspace_edit(space: Workspace, state: VaultState, plan: Plan,
                   capabilities: Any) -> types.WorkspaceEdit | None:
    """``plan`` as a workspace edit (refused when an open file differs from what
    the plan read, or when the editor cannot make the file operations it needs)."""
    for change in plan.changes:
        buffer = space.buffer_of(state, change.path)
        if buffer is not None and buffer.text != change.before:
            raise RenameRefused(f"'{change.path}' has unsaved changes; save it and rename "
                                "again (renames are planned from the files on disk)")
    if plan.empty:
        return None
    moves = any(c.new_path for c in plan.changes)
    needs = [*(["rename"] if moves else []), *(["create"] if plan.creates else [])]
    documents = _supports(capabilities, *needs)
    if needs and not documents:
        raise RenameRefused(f"this editor cannot {' and '.join(needs)} files through the "
                            f"language server; use `zettel {plan.action}` instead")
    edits: dict[str, list[types.TextEdit]] = {}
    versions: dict[str, int | None] = {}
    for change in plan.changes:
        if not change.edits:
            continue
        uri = space.uri_of(state, change.path)
        lines = LineIndex(change.before, space.encoding)
        edits[uri] = [types.TextEdit(range=lines.range(e.start, e.end), new_text=e.replacement)
                      for e in sorted(change.edits)]
        buffer = space.buffer_of(state, change.path)
        versions[uri] = buffer.version if buffer is not None else None
    if not documents:
        return types.WorkspaceEdit(changes=edits)
    steps: list[Any] = [
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(
                uri=uri, version=versions[uri]),
            edits=list(found)) for uri, found in edits.items()]
    for created in plan.creates:
        uri = space.uri_of(state, created.path)
        steps.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(
            overwrite=False, ignore_if_exists=False)))
        steps.append(types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None),
            edits=[types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                                    end=types.Position(line=0, character=0)),
                                  new_text=created.text)]))
    for change in plan.changes:
        if change.new_path:
            steps.append(types.RenameFile(
                old_uri=space.uri_of(state, change.path),
                new_uri=space.uri_of(state, change.new_path),
                options=types.RenameFileOptions(overwrite=False, ignore_if_exists=False)))
    return types.WorkspaceEdit(document_changes=steps)
