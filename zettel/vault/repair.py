"""Fixing broken and ambiguous links, and linking unlinked mentions: what
``zettel fix`` and ``zettel mentions`` read from the disk, and the plans they write.

The rules are pure and live in the core: `zettel.core.fix` ranks a link's
candidates and says which one, if any, is clearly meant; `zettel.core.mentions`
finds a note's names written as text. Here the vault is read (the parse cache,
the sketches of `zettel.vault.sketches` so that a note's mentions cost the few
notes that may hold them), and each change becomes a `zettel.core.plan.Plan`,
computed from the files' text as read now (a file changed since it was
looked at is refused by the writer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zettel.core.linkstyle import LinkStyle, format_link
from zettel.core.mentions import Mention, MentionFinder, in_table_row, link_label, name_key
from zettel.core.model import Link, Note, count
from zettel.core.parse import body_to_file, decode, parse_bytes, parse_text
from zettel.core.plan import FileChange, NewFile, Plan, TextEdit
from zettel.core.resolve import Named, Resolver
from zettel.vault.scan import Vault, open_vault, read_bytes
from zettel.vault.sketches import Sketches, load_sketches
from zettel.vault.write import EditRefused, read_for_edit

if TYPE_CHECKING:  # the ranking of links (and rapidfuzz) loads for zettel fix only
    from zettel.core.fix import ContextHit, Ranking
    from zettel.core.suggest import Suggester
    from zettel.vault.facts import Facts

#: The notes whose text holds words of a broken link's context (the search layer
#: gives it: the vault layer may not search).
ContextSearch = Callable[[Note, Link], "Sequence[ContextHit]"]
#: A one-word name found in at least this share of the notes (and `COMMON_AT_LEAST`
#: notes) is a common word: its mentions are flagged ``common``.
COMMON_SHARE = 0.05
COMMON_AT_LEAST = 20


@dataclass(frozen=True)
class Fix:
    """A broken or ambiguous link, its candidates and what `zettel fix --apply`
    writes for it. ``replacement`` is the whole link as it would be written for
    the winner (None when there is no winner, or no form of link reaches it)."""

    source: str
    link: Link
    context: str
    ranking: Ranking
    replacement: str | None
    edits: tuple[tuple[int, int, str], ...]  # body offsets

    @property
    def status(self) -> str:
        return self.ranking.status

    def to_json(self, titles: Callable[[str], str | None]) -> dict[str, Any]:
        """The documented ``--json`` shape of a fix (docs/json.md)."""
        link = self.link
        return {
            "path": self.source, "line": link.line, "column": link.column,
            "target": link.target, "kind": link.kind, "status": self.status,
            "context": self.context,
            "candidates": [{"path": c.path, "title": titles(c.path), "score": c.score,
                            "reasons": list(c.reasons)} for c in self.ranking.candidates],
            "winner": self.ranking.winner if self.replacement else None,
            "why": self.ranking.why, "replacement": self.replacement,
        }


def find_fixes(root: Path | str, *, context: ContextSearch | None = None,
               vault: Vault | None = None) -> list[Fix]:
    """Every broken and ambiguous link of the vault at ``root`` (links to other
    files aside), by source path and place, ranked (`zettel.core.fix`).
    ``context`` adds the notes holding words of a broken link's context, asked
    for the links with no winner only. ``vault``: the vault opened already.
    Raises what `zettel.vault.scan.open_vault` raises."""
    from zettel.core import fix as fixing  # noqa: PLC0415 - see TYPE_CHECKING above
    from zettel.core.suggest import Suggester  # noqa: PLC0415

    vault = vault or open_vault(Path(root))
    notes, extensions = vault.notes, vault.config.extensions
    by_path = {note.path: note for note in notes}
    resolver = Resolver(notes, vault.files, extensions)
    suggester = Suggester(by_path)
    by_name = fixing.same_name_index(by_path)
    found = []
    for note in notes:
        for link in note.links:
            if link.kind == "external":
                continue
            resolution = resolver.resolve_link(link, note.path)
            if resolution.status == "resolved" or resolution.is_file:
                continue
            ranking = fixing.rank(note, link, resolution, suggester, by_name=by_name,
                                  extensions=extensions)
            if context is not None and ranking.status == "broken" and ranking.winner is None:
                hits = context(note, link)
                if hits:
                    ranking = fixing.rank(note, link, resolution, suggester, by_name=by_name,
                                          extensions=extensions, context=hits)
            found.append(_fix(note, link, ranking, resolver, by_path, suggester))
    return found


def _fix(note: Note, link: Link, ranking: Ranking, resolver: Resolver,
         notes: dict[str, Note], suggester: Suggester) -> Fix:
    """The fix of one link: its edits when it has a winner that a link can reach."""
    from zettel.core import fix as fixing  # noqa: PLC0415
    edits: tuple[tuple[int, int, str], ...] = ()
    replacement = None
    if ranking.winner is not None:
        broken = ranking.status == "broken"
        target = fixing.new_target(
            note, link, notes[ranking.winner], resolver,
            suggestion=suggester.suggest(note, link) if broken else None,
            ambiguous=None if broken else resolver.resolve_link(link, note.path).step)
        if target is not None:
            edits = link_edits(note, link, target)
            start, end = link.span
            replacement = _applied(note.body[start:end], start, edits)
    return Fix(note.path, link, note.context(link), ranking, replacement, edits)


def link_edits(note: Note, link: Link, target: str) -> tuple[tuple[int, int, str], ...]:
    """The body edits giving ``link`` the target ``target``: the target replaced,
    and for a wiki link without label whose name becomes an id or a path, the old
    name as label (`zettel.core.fix.added_label`)."""
    from zettel.core.fix import added_label  # noqa: PLC0415
    start, end = link.target_span
    edits = [(start, end, target)]
    label = added_label(link, target)
    if label is not None:
        line = note.body[note.body.rfind("\n", 0, start) + 1 : note.body.find("\n", start)]
        bar = "\\|" if in_table_row(line) else "|"
        edits.append((link.span[1] - 2, link.span[1] - 2, bar + label))
    return tuple(edits)


def _applied(text: str, offset: int, edits: Iterable[tuple[int, int, str]]) -> str:
    done = 0
    pieces: list[str] = []
    for start, end, replacement in sorted(edits):
        pieces += (text[done : start - offset], replacement)
        done = end - offset
    return "".join(pieces) + text[done:]


def plan_fix(root: Path | str, *, apply_rule: bool = True, create_stubs: bool = False,
             fixes: Sequence[Fix] | None = None, context: ContextSearch | None = None,
             vault: Vault | None = None) -> Plan:
    """The plan of ``zettel fix``: with ``apply_rule``, each link with a winner
    rewritten; with ``create_stubs``, a new note (`zettel.vault.stubs`) for each
    broken link with no candidate that names a note nobody wrote yet. The links
    left as they are, for a person, are the plan's warnings. ``fixes``: those
    `find_fixes` found already (in ``vault``, opened already)."""
    from zettel.vault.stubs import plan_stubs  # noqa: PLC0415 - PyYAML, to write notes

    root = Path(root)
    if fixes is None or (create_stubs and vault is None):
        vault = vault or open_vault(root)
        fixes = find_fixes(root, context=context, vault=vault) if fixes is None else fixes
    chosen = [f for f in fixes if apply_rule and f.edits]
    stubs: tuple[list[NewFile], set[tuple[str, int]]] = ([], set())
    if create_stubs and vault is not None:
        stubs = plan_stubs(root, [f for f in fixes if not f.ranking.named
                                  and f.status == "broken"],
                           [note.id for note in vault.notes if note.id])
    changes, warnings, unwritten = _changes(root, chosen)
    created, stubbed = stubs
    written = {id(f) for f in chosen} - {id(f) for f in unwritten}
    left = [f for f in fixes if id(f) not in written and (f.source, f.link.offset) not in stubbed]
    warnings += [f"{f.source}:{f.link.line}: '{f.link.target}' left as it is: {f.ranking.why}"
                 for f in left if f.edits == () or not apply_rule]
    summary = (f"fix {count(len(fixes), 'link')}: {len(written)} rewritten, "
               f"{count(len(created), 'note')} created, {len(left)} left for a person")
    return Plan("fix", summary, tuple(changes), tuple(created), tuple(warnings),
                {"left": len(left)})


def _changes(root: Path, chosen: Sequence[Fix]) -> tuple[list[FileChange], list[str], list[Fix]]:
    """A `FileChange` per file of ``chosen``, its edits computed on its text as
    read now; a file that cannot be rewritten (not UTF-8) or whose links moved
    since is left, with a warning. Returns the changes, the warnings and the
    fixes left so."""
    by_file: dict[str, list[Fix]] = {}
    for item in chosen:
        by_file.setdefault(item.source, []).append(item)
    changes, warnings, unwritten = [], [], []
    for path, items in by_file.items():
        try:
            text, fingerprint = read_for_edit(root, path)
        except EditRefused as err:
            reason = str(err).removesuffix("; nothing was written")
            warnings.append(f"{reason}: {count(len(items), 'link')} left as it is")
            unwritten += items
            continue
        note = parse_text(path, text)
        where = {(link.span, link.target) for link in note.links}
        if any((f.link.span, f.link.target) not in where for f in items):
            warnings.append(f"'{path}' changed since it was read: its links are left as they are"
                            " (run the command again)")
            unwritten += items
            continue
        to_file = body_to_file(text, note.body_line)
        edits = tuple(TextEdit(to_file(start), to_file(end), new) for f in items
                      for start, end, new in f.edits)
        changes.append(FileChange(path, text, fingerprint.digest, edits, links=len(items)))
    return changes, warnings, unwritten


# -- mentions


def find_mentions(root: Path | str, note: Named, *,
                  sketches: Sketches | None = None) -> list[Mention]:
    """The unlinked mentions of ``note`` (its title and aliases) in the other notes
    of the vault at ``root``, by source path and place. Only the notes whose
    sketch may hold a name are read; a name of one word found in many notes
    flags its mentions ``common``; one that another note has too, ``ambiguous``."""
    root = Path(root)
    if sketches is None:
        sketches, _ = load_sketches(root)
    finder = MentionFinder([note])
    shared = {name.key for name in finder.names if sketches.shared(name.key)}
    common = _common(sketches, finder, note)
    found = []
    for path in sketches.candidates(name.words for name in finder.names):
        if path == note.path:
            continue
        try:
            data = read_bytes(root, path)
        except OSError:
            continue  # unreadable: `zettel check` says so
        if finder.may_hold(decode(data)[0]):
            found += finder.find(parse_bytes(path, data))
    return [_flagged(m, shared, common) for m in found]


def _common(sketches: Sketches, finder: MentionFinder, note: Named) -> set[str]:
    """The one-word names of ``note`` that the text of many other notes holds."""
    total = len(sketches)
    found = set()
    for name in finder.names:
        if len(name.words) == 1:
            word = name.words[0]
            others = sketches.notes_with(word) - sketches.holds(note.path, word)
            if others >= COMMON_AT_LEAST and others >= COMMON_SHARE * total:
                found.add(name.written)
    return found


def _flagged(mention: Mention, shared: set[str], common: set[str]) -> Mention:
    if name_key(mention.name) in shared:
        return mention._replace(flag="ambiguous")
    if mention.name in common and mention.flag is None:
        return mention._replace(flag="common")
    return mention


def find_all_mentions(root: Path | str, *, vault: Vault | None = None) -> list[Mention]:
    """Every unlinked mention of every note in the vault at ``root`` (``vault``,
    opened already), by target then source: one pass over each note with all
    names at once (`zettel.core.mentions.MentionFinder`). A one-word name
    mentioned in many notes flags its mentions ``common``."""
    vault = vault or open_vault(Path(root))
    finder = MentionFinder(vault.notes)
    found = []
    for note in vault.notes:
        found += finder.find(note)
    found.sort(key=lambda m: (m.target, m.source, m.start))
    sources: dict[str, set[str]] = {}
    for mention in found:
        if mention.flag is None and " " not in name_key(mention.name):
            sources.setdefault(mention.target, set()).add(mention.source)
    common = {target for target, notes in sources.items()
              if len(notes) >= COMMON_AT_LEAST and len(notes) >= COMMON_SHARE * len(vault.notes)}
    return [m._replace(flag="common") if m.flag is None and m.target in common
            and " " not in name_key(m.name) else m for m in found]


def mention_link(mention: Mention, note: Named, style: LinkStyle = "id",
                 resolver: Resolver | None = None) -> str | None:
    """The link that replaces ``mention`` (of ``note``), in the link ``style``
    (`zettel.core.linkstyle.format_link`), the mention's text as written as its
    label (its white space as single spaces), ``\\|`` in a table row; None when
    the text cannot be a label (it holds a bracket)."""
    label = link_label(mention.text)
    if "[" in label or "]" in label:
        return None
    written = format_link(style, note, label=label, resolver=resolver)
    if in_table_row(mention.line_text) and "|" in written:
        written = written.replace("|", "\\|", 1)
    return written


def plan_link_mentions(root: Path | str, mentions: Sequence[Mention],
                       targets: Mapping[str, Named], *, style: LinkStyle | None = None,
                       facts: Facts | None = None) -> Plan:
    """The plan turning ``mentions`` into links (``targets``: the notes they
    mention, by path) in the vault's link style (`zettel.vault.editing.link_style`,
    unless ``style`` is given). A mention overlapping one before it, or whose
    text is no longer where it was found, is left, with a warning."""
    from zettel.vault.editing import link_style  # noqa: PLC0415 - only to write links
    from zettel.vault.facts import vault_facts  # noqa: PLC0415

    root = Path(root)
    if facts is None and mentions:
        facts = vault_facts(root)[0]
    if style is None:
        style = link_style(root, facts) if facts is not None else "id"
    resolver = facts.resolver if facts is not None else None
    by_file: dict[str, list[Mention]] = {}
    for mention in sorted(mentions, key=lambda m: (m.source, m.start, -m.end)):
        by_file.setdefault(mention.source, []).append(mention)
    changes, warnings = [], []
    for path, items in by_file.items():
        try:
            text, fingerprint = read_for_edit(root, path)
        except EditRefused as err:
            warnings.append(f"{err}; its {count(len(items), 'mention')} left as they are")
            continue
        note = parse_text(path, text)
        to_file = body_to_file(text, note.body_line)
        edits, done = [], -1
        for mention in items:
            where = f"{path}:{mention.line}:{mention.column}"
            if mention.start < done:
                warnings.append(f"{where}: '{mention.text}' overlaps a mention linked before it;"
                                " left as it is")
                continue
            if note.body[mention.start : mention.end] != mention.text:
                warnings.append(f"{where}: '{mention.text}' is no longer there; left as it is")
                continue
            written = mention_link(mention, targets[mention.target], style, resolver)
            if written is None:
                warnings.append(f"{where}: '{mention.text}' cannot be a link's label; left as "
                                "it is")
                continue
            edits.append(TextEdit(to_file(mention.start), to_file(mention.end), written))
            done = mention.end
        if edits:
            changes.append(FileChange(path, text, fingerprint.digest, tuple(edits),
                                      links=len(edits)))
    linked = sum(c.links for c in changes)
    names = sorted({targets[m.target].title for m in mentions})
    about = f"'{names[0]}'" if len(names) == 1 else count(len(names), "note")
    return Plan("mentions", f"link {count(linked, 'mention')} of {about}", tuple(changes),
                (), tuple(warnings))
