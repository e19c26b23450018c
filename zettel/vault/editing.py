"""Plans of ``zettel mv`` and ``zettel retitle`` (and of the editor server's and
the TUI's renames): what they need is read from the disk here, the links are
planned by `zettel.core.rewrite`.

Only the notes that may hold a link to rewrite are read: the backlinks of the
note, and of the notes its new names lead to now, as the facts memo
(`zettel.vault.facts`) knows them; never the whole vault. Each is parsed from
the bytes read, whose digest the plan keeps, so the writer refuses a file
changed between the plan and the write.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from zettel.core.linkstyle import LinkStyle, most_used
from zettel.core.model import stem_of
from zettel.core.parse import decode, parse_bytes
from zettel.core.plan import Plan
from zettel.core.resolve import Named
from zettel.core.rewrite import (
    PlanRefused,
    Rename,
    Source,
    after_resolver,
    keys_to_watch,
    known_paths,
    plan_rename,
    rename_of,
)
from zettel.vault.config import load_config
from zettel.vault.facts import Facts, vault_facts
from zettel.vault.scan import content_digest, read_bytes

__all__ = ["PlanRefused", "link_style", "plan_move", "plan_retitle", "read_source",
           "target_path"]

#: A file name ending like an extension (``.png``, ``.txt2``): refused when it
#: is not a note extension, rather than given one after it.
_EXTENSION = re.compile(r"[A-Za-z0-9]{1,5}")
#: What a title or a new path may not hold: C0 and C1 controls (a tab too), DEL, line
#: separators, and lone surrogates (an argument that is not UTF-8).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def link_style(root: Path | str, facts: Facts | None = None) -> LinkStyle:
    """The style of the links zettel writes: the vault's ``link_style`` setting,
    else the style most of its resolved wiki links use (``id`` when none)."""
    chosen = load_config(Path(root)).link_style
    if chosen is not None:
        return chosen
    if facts is None:
        facts = vault_facts(root)[0]
    return most_used(facts.styles)


def read_source(root: Path | str, path: str) -> Source:
    """The note at ``path`` as the planners take it (raises `PlanRefused` when
    it cannot be read)."""
    try:
        data = read_bytes(root, path)
    except OSError as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise PlanRefused(f"'{path}' cannot be read ({reason}); nothing was written") from err
    try:
        text, utf8 = data.decode("utf-8"), True
    except UnicodeDecodeError:
        text, utf8 = decode(data)[0], False
    return Source(parse_bytes(path, data), text, content_digest(data), utf8)


def target_path(root: Path | str, facts: Facts, note: str, new_path: str) -> str:
    """The vault-relative path ``new_path`` names for the note ``note``.

    ``new_path`` is vault-relative, or an absolute path inside the vault; a
    folder (ending in ``/``, or one that exists) keeps the file name; a name
    without extension gets the note's. Raises `PlanRefused` for a path
    outside the vault, with ``..``, hidden (a part starting with ``.``),
    ignored by the vault's ``ignore`` setting, with another extension than a
    note's, or where a file already is.
    """
    try:
        return _target_path(root, facts, note, new_path)
    except OSError as err:  # a name too long for the system, a folder that cannot be read
        raise PlanRefused(f"'{new_path}' cannot be used here: "
                          f"{err.strerror or err}") from err


def _target_path(root: Path | str, facts: Facts, note: str, new_path: str) -> str:
    root = Path(root)
    text = new_path
    if not text or "\0" in text:
        raise PlanRefused(f"'{new_path}' is not a path")
    if _CONTROL.search(text):
        raise PlanRefused(f"'{new_path}' holds a control character (or a byte that is not "
                          "UTF-8), which links to the note would carry; choose another path")
    if os.path.isabs(text):
        rel = None
        for base in (os.path.abspath(root), os.path.realpath(root)):
            try:
                rel = Path(os.path.abspath(text)).relative_to(base).as_posix()
                break
            except ValueError:
                continue
        if rel is None:
            raise PlanRefused(f"'{new_path}' is outside the vault {root}; zettel moves notes "
                              "within it only")
        text = rel + ("/" if new_path.endswith(("/", os.sep)) else "")
    parts = PurePosixPath(text.replace("\\", "/") if os.sep == "\\" else text).parts
    if ".." in parts:
        raise PlanRefused(f"'{new_path}' goes out of its folder ('..'); give a path from the "
                          "vault's top folder")
    folder_only = text.endswith("/") or text in ("", ".")
    parts = tuple(p for p in parts if p not in (".", "/"))
    rel = "/".join(parts)
    if folder_only or (rel and (root / rel).is_dir()):
        rel = f"{rel}/{note.rsplit('/', 1)[-1]}" if rel else note.rsplit("/", 1)[-1]
    name = rel.rsplit("/", 1)[-1]
    if any(part.startswith(".") for part in rel.split("/")):
        raise PlanRefused(f"'{rel}' is hidden (a name starting with '.'); zettel does not read "
                          "notes there")
    ignored = [p for p in load_config(root).ignore
               if fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p)]
    if ignored:  # (as zettel.vault.scan ignores them)
        raise PlanRefused(f"'{rel}' is ignored by the vault's settings ('{ignored[0]}'); the "
                          "note would no longer be read")
    ext = name.rsplit(".", 1)[1] if "." in name else ""
    if ext.lower() not in facts.extensions:
        if ext and _EXTENSION.fullmatch(ext):
            raise PlanRefused(f"'{rel}' does not end in a note extension "
                              f"({', '.join('.' + e for e in facts.extensions)})")
        old_name = note.rsplit("/", 1)[-1]
        rel += old_name[old_name.rfind("."):] if "." in old_name else ""
    if rel == note:
        raise PlanRefused(f"'{note}' is already there")
    where = root / rel
    if os.path.lexists(where):
        raise PlanRefused(f"'{rel}' already exists; zettel does not overwrite it")
    for parent in PurePosixPath(rel).parents:
        if str(parent) != "." and (root / parent).exists() and not (root / parent).is_dir():
            raise PlanRefused(f"'{parent}' is a file, not a folder")
    return rel


def plan_move(root: Path | str, note: str, new_path: str, *, facts: Facts | None = None) -> Plan:
    """The plan of moving the note ``note`` (vault-relative) to ``new_path``
    (see `target_path`), every link that reached it rewritten. Raises `PlanRefused`."""
    root = Path(root)
    facts = _facts(root, facts, note)
    new = target_path(root, facts, note, new_path)
    source = read_source(root, note)
    rename = rename_of(source, new_path=new)
    plan = _plan(root, facts, source, rename, "mv", f"mv {note} -> {new}")
    return _with_details(plan, {"note": note, "new_path": new})


def plan_retitle(root: Path | str, note: str, title: str, *, alias: bool = False,
                 rename_file: bool = False, facts: Facts | None = None) -> Plan:
    """The plan of giving the note ``note`` the title ``title``: links by its old
    title rewritten (``[[Old]]`` becomes ``[[New|Old]]``), or, with ``alias``,
    the old title kept as an alias and no link rewritten; with ``rename_file``,
    a file named after the old title (its slug, or ``{id}-{slug}``) renamed
    after the new one too. Raises `PlanRefused`."""
    root = Path(root)
    facts = _facts(root, facts, note)
    if not title.strip() or title != title.strip() or any(c in title for c in "\r\n"):
        raise PlanRefused(f"{title!r} is not a title (one line, without spaces around it)")
    if _CONTROL.search(title):
        raise PlanRefused(f"{title!r} is not a title: it holds a control character (or a "
                          "byte that is not UTF-8), which notes and terminals would carry")
    source = read_source(root, note)
    old = source.note.title
    found = facts.resolver.resolve(title)
    others = [p for p in found.paths if p != note] if not found.is_file else []
    if found.status != "broken" and others:
        raise PlanRefused(f"'{title}' already names {', '.join(others)} (by {found.step}): "
                          "links by that title would not reach this note; choose another "
                          "title")
    new_path, warnings = None, []
    if rename_file:
        new_path, warning = _file_after_title(root, facts, note, source.note.id, old, title)
        if warning:
            warnings.append(warning)
    summary = f"retitle {note}: '{old}' -> '{title}'"
    details = {"note": note, "old_title": old, "title": title, "alias": alias,
               "new_path": new_path}
    if title == old and new_path is None:
        return Plan("retitle", summary, details=details)
    rename = rename_of(source, new_path=new_path, title=title, alias=alias)
    plan = _plan(root, facts, source, rename, "retitle", summary)
    if warnings:
        plan = Plan(plan.action, plan.summary, plan.changes, plan.creates,
                    (*warnings, *plan.warnings))
    return _with_details(plan, details)


def _file_after_title(root: Path, facts: Facts, note: str, note_id: str | None, old: str,
                      title: str) -> tuple[str | None, str | None]:
    """The new path of a note whose file is named after its title, or a warning."""
    from zettel.vault.create import CreateError, slugify  # noqa: PLC0415 - PyYAML

    stem = stem_of(note)
    try:
        old_slug, new_slug = slugify(old), slugify(title)
    except CreateError:
        return None, f"'{note}': no file name can be made from '{title}'; not renamed"
    if stem == old_slug:
        new_stem = new_slug
    elif note_id and stem == f"{note_id}-{old_slug}":
        new_stem = f"{note_id}-{new_slug}"
    else:
        return None, (f"'{note}' is not named after its title (as '{old_slug}' or "
                      f"'{{id}}-{old_slug}'); the file is not renamed")
    folder, _, name = note.rpartition("/")
    ext = name[name.rfind("."):] if "." in name else ""
    new = f"{folder}/{new_stem}{ext}" if folder else f"{new_stem}{ext}"
    if new == note:
        return None, None
    return target_path(root, facts, note, new), None


def _facts(root: Path, facts: Facts | None, note: str) -> Facts:
    if facts is None:
        facts = vault_facts(root)[0]
    if note not in facts.notes:
        raise PlanRefused(f"'{note}' is not a note of the vault {root}")
    return facts


def _plan(root: Path, facts: Facts, source: Source, rename: Rename, action: str,
          summary: str) -> Plan:
    """Read the notes whose links may change and plan the rename."""
    note = rename.before.path
    watch = keys_to_watch(facts.resolver, rename)
    paths = {src for target in watch for src, _ in facts.backlinks.get(target, ())}
    paths.discard(note)
    sources = [source, *(read_source(root, path) for path in sorted(paths))]
    after = after_resolver(facts.notes.values(), rename, facts.files, facts.extensions,
                           before=facts.resolver)
    rows: Callable[[str], Named | None] = facts.notes.get
    return plan_rename(rename, sources, before=facts.resolver, after=after, rows=rows,
                       known=_known(facts), extensions=facts.extensions, action=action,
                       summary=summary)


def _known(facts: Facts) -> Callable[[str], str | None]:
    """``known`` for `plan_rename`: the table is built on first use only."""
    table: dict[str, str] = {}

    def known(path: str) -> str | None:
        if not table:
            table.update(known_paths([*facts.notes, *facts.files]))
        from zettel.core.resolve import normalize  # noqa: PLC0415

        return table.get(normalize(path))

    return known


def _with_details(plan: Plan, details: dict[str, object]) -> Plan:
    return Plan(plan.action, plan.summary, plan.changes, plan.creates, plan.warnings,
                {**plan.details, **details})
