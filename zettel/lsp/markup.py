"""Vault text shown by the editor: as Markdown that cannot inject anything, or plain.

A note's title or paragraph is untrusted: shown as Markdown as it is, ``[x](command:...)``
would be a link that runs an editor command, ``<img src=...>`` HTML, and ``**`` would
restyle what follows. `escape` puts a backslash before every ASCII punctuation
character (CommonMark shows each one as itself) and shows control characters as
their escapes (`zettel.core.display.clean`), so the text reads as written and does
nothing else.
"""

from __future__ import annotations

import re

from lsprotocol import types

from zettel.core.display import clean

_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_FIRST_PARAGRAPH = re.compile(r"\S[^\n]*(?:\n[ \t]*\S[^\n]*)*")


def escape(text: str) -> str:
    """``text`` on one line, safe in Markdown (see the module doc)."""
    return _PUNCTUATION.sub(r"\\\1", clean(" ".join(text.split())))


def first_paragraph(body: str, limit: int = 600) -> str:
    """The first paragraph of a body that is not a heading, on one line, cut at ``limit``."""
    for m in _FIRST_PARAGRAPH.finditer(body):
        text = m.group()
        if text.startswith("#") and "\n" not in text:
            continue  # a heading alone
        lines = [line for line in text.split("\n") if not line.lstrip().startswith("#")]
        found = " ".join(" ".join(lines).split())
        if found:
            return found if len(found) <= limit else found[:limit].rstrip() + "…"
    return ""


def first_line(body: str, limit: int = 80) -> str:
    """The first line of a body that is neither blank nor a heading, cut at ``limit``."""
    for line in body.split("\n", 200)[:200]:
        text = line.strip()
        if text and not text.startswith("#"):
            text = " ".join(text.split())
            return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    return ""


class Content:
    """Hover and documentation text, built as Markdown or as plain text."""

    def __init__(self, markdown: bool) -> None:
        self.markdown = markdown
        self._parts: list[str] = []

    def text(self, value: str, *, strong: bool = False) -> Content:
        """Vault text (escaped in Markdown)."""
        if self.markdown:
            shown = escape(value)
            self._parts.append(f"**{shown}**" if strong and shown else shown)
        else:
            self._parts.append(clean(" ".join(value.split())))
        return self

    def own(self, value: str) -> Content:
        """zettel's own words (a label, punctuation): as they are."""
        self._parts.append(value)
        return self

    def line(self) -> Content:
        """A line break."""
        self._parts.append("  \n" if self.markdown else "\n")
        return self

    def rule(self) -> Content:
        """A separation between parts."""
        self._parts.append("\n\n---\n\n" if self.markdown else "\n\n")
        return self

    def build(self) -> types.MarkupContent:
        kind = types.MarkupKind.Markdown if self.markdown else types.MarkupKind.PlainText
        return types.MarkupContent(kind=kind, value="".join(self._parts).strip())
