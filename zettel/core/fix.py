"""Fixing a broken or ambiguous link: its candidates, ranked, and the one to
write when one is clearly meant.

Pure: the vault layer (`zettel.vault.repair`) reads the notes and the files;
the search layer may add the notes whose text holds words of the link's
context (`ContextHit`); the editor server calls `rank` for its code actions.
The rule, also in docs/editing.md (Fixing links):

- a **broken** link's candidates are those of "did you mean"
  (`zettel.core.suggest`: an id a typo or two away, a title or alias like the
  target or the label, a bonus when the link's paragraph names the note),
  the notes whose **file name** is the one a path link names, in another
  folder, and the notes whose text holds **words of the link's context**
  (full-text search, when the vault has an index). Its **winner** is exactly
  the note ``zettel check`` suggests ("did you mean": a score of at least
  `THRESHOLD` and `MARGIN` ahead of the next), so the two never disagree;
  the other kinds are shown to a person, never written alone;
- an **ambiguous** link's candidates are the notes it matched; its winner is
  the one in the linking note's folder when exactly one is there (a note's
  own link never reaches it: when the note is one of them, the others are
  the candidates, and a lone other wins);
- the winner is written in the form that reaches it (see `new_target`),
  keeping the label, the heading, the ``!`` of an embed and the link's kind.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, NamedTuple
from urllib.parse import quote

from zettel.core.model import Link, Note, stem_of
from zettel.core.resolve import Named, Resolution, Resolver, normalize
from zettel.core.suggest import MARGIN, THRESHOLD, Suggester

__all__ = ["MARGIN", "THRESHOLD", "Candidate", "ContextHit", "Ranking", "added_label",
           "new_target", "rank", "same_name_index"]

#: The score a note gets for having the file name a path link names.
SAME_NAME = 1.0
#: The score of a note found by the words of the link's context (the best hit).
CONTEXT = 0.4
_URL_SAFE = "/!$&'*+,;=:@-._~"
_NOT_IN_WIKI_TARGET = frozenset("[]|#\n\r")
_NOT_IN_LABEL = frozenset("[]\n\r")

Status = Literal["broken", "ambiguous"]


class ContextHit(NamedTuple):
    """A note whose text holds words of a link's context: its path, its score
    relative to the best hit (0 to 1], and the words."""

    path: str
    score: float
    words: tuple[str, ...]


class Candidate(NamedTuple):
    """A note a link may have meant: its path, a score (for the order only: the
    winner follows the rule of the module doc) and the reasons, in words."""

    path: str
    score: float
    reasons: tuple[str, ...]


class Ranking(NamedTuple):
    """A broken or ambiguous link's candidates, best first, and its winner: the
    path of the note to write, or None (then ``why`` says why)."""

    status: Status
    candidates: tuple[Candidate, ...]
    winner: str | None
    why: str
    #: Whether a candidate is one the link may name (by id, name or file name),
    #: not only a note found by the words of its context.
    named: bool = True


def same_name_index(paths: Iterable[str]) -> dict[str, list[str]]:
    """Note paths by file name (folded as links are compared): for `rank`."""
    index: dict[str, list[str]] = {}
    for path in paths:
        index.setdefault(normalize(path.rsplit("/", 1)[-1]), []).append(path)
    return index


def _same_name(link: Link, source: str, by_name: Mapping[str, list[str]],
               extensions: Sequence[str]) -> list[str]:
    """Notes named as the path ``link`` writes, in another folder."""
    target = link.target
    is_path = link.kind in ("markdown", "reference") or "/" in target
    if not is_path or not target.strip("/"):
        return []
    name = target.rsplit("/", 1)[-1]
    names = [name] if "." in name else [f"{name}.{ext}" for ext in extensions]
    return [path for key in names for path in by_name.get(normalize(key), ())
            if path != source]


def rank(source: Note, link: Link, resolution: Resolution, suggester: Suggester, *,
         by_name: Mapping[str, list[str]] | None = None,
         extensions: Sequence[str] = ("md", "markdown", "txt"),
         context: Sequence[ContextHit] = ()) -> Ranking:
    """The candidates of ``link`` (written in ``source``), broken or ambiguous as
    ``resolution`` says, and its winner (see the module doc). ``suggester`` is
    the "did you mean" over every note; ``by_name`` is `same_name_index` of
    every note; ``context`` the notes found by the words of its context."""
    if resolution.status == "ambiguous":
        return _rank_ambiguous(source, link, resolution)
    scored = suggester.candidates(source, link)
    merged: dict[str, tuple[float, list[str]]] = {
        item.path: (item.score, list(item.reasons)) for item in scored}

    def add(path: str, score: float, reason: str) -> None:
        if path != source.path:
            before, reasons = merged.get(path, (0.0, []))
            merged[path] = (before + score, [*reasons, reason])

    same = _same_name(link, source.path, by_name or {}, extensions)
    for path in same:
        add(path, SAME_NAME, "its file name is the one the link names, in another folder")
    named = bool(scored or same)
    for hit in context:
        add(hit.path, CONTEXT * hit.score,
            "its text holds words of the link's context: " + ", ".join(hit.words))
    candidates = tuple(sorted((Candidate(path, round(score, 3), tuple(reasons))
                               for path, (score, reasons) in merged.items()),
                              key=lambda c: (-c.score, c.path)))
    guess = suggester.suggest(source, link)
    if guess is None:
        why = ("no candidate" if not candidates else
               "no candidate is clearly best (the rule of 'did you mean')")
        return Ranking("broken", candidates, None, why, named)
    meant = [item.path for item in scored if item.write == guess]
    if len(meant) != 1:
        return Ranking("broken", candidates, None,
                       f"'{guess}' names {len(meant)} notes: which one is for a person to say")
    return Ranking("broken", candidates, meant[0], f"zettel check suggests '{guess}'")


def _rank_ambiguous(source: Note, link: Link, resolution: Resolution) -> Ranking:
    paths = [p for p in resolution.paths if p != source.path]
    folder = posixpath.dirname(source.path)
    candidates = tuple(Candidate(
        path, 1.0 if posixpath.dirname(path) == folder else 0.5,
        (f"the link matches it by {resolution.step}",
         *(("it is in the linking note's folder",) if posixpath.dirname(path) == folder
           else ()))) for path in sorted(paths, key=lambda p: (posixpath.dirname(p) != folder, p)))
    if len(paths) == 1:
        return Ranking("ambiguous", candidates, paths[0], "the other match is the note itself")
    here = [p for p in paths if posixpath.dirname(p) == folder]
    if len(here) == 1:
        return Ranking("ambiguous", candidates, here[0], "the only match in the same folder")
    why = ("several matches are in the same folder" if here else
           "no match is in the linking note's folder")
    return Ranking("ambiguous", candidates, None, why)


def new_target(source: Note, link: Link, note: Named, resolver: Resolver, *,
               suggestion: str | None = None, ambiguous: str | None = None) -> str | None:
    """The text to write in place of ``link``'s target (its `Link.target_span`)
    so that it reaches ``note``, or None when no form does.

    A broken wiki link or embed keeps its own style: the ``suggestion`` of "did
    you mean" (an id for an id, a title or alias for a name), else the note's id,
    then its title, then its path without extension, whichever reaches the note
    alone. An ambiguous one (``ambiguous`` is the step that matched several
    notes) gets the path for a path or a file name, the id (else the path) for
    a title, an alias or an id. A Markdown or reference link gets the relative
    path from its note's folder (``/``-rooted when it was; percent-encoded when
    it was or must be)."""
    if link.kind in ("markdown", "reference"):
        return _url_path(note.path, source, link)
    path = _path_key(note.path)
    forms: list[str | None]
    if ambiguous in ("path", "stem", "id"):
        forms = [path]
    elif ambiguous is not None:
        forms = [note.id, path]
    elif normalize(link.target).isdigit():
        forms = [suggestion, note.id, note.title, path]
    else:
        forms = [suggestion, note.title, note.id, path]
    for form in forms:
        if not form or form.strip() != form or _NOT_IN_WIKI_TARGET.intersection(form):
            continue
        found = resolver.resolve(form)
        if found.status == "resolved" and found.paths[0] == note.path:
            return form
    return None


def added_label(link: Link, new: str) -> str | None:
    """The label to give a wiki link that has none when its target, a name,
    becomes an id or a path: the old target, so the reader's sentence keeps its
    words (None when nothing is to add; never for an embed)."""
    old = link.target
    if link.kind != "wiki" or link.label is not None or normalize(old).isdigit():
        return None
    if not (normalize(new).isdigit() or "/" in new) or _NOT_IN_LABEL.intersection(old):
        return None
    return old


def _path_key(path: str) -> str:
    stem = stem_of(path)
    folder = posixpath.dirname(path)
    return f"{folder}/{stem}" if folder else stem


def _url_path(intended: str, source: Note, link: Link) -> str:
    """A Markdown or reference link's new target: ``intended``'s path relative to
    ``source``'s folder (``/``-rooted when the old one was), percent-encoded
    when the old one was or when it must be (a space outside ``<...>``)."""
    start, end = link.target_span
    written = source.body[start:end]
    if written.startswith("/"):
        path = "/" + intended
    else:
        path = posixpath.relpath(intended, posixpath.dirname(source.path) or ".")
        if written.startswith("./") and not path.startswith("../"):
            path = "./" + path
    angled = source.body[:start].rstrip(" ").endswith("<")
    if "%" in written or (not angled and any(c in path for c in " ()<>%")):
        return quote(path, safe=_URL_SAFE)
    return path
