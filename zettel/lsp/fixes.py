"""Quick fixes that rewrite text of the buffer (the editor applies them).

- A broken or ambiguous link: *Change to …* for each of its candidates, ranked as
  ``zettel fix`` ranks them (`zettel.core.fix.rank`: "did you mean" first, a note
  of the same file name in another folder, the match in the linking note's
  folder); the one ``zettel fix --apply`` would write is the preferred fix, and
  the link is rewritten as it writes it (`zettel.core.fix.new_target`, the old
  name kept as label when it becomes an id: `zettel.vault.repair.link_edits`).
- An unlinked mention of a note under the cursor (its title or an alias written
  as text: `zettel.core.mentions`): *Link …*, the text as written kept as the
  label, in the vault's link style (`zettel.vault.repair.mention_link`).
  Mentions flagged ``short`` or ``ambiguous`` are offered too, saying so; the
  ``common`` flag of ``zettel mentions`` (a word found in many notes) needs
  counts over every note and is not given here.
"""

from __future__ import annotations

from typing import cast

from lsprotocol import types

from zettel.core.display import clean
from zettel.core.fix import new_target, rank, same_name_index
from zettel.core.mentions import Mention, MentionFinder
from zettel.core.model import Link
from zettel.core.suggest import Suggester
from zettel.lsp.completion import style
from zettel.lsp.diagnostics import candidates
from zettel.lsp.state import VaultState
from zettel.lsp.workspace import Buffer
from zettel.vault.repair import link_edits, mention_link

#: At most this many candidates of a link are offered.
CANDIDATES = 5
#: Past this many notes renamed since the mention finder was built, it is built again.
RENAMED = 50
_FLAGS = {"short": "a short name", "ambiguous": "several notes have this name"}


def _edits(buffer: Buffer, body_edits: tuple[tuple[int, int, str], ...]) -> list[types.TextEdit]:
    to_file = buffer.body.to_file
    return [types.TextEdit(range=buffer.lines.range(to_file(start), to_file(end)),
                           new_text=text) for start, end, text in body_edits]


def link_fixes(buffer: Buffer, link: Link, diagnostic: types.Diagnostic
               ) -> list[tuple[str, bool, list[types.TextEdit]]]:
    """The fixes of a broken or ambiguous link: (title, preferred, edits), best first."""
    state, source = buffer.vault, buffer.rel
    if state is None or source is None:
        return []
    note = buffer.note
    found = state.resolve(link, source)
    if found.status == "resolved":
        return []
    # "Did you mean" looks at the link's candidates only: the vault reduced to them
    # and the note chooses as the whole vault would (see zettel.lsp.diagnostics).
    reduced = {path: state.notes[path] for path in candidates(state, note, link)}
    reduced[note.path] = note
    suggester = Suggester(reduced)
    by_name = state.memo.get(("by name", state.names_version))
    if by_name is None:
        by_name = state.memo[("by name", state.names_version)] = same_name_index(state.notes)
    ranking = rank(note, link, found, suggester, by_name=by_name,
                   extensions=state.config.extensions)
    broken = found.status == "broken"
    guess = suggester.suggest(note, link) if broken else None
    out = []
    for candidate in ranking.candidates[:CANDIDATES]:
        target = state.notes.get(candidate.path)
        if target is None:
            continue
        written = new_target(note, link, target, state.resolver, suggestion=guess,
                             ambiguous=None if broken else found.step)
        if written is None:
            continue
        best = candidate.path == ranking.winner
        about = "did you mean" if best and broken else target.title
        title = f"Change to '{clean(written)}'"
        if about != written:
            title += f" ({clean(about)})"
        out.append((title, best, _edits(buffer, link_edits(note, link, written))))
    out.sort(key=lambda fix: not fix[1])
    return out


def _finder(state: VaultState) -> tuple[MentionFinder, set[str]]:
    """The names of every note to find mentions of, as they were when gathered, and
    the notes renamed since (gathered again when many were)."""
    found = state.memo.get(("mentions",))
    renamed = state.renamed_since(found[1], RENAMED) if found is not None else None
    if found is None or renamed is None:
        found = state.memo[("mentions",)] = (MentionFinder(list(state.notes.values())),
                                             state.names_version)
        renamed = set()
    return found[0], renamed


def prepare(state: VaultState) -> None:
    """Gather the names to find mentions of now (else on first use)."""
    _finder(state)


def mentions(buffer: Buffer) -> list[Mention]:
    """The unlinked mentions of other notes in the buffer's note, in body order."""
    state = buffer.vault
    if state is None or buffer.rel is None:
        return []

    def find() -> list[Mention]:
        assert state is not None
        finder, renamed = _finder(state)
        found = [m for m in finder.find(buffer.note) if m.target not in renamed]
        if renamed:
            others = [state.notes[p] for p in renamed if p in state.notes]
            found += MentionFinder(others).find(buffer.note)
            found.sort(key=lambda m: (m.start, -m.end, m.target))
        return found

    return cast("list[Mention]", buffer.cached("mentions", find))


def mention_fixes(buffer: Buffer, where: types.Range
                  ) -> list[tuple[str, list[types.TextEdit]]]:
    """*Link …* for each unlinked mention the range touches: (title, edits)."""
    state = buffer.vault
    if state is None:
        return []
    start, end = buffer.lines.span(where)
    to_file = buffer.body.to_file
    out = []
    for mention in mentions(buffer):
        first, last = to_file(mention.start), to_file(mention.end)
        if last < start or first > end:
            continue
        target = state.notes.get(mention.target)
        if target is None:
            continue
        written = mention_link(mention, target, style(state), state.resolver)
        if written is None:
            continue
        title = f"Link '{clean(' '.join(mention.text.split()))}' to '{clean(target.title)}'"
        if mention.flag in _FLAGS:
            title += f" ({_FLAGS[mention.flag]})"
        edit = types.TextEdit(range=buffer.lines.range(first, last), new_text=written)
        out.append((title, [edit]))
    return out
