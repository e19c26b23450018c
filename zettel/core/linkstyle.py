"""The link style: how the wiki links zettel writes name a note.

Four styles, after what a vault's links already look like:

- ``id``: ``[[20240105093000]]`` (a label when one is given: ``[[20240105093000|text]]``);
- ``id-title``: ``[[20240105093000|Zettelkasten]]``;
- ``title``: ``[[Zettelkasten]]``;
- ``path``: ``[[folder/note]]``, the vault-relative path without extension.

`detect_style` finds the style most resolved wiki links of a vault use;
`format_link` writes a link to a note in a style, falling back to a form
that works when the style cannot name the note (no id, a title holding a
character a wiki link cannot hold).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal

from zettel.core.model import Link
from zettel.core.resolve import Named, Resolution, Resolver, normalize

LinkStyle = Literal["id", "id-title", "title", "path"]
STYLES: tuple[LinkStyle, ...] = ("id", "id-title", "title", "path")
#: What a wiki link's target or label cannot hold (the parser would read it otherwise;
#: a backtick with another on its line makes inline code, and the link no link).
_NOT_IN_WIKI = frozenset("[]`\n\r")
_NOT_IN_TARGET = frozenset("[]|#`\n\r")


def style_of(link: Link, found: Resolution) -> LinkStyle | None:
    """The style of one resolved wiki link (or embed) to a note; None for any other link."""
    if link.kind not in ("wiki", "embed") or found.status != "resolved" or found.is_file:
        return None
    step = found.step
    if step == "id":
        return "id" if link.label is None else "id-title"
    if step in ("title", "alias"):
        return "title"
    if step in ("path", "stem"):
        return "path"
    return None


def count_styles(links: Iterable[tuple[Link, Resolution]]) -> Counter[str]:
    """How many resolved wiki links use each style."""
    found: Counter[str] = Counter()
    for link, resolution in links:
        style = style_of(link, resolution)
        if style is not None:
            found[style] += 1
    return found


def most_used(counts: Counter[str] | dict[str, int]) -> LinkStyle:
    """The style with the highest count; ties go to the first of `STYLES`; ``id`` when none."""
    best: LinkStyle = "id"
    top = 0
    for style in STYLES:
        if counts.get(style, 0) > top:
            best, top = style, counts[style]
    return best


def detect_style(links: Iterable[tuple[Link, Resolution]]) -> LinkStyle:
    """The style most resolved wiki links use (``id`` when there are none)."""
    return most_used(count_styles(links))


def path_key(path: str) -> str:
    """A note's path without its extension: the target of a ``path`` style link."""
    folder, _, name = path.rpartition("/")
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return f"{folder}/{stem}" if folder else stem


def _usable(text: str | None, forbidden: frozenset[str]) -> bool:
    return bool(text and text.strip() == text and not forbidden.intersection(text))


def format_link(style: LinkStyle, note: Named, label: str | None = None,
                resolver: Resolver | None = None) -> str:
    """The wiki link text to write for ``note`` in ``style``.

    ``label`` (text as written, say a mention) becomes the link's label
    (``[[id|label]]``), unless it is what the target already says. A style
    that cannot name the note falls back: no id to ``path``, a title a wiki
    link cannot hold (``[``, ``]``, ``|``, ``#``) to ``id`` then ``path``.
    With a ``resolver``, a target that would not reach the note (a title two
    notes share) falls back the same way.
    """
    if label is not None and not _usable(label, _NOT_IN_WIKI):
        label = None
    order: list[LinkStyle] = [style, *(s for s in ("id", "path") if s != style)]
    for choice in order:
        target = {"id": note.id, "id-title": note.id, "title": note.title,
                  "path": path_key(note.path)}[choice]
        if target is None or not _usable(target, _NOT_IN_TARGET):
            continue
        if resolver is not None and choice != "path":
            found = resolver.resolve(target)
            if found.status != "resolved" or found.paths[0] != note.path:
                continue
        shown = label
        if style == "id-title" and shown is None:
            shown = note.title if _usable(note.title, _NOT_IN_WIKI) else None
        if shown is None or normalize(shown) == normalize(target) and shown == target:
            return f"[[{target}]]"
        return f"[[{target}|{shown}]]"
    return f"[[{path_key(note.path)}]]"


def style_to(link: Link, note: Named, extensions: Iterable[str] = ("md", "markdown", "txt")
             ) -> LinkStyle | None:
    """The style of ``link``, a wiki link (or embed) known to reach ``note``: the
    name it matches, tried in the order of resolution (no resolver needed)."""
    if link.kind not in ("wiki", "embed"):
        return None
    exts = tuple(extensions)
    target = link.target
    tries = [target]
    if ":" in target:
        tries.append(target.split(":", 1)[1])
    for text in tries:
        key = normalize(text)
        if note.id and key == normalize(note.id):
            return "id" if link.label is None else "id-title"
        bare = text.lstrip("/")
        stem, dot, ext = bare.rpartition(".")
        if dot and stem and ext.lower() in exts:
            bare = stem
        bare = normalize(bare)
        where = normalize(path_key(note.path))
        if bare in (where, where.rsplit("/", 1)[-1]):
            return "path"
        if key == normalize(note.title) or any(key == normalize(a) for a in note.aliases):
            return "title"
    return None
