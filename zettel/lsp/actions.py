"""Code actions and the commands behind them.

- On a broken or ambiguous link: rewrite it to reach one of its candidates
  (`zettel.lsp.fixes`, as ``zettel fix`` ranks and writes them; a quick fix the
  editor applies). On an unlinked mention: link it (`zettel.lsp.fixes`).
- On a broken link by name: create the note it names (``zettel.createNote``:
  `zettel.vault.create.new_note`, as ``zettel new``, never overwriting), after
  which the link reaches it by its title.
- On a selection in a note's body: move it into a new note and leave a link to
  it in its place (``zettel.extractNote``): the note is created as ``zettel new``
  creates one, the selection written after its title, and the link in the
  vault's style is given to the editor to put in place of the selection.

Commands write only new files, through `zettel.vault.create` and
`zettel.vault.write`; changes to open documents go through the editor.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types

from zettel.core.display import clean
from zettel.core.linkstyle import format_link
from zettel.lsp.completion import style
from zettel.lsp.diagnostics import diagnostics, problems
from zettel.lsp.fixes import link_fixes, mention_fixes
from zettel.lsp.state import VaultState
from zettel.lsp.workspace import Buffer, relative_to
from zettel.vault.scan import read_note

CREATE, EXTRACT = "zettel.createNote", "zettel.extractNote"
COMMANDS = (CREATE, EXTRACT)
#: The longest title taken from an extracted selection's first line.
TITLE_CHARS = 80
_HEADING_LINE = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_MARKS = re.compile(r"^[ \t]*(?:[-*+>][ \t]+|\d+[.)][ \t]+)*")


class ActionError(Exception):
    """A command that cannot be carried out (said to the person, nothing written)."""


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def code_actions(buffer: Buffer, where: types.Range,
                 documents: bool = True) -> list[types.CodeAction]:
    """The actions offered for the range ``where`` of the buffer."""
    state = buffer.vault
    if state is None or buffer.rel is None:
        return []
    out: list[types.CodeAction] = []
    for (problem, link), shown in zip(problems(buffer), diagnostics(buffer), strict=True):
        if link is None or problem.kind not in ("broken-link", "ambiguous-link"):
            continue
        if not _overlaps(shown.range, where):
            continue
        for title, preferred, edits in link_fixes(buffer, link, shown):
            out.append(types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, is_preferred=preferred or None,
                diagnostics=[shown], edit=_edit(buffer, edits, documents)))
        name = link.target.strip()
        if problem.kind == "broken-link" and name and not name.isdigit() \
                and link.kind in ("wiki", "embed"):
            out.append(types.CodeAction(
                title=f"Create the note '{clean(name)}'", kind=types.CodeActionKind.QuickFix,
                diagnostics=[shown],
                command=types.Command(title="Create the note", command=CREATE,
                                      arguments=[buffer.uri, name])))
    for title, edits in mention_fixes(buffer, where):
        out.append(types.CodeAction(title=title, kind=types.CodeActionKind.RefactorRewrite,
                                    edit=_edit(buffer, edits, documents)))
    start, end = buffer.lines.span(where)
    if end > start and start >= buffer.body.to_file(0) and buffer.text[start:end].strip():
        out.append(types.CodeAction(
            title="Extract the selection into a new note",
            kind=types.CodeActionKind.RefactorExtract,
            command=types.Command(title="Extract into a new note", command=EXTRACT,
                                  arguments=[buffer.uri, _range_json(where)])))
    return out


def _range_json(where: types.Range) -> dict[str, dict[str, int]]:
    return {"start": {"line": where.start.line, "character": where.start.character},
            "end": {"line": where.end.line, "character": where.end.character}}


def _edit(buffer: Buffer, edits: list[types.TextEdit], documents: bool) -> types.WorkspaceEdit:
    """A workspace edit of the buffer (versioned when the editor takes document changes)."""
    if not documents:
        return types.WorkspaceEdit(changes={buffer.uri: edits})
    document = types.OptionalVersionedTextDocumentIdentifier(uri=buffer.uri,
                                                             version=buffer.version)
    return types.WorkspaceEdit(document_changes=[
        types.TextDocumentEdit(text_document=document, edits=list(edits))])


def _create(state: VaultState, title: str) -> str:
    """Create a note titled ``title`` in the vault (as ``zettel new``); its path."""
    from zettel.vault.create import CreateError, new_note  # noqa: PLC0415 - PyYAML

    taken = [note.id for note in state.notes.values() if note.id]
    try:
        path = new_note(state.root, title, config=state.config, taken_ids=taken)
    except CreateError as err:
        raise ActionError(str(err)) from err
    rel = relative_to(path, state.root) or path.name
    state.put(read_note(state.root, rel))
    return rel


def create_note(buffer: Buffer, title: str) -> str:
    """``zettel.createNote``: the new note's vault-relative path."""
    if buffer.vault is None or buffer.rel is None:
        raise ActionError("this document is no note of a vault")
    if not isinstance(title, str) or not title.strip():
        raise ActionError("a note needs a title")
    return _create(buffer.vault, title)


