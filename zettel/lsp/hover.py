"""Hover on a link: the note it reaches (title, id, types, tags, first paragraph),
the file of an embed, the candidates of an ambiguous link, or what ``zettel check``
says of a broken one (with its "did you mean")."""

from __future__ import annotations

from lsprotocol import types

from zettel.lsp.cursor import link_at, link_span
from zettel.lsp.diagnostics import problem_of
from zettel.lsp.markup import Content, first_paragraph
from zettel.lsp.workspace import Buffer


def hover(buffer: Buffer, position: types.Position, markdown: bool = True) -> types.Hover | None:
    """What to show for the link under the cursor, if any."""
    state, source = buffer.vault, buffer.rel
    if state is None or source is None:
        return None
    link = link_at(buffer, position)
    if link is None or link.kind == "external":
        return None
    found = state.resolve(link, source)
    content = Content(markdown)
    if found.status == "broken":
        problem = problem_of(buffer, link)
        content.own("**Broken link**" if markdown else "Broken link").line()
        content.text(problem.message if problem else f"link to '{link.target}' matches no note")
    elif found.status == "ambiguous":
        content.own("**Ambiguous link**" if markdown else "Ambiguous link")
        content.own(f": {len(found.paths)} notes match by {found.step}").line()
        for path in found.paths:
            note = state.notes.get(path)
            content.own("- " if markdown else "  ").text(note.title if note else path)
            content.own(" — ").text(path).line()
    elif found.is_file:
        content.own("File: ").text(found.paths[0])
    else:
        note = state.notes.get(found.paths[0])
        if note is None:
            return None
        content.text(note.title, strong=True).line()
        facts = [("id", [note.id] if note.id else []), ("types", list(note.types)),
                 ("tags", [f"#{tag}" for tag in note.tags])]
        for label, values in facts:
            if values:
                content.own(f"{label}: ").text(", ".join(values)).line()
        content.own("path: ").text(note.path)
        if found.link_type:
            content.line().own("link type: ").text(found.link_type)
        paragraph = first_paragraph(note.body)
        if paragraph:
            content.rule().text(paragraph)
    return types.Hover(contents=content.build(), range=link_span(buffer, link))
