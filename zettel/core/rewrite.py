"""Planning a rename: a note moved to another path, given another title, or both,
with every link that reached it rewritten to keep reaching it (docs/editing.md).

Pure: the vault layer (`zettel.vault.editing`) reads the files and gives them
here as `Source`\\ s; `zettel.core.rename` says what the note becomes; this
module returns a `zettel.core.plan.Plan`.

One rule for every link, whatever its form: it is resolved as the vault is
now (the ``before`` resolver) and as it will be (``after``). A link that
resolved and would then reach another note, none, or several, or that reached
by a file name and would reach by a title only, is rewritten so that it
reaches its note again, in the form closest to the one written
(`_Planner._wiki_forms`): a path stays a path, a file name stays a file name
when the new one is unique (else becomes a path), a title becomes the new
title with the old text as label; a link kept on another note keeps its text
as label; Markdown and reference links get the relative path from their
note's folder. The moved note's own relative Markdown links (to notes and
other files) are recomputed from its new folder. A link that no form keeps
on its note makes the plan refused.
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from urllib.parse import quote, unquote

from zettel.core.linkstyle import path_key
from zettel.core.model import Link, stem_of
from zettel.core.parse import body_to_file
from zettel.core.plan import FileChange, Plan, TextEdit
from zettel.core.rename import (
    PlanRefused,
    Rename,
    Row,
    Source,
    after_resolver,
    keys_to_watch,
    rename_of,
    row_of,
)
from zettel.core.resolve import Named, Resolution, Resolver, normalize

__all__ = ["PlanRefused", "Rename", "Row", "Source", "after_resolver", "keys_to_watch",
           "known_paths", "plan_rename", "rename_of", "row_of"]

#: Characters kept as they are when a path is percent-encoded in a Markdown link.
_URL_SAFE = "/!$&'*+,;=:@-._~"
#: What a wiki link target zettel writes may not hold: what ends it, and a backtick
#: (with another on its line, inline code: the link would be no link).
_NOT_IN_WIKI = frozenset("[]|#`\n\r")
_BY_FILE = ("path", "stem")


class _Planner:
    """Rewrites the links of the sources for one `Rename` (see the module doc)."""

    def __init__(self, rename: Rename, before: Resolver, after: Resolver,
                 rows: Callable[[str], Named | None], known: Callable[[str], str | None],
                 extensions: Sequence[str]) -> None:
        self.rename = rename
        self.before, self.after = before, after
        self.rows, self.known = rows, known
        self.extensions = tuple(e.lower() for e in extensions)
        self.unkept: list[str] = []
        self.others = 0  # links to other notes rewritten to keep their target
        self.as_path = 0  # links by file name written as a path (the new name is not unique)

    def moved(self, path: str) -> str:
        return self.rename.after.path if path == self.rename.before.path else path

    def row(self, path: str) -> Named | None:
        return self.rename.after if path == self.rename.after.path else self.rows(path)

    def edits(self, source: Source) -> tuple[list[TextEdit], int]:
        """The edits (file offsets) of one source, and how many links they rewrite."""
        note = source.note
        old = note.path
        new = self.moved(old)
        to_file = body_to_file(source.text, note.body_line)
        body = note.body
        found: list[TextEdit] = []
        links = 0
        for link in note.links:
            if link.kind == "external":
                continue
            wiki = body.startswith("[[", link.start + (link.kind == "embed"))
            made: list[TextEdit] | None
            if not wiki and old != new and self._relative_file(link, body, old) is not None:
                made = self._own_relative(link, body, old, new)
            else:
                made = self._relink(link, body, old, new, wiki)
            if made is None:
                self.unkept.append(f"{old}:{link.line}")
            elif made:
                links += 1
                found += [TextEdit(to_file(s), to_file(e), r) for s, e, r in made]
        return found, links

    def _relative_file(self, link: Link, body: str, source: str) -> str | None:
        """The note or file a relative Markdown link of ``source`` names, if any."""
        target = link.target
        if target.startswith("/") or not target:
            return None
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
        if joined.startswith("../") or joined == "..":
            return None
        return self.known(joined)

    def _own_relative(self, link: Link, body: str, old: str, new: str) -> list[TextEdit]:
        """A relative Markdown link of the moved note, from its new folder."""
        reached = self._relative_file(link, body, old)
        assert reached is not None
        intended = self.moved(reached)
        written = body[slice(*link.target_span)]
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(new), link.target))
        if normalize(joined) == normalize(intended):
            return []
        return [TextEdit(*link.target_span, _url_path(intended, new, written, body, link))]

    def _relink(self, link: Link, body: str, old: str, new: str,
                wiki: bool) -> list[TextEdit] | None:
        before = self.before.resolve_link(link, old)
        if before.status != "resolved" or before.step == "self" or before.is_file:
            return []
        intended = self.moved(before.paths[0])
        after = self.after.resolve_link(link, new)
        if (after.status == "resolved" and after.paths[0] == intended and not after.is_file
                and self._still(link, body, before, after, intended, wiki)):
            return []
        if intended != self.rename.after.path:
            self.others += 1
        if not wiki:
            written = body[slice(*link.target_span)]
            text = _url_path(intended, new, written, body, link)
            check = link._replace(target=unquote(text) if "%" in text else text)
            found = self.after.resolve_link(check, new)
            if found.status == "resolved" and found.paths[0] == intended:
                return [TextEdit(*link.target_span, text)]
            return None
        return self._wiki(link, body, before, intended)

    def _still(self, link: Link, body: str, before: Resolution, after: Resolution,
               intended: str, wiki: bool) -> bool:
        """Whether a link that will reach its note still reaches it as written:
        a relative path by a relative path; a file name by a file name, or by
        the note's title or alias when written exactly as it (``[[Old]]`` to a
        note titled Old, not ``[[old]]``)."""
        if not wiki:
            return before.step != "path" or after.step == "path"
        if before.step not in _BY_FILE or after.step in _BY_FILE:
            return True
        row = self.row(intended)
        written = body[slice(*link.target_span)]
        if before.link_type and written.startswith(f"{before.link_type}:"):
            written = written[len(before.link_type) + 1:]
        return row is not None and (written == row.title or written in row.aliases)

    def _wiki(self, link: Link, body: str, before: Resolution,
              intended: str) -> list[TextEdit] | None:
        written = body[slice(*link.target_span)]
        prefix = f"{before.link_type}:" if before.link_type else ""
        bare = written[len(prefix):] if written.startswith(prefix) else written
        row = self.row(intended)
        other = intended != self.rename.after.path  # kept from changing target: same text
        for form, labelled in self._wiki_forms(before.step or "", bare, intended, row):
            labelled = labelled or other
            if not form or _NOT_IN_WIKI.intersection(form) or form != form.strip():
                continue
            found = self.after.resolve(prefix + form)
            if found.status != "resolved" or found.paths[0] != intended or found.is_file:
                continue
            if before.step in ("path", "stem") and "/" in form and "/" not in bare:
                self.as_path += 1
            edits = [TextEdit(*link.target_span, prefix + form)]
            if not labelled or link.kind != "wiki":
                return edits
            label = link.label_span
            if label is None and normalize(form) != normalize(bare):
                close = link.start + link.length - 2
                edits.append(TextEdit(close, close, f"|{bare}"))
            elif label is not None and normalize(body[slice(*label)]) == normalize(form):
                # [[New|old]] back to [[old]]: the label says what the target now says
                after = (link.heading_span or link.target_span)[1]
                if body[after:label[0]].strip() == "|":
                    edits = [TextEdit(*link.target_span, prefix + body[slice(*label)]),
                             TextEdit(after, label[1], "")]
            return edits
        return None

    def _wiki_forms(self, step: str, bare: str, intended: str,
                    row: Named | None) -> list[tuple[str, bool]]:
        """The targets to try for a wiki link written ``bare`` that reached
        ``intended`` at ``step``, best first, and whether each needs the old
        text as label."""
        ext = ""
        dot = bare.rfind(".")
        name = intended.rsplit("/", 1)[-1]
        if dot > 0 and bare[dot + 1:].lower() in self.extensions and "." in name:
            ext = name[name.rfind("."):]
        slash = "/" if bare.startswith("/") else ""
        path = slash + path_key(intended) + ext
        stem = stem_of(intended) + ext
        note_id = row.id if row is not None else None
        title = row.title if row is not None else None
        if step == "path" and "/" in bare.lstrip("/"):
            return [(path, False)]
        if step == "path":  # at the top folder a path is a file name
            step = "stem"
        if step == "stem":
            return [(stem, False), (path, False)]
        if step == "id":
            return [(note_id or "", False), (stem, False), (path, False)]
        return [(title or "", True), (note_id or "", True), (path, True)]


def _url_path(intended: str, source: str, written: str, body: str, link: Link) -> str:
    """The target of a Markdown or reference link from ``source`` to ``intended``,
    written as the old one was: absolute (``/``) or relative, ``./`` kept,
    percent-encoded when it was or must be (a space outside ``<...>``)."""
    if written.startswith("/"):
        path = "/" + intended
    else:
        path = posixpath.relpath(intended, posixpath.dirname(source) or ".")
        if written.startswith("./") and not path.startswith("../"):
            path = "./" + path
    start = link.target_span[0]
    angled = body[:start].rstrip(" ").endswith("<")
    if "%" in written or (not angled and any(c in path for c in " ()<>%")):
        return quote(path, safe=_URL_SAFE)
    return path


def plan_rename(rename: Rename, sources: Sequence[Source], *, before: Resolver,
                after: Resolver, rows: Callable[[str], Named | None],
                known: Callable[[str], str | None], extensions: Sequence[str],
                action: str, summary: str) -> Plan:
    """The plan of ``rename``: its front-matter edits and move, and each link of
    ``sources`` rewritten as the module doc says. ``rows(path)`` gives a note's
    row now, ``known(path)`` the note or file at a vault path (compared as
    links are: case and Unicode form ignored), or None. Raises `PlanRefused`."""
    planner = _Planner(rename, before, after, rows, known, extensions)
    changes = []
    for source in sorted(sources, key=lambda s: s.note.path):
        path = source.note.path
        edits, links = planner.edits(source)
        if path == rename.before.path:
            edits = [*rename.front, *edits]
        _no_overlap(path, edits)
        moved = rename.after.path if path == rename.before.path and rename.moved else None
        if edits and not source.utf8:
            raise PlanRefused(f"'{path}' is not valid UTF-8: zettel does not rewrite it, and "
                              f"{links or 'its'} link(s) in it would need rewriting; "
                              "nothing was written")
        if edits or moved:
            changes.append(FileChange(path, source.text, source.digest, tuple(edits), moved,
                                      links))
    if planner.unkept:
        shown = ", ".join(planner.unkept[:5]) + (" ..." if len(planner.unkept) > 5 else "")
        raise PlanRefused(f"{len(planner.unkept)} link(s) could not be rewritten to keep "
                          f"their target ({shown}); nothing was written")
    warnings = list(rename.warnings)
    if planner.as_path:
        warnings.append(f"{planner.as_path} link(s) by file name now written as a path: the "
                        f"name '{stem_of(rename.after.path)}' is not unique in the vault")
    if planner.others:
        warnings.append(f"{planner.others} link(s) to other notes rewritten: as written, they "
                        f"would have reached '{rename.after.path}' (or several notes) after "
                        "this change")
    return Plan(action, summary, tuple(changes), warnings=tuple(warnings))


def _no_overlap(path: str, edits: list[TextEdit]) -> None:
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    for first, second in zip(ordered, ordered[1:], strict=False):
        if second.start < first.end or (second.start == first.end == first.start
                                        == second.end):
            raise PlanRefused(f"'{path}': two rewrites meet at character {second.start} (a "
                              "link inside the heading that holds the title?); nothing was "
                              "written")


def known_paths(paths: Iterable[str]) -> Mapping[str, str]:
    """A table of vault paths by their `normalize`\\ d form, for ``known``."""
    return {normalize(p): p for p in paths}