def split_selection(text: str) -> tuple[str, str]:
    """The title and the body of a note made from selected text: a heading on
    the first line is the title (the rest is the body); else the first line,
    without list or quote marks, cut at a word near `TITLE_CHARS`, is the title
    and the whole selection the body."""
    lines = text.strip("\n").split("\n")
    heading = _HEADING_LINE.match(lines[0])
    if heading and heading.group(1).strip():
        return heading.group(1).strip(), "\n".join(lines[1:]).strip("\n")
    title = " ".join(_MARKS.sub("", lines[0]).split())
    if len(title) > TITLE_CHARS:
        cut = title.rfind(" ", 0, TITLE_CHARS)
        title = title[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS].rstrip(" ,;:") + "…"
    return title or "Extract", text.strip("\n")


def extract(buffer: Buffer, where: types.Range,
            documents: bool = True) -> tuple[str, types.WorkspaceEdit]:
    """``zettel.extractNote``: create a note from the selection ``where``; returns
    its path and the edit putting a link to it in place of the selection."""
    state = buffer.vault
    if state is None or buffer.rel is None:
        raise ActionError("this document is no note of a vault")
    start, end = buffer.lines.span(where)
    if start < buffer.body.to_file(0):
        raise ActionError("the selection starts in the front matter")
    selected = buffer.text[start:end].replace("\r\n", "\n").replace("\r", "\n")
    if not selected.strip():
        raise ActionError("nothing is selected")
    title, body = split_selection(selected)
    rel = _create(state, title)
    if body.strip():
        _write_body(state.root, rel, body)
        state.put(read_note(state.root, rel))
    note = state.notes[rel]
    link = format_link(style(state), note, resolver=state.resolver)
    return rel, _edit(buffer, [types.TextEdit(range=where, new_text=link)], documents)


def _write_body(root: Path, rel: str, body: str) -> None:
    """Put ``body`` in the new note ``rel``: after its first ``# heading`` (the
    template's title), else right after its front matter."""
    from zettel.core.parse import parse_text  # noqa: PLC0415
    from zettel.lsp.positions import BodyMap  # noqa: PLC0415
    from zettel.vault.write import Edit, FileEdits, apply_edits, read_for_edit  # noqa: PLC0415

    text, fingerprint = read_for_edit(root, rel)
    note = parse_text(rel, text)
    body_map = BodyMap(text, note.body_line, len(note.body))
    heading = re.search(r"^#[ \t]+.*$", note.body, re.M)
    if heading:
        at = body_map.to_file(heading.end())
        insert = f"\n\n{body}\n"
    else:
        at = body_map.to_file(0)
        insert = f"\n{body}\n"
    apply_edits(root, [FileEdits(rel, fingerprint, [Edit(at, at, insert)])])
