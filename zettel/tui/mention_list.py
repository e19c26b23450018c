"""The Mentions panel: where other notes write the title (or an alias) of the
note shown without linking it, with a key to turn one, or all, into links."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from zettel.core.display import clean

if TYPE_CHECKING:
    from zettel.core.mentions import Mention

#: At most this many characters of a mention's line are shown before it, and after it.
BEFORE, AFTER = 30, 80


class MentionList(OptionList):
    """The unlinked mentions of the note shown: the note each is in (title,
    line), its line with the mention marked. Enter opens that note there."""

    BINDINGS = [
        Binding("l", "link", "Link mention", tooltip="turn the highlighted mention into a "
                "link to this note (u undoes it)"),
        Binding("L", "link_all", "Link all mentions", tooltip="all those listed but the "
                "flagged ones (short, ambiguous, common: l links them)"),
    ]

    class Link(Message):
        """Turn these mentions into links to the note shown."""

        def __init__(self, mentions: list[Mention]) -> None:
            super().__init__()
            self.mentions = mentions

    class Open(Message):
        """Open the note ``path`` at ``line`` (where the mention is)."""

        def __init__(self, path: str, line: int) -> None:
            super().__init__()
            self.path, self.line = path, line

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.mentions: list[Mention] = []

    def show(self, mentions: Sequence[Mention], titles: dict[str, str],
             readable: Callable[[str], str] = str) -> None:
        """List ``mentions``; ``titles`` gives the title of each note they are in,
        ``readable`` shows the wiki links around a mention by title."""
        self.mentions = list(mentions)
        self.set_options(Option(_mention_text(m, titles.get(m.source, m.source), readable),
                                id=str(i)) for i, m in enumerate(self.mentions))

    def on_focus(self) -> None:
        if self.highlighted is None and self.mentions:
            self.highlighted = 0

    def action_link(self) -> None:
        if self.highlighted is not None and self.highlighted < len(self.mentions):
            self.post_message(self.Link([self.mentions[self.highlighted]]))
        else:
            self.notify("No mention to link", severity="warning")

    def action_link_all(self) -> None:
        plain_ones = [m for m in self.mentions if m.flag is None]
        if plain_ones:
            self.post_message(self.Link(plain_ones))
        else:
            self.notify("No mention to link: flagged ones are linked one by one (l)",
                        severity="warning")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        mention = self.mentions[int(event.option.id or 0)]
        self.post_message(self.Open(mention.source, mention.line))


def _mention_text(mention: Mention, title: str, readable: Callable[[str], str]) -> Text:
    """``Title:line (flag)`` then the line, the mention marked."""
    text = Text(clean(title), style="bold")
    text.append(f":{mention.line}", style="dim")
    if mention.flag:
        text.append(f" ({mention.flag})", style="yellow")
    line = mention.line_text
    at = mention.column - 1
    if line[at:at + len(mention.text)] != mention.text:
        at = line.find(mention.text)
    if at < 0:  # over two lines: the line it starts on
        text.append("\n" + clean(readable(line).strip()[:BEFORE + AFTER]), style="dim")
        return text
    end = at + len(mention.text)
    before = readable(line[:at])
    before = ("…" + before[-BEFORE:]) if len(before) > BEFORE else before.lstrip()
    after = readable(line[end:]).rstrip()
    after = (after[:AFTER] + "…") if len(after) > AFTER else after
    text.append("\n" + clean(before), style="dim")
    text.append(clean(mention.text), style="bold reverse")
    text.append(clean(after), style="dim")
    return text
