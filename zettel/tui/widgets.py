"""The widgets of the main screen. Each shows what it is given (attributes go
down) and tells what the person chose with a message (messages go up)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Label, Markdown, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from zettel.core.display import clean, clean_lines, describe
from zettel.core.model import Note
from zettel.tui.mention_list import MentionList
from zettel.tui.model import LINK_SCHEME, LinkView

if TYPE_CHECKING:
    from zettel.core.mentions import Mention

#: The note list adds rows a page at a time, as the cursor nears the end.
PAGE = 100


def notice(node: Widget | App[Any], message: str, **options: Any) -> None:
    """Notify ``message`` as plain text: never markup, control characters shown
    as escapes (it may quote titles and file names from the vault)."""
    node.notify(clean(message), markup=False, **options)


def plain(text: str, style: str = "") -> Text:
    """One line of vault text for a widget: a `Text` (a str would be read as
    markup), its control characters shown as escapes."""
    return Text(clean(text), style=style)


class NoteList(DataTable[Text]):
    """The notes, one row each: title, id, types, backlinks."""

    class Chosen(Message):
        """The cursor moved to a note."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self.paths: list[str] = []
        self._notes: list[Note] = []
        self._backlinks: dict[str, int] = {}

    def on_mount(self) -> None:
        self.add_column("Title", key="title")
        self.add_column("Id", key="id")
        self.add_column("Types", key="types")
        self.add_column("↩", key="backlinks")

    def show(self, notes: list[Note], backlinks: dict[str, int], keep: str | None) -> None:
        """Replace the rows (the first page, or up to ``keep``); keep the cursor on it."""
        with self.prevent(DataTable.RowHighlighted):  # the person did not move
            self.clear()
            self.paths, self._notes, self._backlinks = [], notes, backlinks
            wanted = next((i for i, n in enumerate(notes) if n.path == keep), 0)
            while len(self.paths) <= wanted and len(self.paths) < len(notes):
                self._add_page()
            if keep in self.paths:
                self.move_cursor(row=self.paths.index(keep), animate=False)

    def _add_page(self) -> None:
        page = self._notes[len(self.paths):len(self.paths) + PAGE]
        self.paths += [n.path for n in page]
        counts = self._backlinks
        # Text cells, not str: a str cell is parsed as console markup, row by row.
        self.add_rows((plain(n.title), plain(n.id or ""), plain(", ".join(n.types)),
                       Text(str(counts.get(n.path) or ""))) for n in page)

    def point_at(self, path: str) -> None:
        """Put the cursor on ``path`` if it is listed (the note shown)."""
        row = self.paths.index(path) if path in self.paths else None
        if row is not None and self.cursor_row != row:
            with self.prevent(DataTable.RowHighlighted):
                self.move_cursor(row=row, animate=False)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.cursor_row >= len(self.paths) - 20 and len(self.paths) < len(self._notes):
            self._add_page()
        if 0 <= event.cursor_row < len(self.paths):
            self.post_message(self.Chosen(self.paths[event.cursor_row]))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row shows its note (the row under the cursor after a filter)."""
        event.stop()
        if 0 <= event.cursor_row < len(self.paths):
            self.post_message(self.Chosen(self.paths[event.cursor_row]))


class TagPanel(Tree[tuple[str, str]]):
    """Tags (nested by ``/``) and types, with counts. Enter on tags selects
    several (a note with any of them is shown); Enter on a type filters by it."""

    class Changed(Message):
        """The chosen tags or type changed."""

        def __init__(self, tags: frozenset[str], note_type: str | None) -> None:
            super().__init__()
            self.tags = tags
            self.note_type = note_type

    def __init__(self, **kwargs: object) -> None:
        super().__init__("filters", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.auto_expand = False
        self.chosen_tags: set[str] = set()
        self.chosen_type: str | None = None
        self._counts: dict[str, Counter[str]] = {}

    def show(self, tags: Counter[str], types: Counter[str]) -> None:
        """Rebuild the tree from the counts, keeping what was chosen."""
        self._counts = {"tag": tags, "type": types}
        self.chosen_tags &= set(tags)
        if self.chosen_type not in types:
            self.chosen_type = None
        self.clear()
        tag_branch = self.root.add(f"Tags ({len(tags)})", expand=True)
        branches = {"": tag_branch}
        for name in sorted(tags, key=str.casefold):
            parent = ""
            for part in name.split("/")[:-1]:
                key = f"{parent}/{part}" if parent else part
                if key not in branches:
                    branches[key] = branches[parent].add(plain(part), expand=False)
                parent = key
            branches[parent].add_leaf("", data=("tag", name))
        type_branch = self.root.add(f"Types ({len(types)})", expand=True)
        for name in sorted(types, key=str.casefold):
            type_branch.add_leaf("", data=("type", name))
        self._relabel()

    def on_focus(self) -> None:
        if self.cursor_line < 0:
            self.cursor_line = 0

    def _relabel(self) -> None:
        def walk(node):  # type: ignore[no-untyped-def]
            for child in node.children:
                if child.data:
                    kind, name = child.data
                    chosen = name in self.chosen_tags if kind == "tag" else name == self.chosen_type
                    label = plain(("✓ " if chosen else "  ") + name.rsplit("/", 1)[-1],
                                  style="bold" if chosen else "")
                    label.append(f" {self._counts[kind][name]}", style="dim")
                    child.set_label(label)
                walk(child)
        walk(self.root)

    @on(Tree.NodeSelected)
    def _selected(self, event: Tree.NodeSelected[tuple[str, str]]) -> None:
        event.stop()
        if event.node.data is None:
            event.node.toggle()
            return
        kind, name = event.node.data
        if kind == "tag":
            self.chosen_tags ^= {name}
        else:
            self.chosen_type = None if self.chosen_type == name else name
        self._relabel()
        self.post_message(self.Changed(frozenset(self.chosen_tags), self.chosen_type))

    def clear_choices(self) -> None:
        """Unselect every tag and the type."""
        self.chosen_tags.clear()
        self.chosen_type = None
        self._relabel()
        self.post_message(self.Changed(frozenset(), None))


class Reader(VerticalScroll):
    """A note: its header and its body as Markdown. Tab and Shift+Tab go from
    link to link, Enter follows the one marked; a click follows any."""

    BINDINGS = [
        Binding("tab", "next_link", "Next link", show=False,
                tooltip="mark the note's links one by one; past the last, the next panel"),
        Binding("shift+tab", "previous_link", "Previous link", show=False),
        Binding("enter", "follow", "Follow link", show=False, tooltip="the marked one"),
        Binding("o", "open_url", "Open web link", show=False,
                tooltip="the marked one, in the browser"),
    ]

    class LinkChosen(Message):
        """The person asked to follow a link of the note."""

        def __init__(self, view: LinkView) -> None:
            super().__init__()
            self.view = view

    class WantsRender(Message):
        """The marked link changed: the note must be rendered again."""

        def __init__(self, selected: int | None) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.can_focus = True
        self.links: list[LinkView] = []
        self.selected: int | None = None
        self.total_lines = 1
        self.first_line = 1
        self.shown = ""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="note-header")
        yield Markdown(id="note-body", open_links=False)

    def show(self, header: Text, body: str, links: list[LinkView], *, selected: int | None = None,
             line: int | None = None, keep_scroll: bool = False, first_line: int = 1) -> None:
        """Display a note whose body starts at line ``first_line`` of its file;
        scroll to the file's ``line`` when given. Control characters of the
        body are shown as escapes (the header must be clean already)."""
        body = clean_lines(body)
        self.links, self.selected = links, selected
        self.total_lines = max(1, body.count("\n") + 1)
        self.first_line = first_line
        self.shown = body
        self.query_one("#note-header", Static).update(header)
        pending = self.query_one("#note-body", Markdown).update(body)
        if not keep_scroll:
            self.run_worker(self._scroll_once_shown(pending, line), exclusive=True,
                            group="scroll", exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # a failure to scroll is not worth a crash
            notice(self, f"Cannot scroll the note: {describe(event.worker.error or Exception())}",
                   severity="error")

    async def _scroll_once_shown(self, pending: Awaitable[object], line: int | None) -> None:
        await pending  # the Markdown is parsed and its blocks mounted
        self.call_after_refresh(self._scroll_to_line, line)

    def _scroll_to_line(self, line: int | None) -> None:
        if line is None:
            self.scroll_home(animate=False)
            return
        self._scroll_to_fraction(line)

    def _scroll_to_fraction(self, line: int) -> None:
        """Scroll to where the file's ``line`` is, in proportion (Markdown blocks
        do not say which source lines they show)."""
        fraction = min(1.0, max(0.0, (line - self.first_line) / self.total_lines))
        self.scroll_to(y=int(fraction * self.max_scroll_y), animate=False)

    def _move(self, step: int) -> None:
        followable = [i for i, view in enumerate(self.links)
                      if view.link.kind in ("wiki", "embed", "markdown", "external")]
        if not followable:
            self.screen.focus_next() if step > 0 else self.screen.focus_previous()
            return
        if self.selected not in followable:
            index = 0 if step > 0 else len(followable) - 1
        else:
            index = followable.index(self.selected) + step
            if not 0 <= index < len(followable):
                self.selected = None
                self.post_message(self.WantsRender(None))
                self.screen.focus_next() if step > 0 else self.screen.focus_previous()
                return
        self.selected = followable[index]
        self.post_message(self.WantsRender(self.selected))
        view = self.links[self.selected]
        notice(self, f"{view.label} ({view.status})", timeout=2)
        self._scroll_to_fraction(view.link.line)

    def action_next_link(self) -> None:
        self._move(1)

    def action_previous_link(self) -> None:
        self._move(-1)

    def action_follow(self) -> None:
        if self.selected is not None and self.selected < len(self.links):
            self.post_message(self.LinkChosen(self.links[self.selected]))

    def action_open_url(self) -> None:
        view = self.links[self.selected] if self.selected is not None else None
        if view is not None and view.url:
            self.app.open_url(view.url)
        else:
            self.notify("Tab to a web link first, then press o", severity="warning")

    @on(Markdown.LinkClicked)
    def _clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        href = event.href
        if href.startswith(LINK_SCHEME) and href[len(LINK_SCHEME):].isdigit():
            number = int(href[len(LINK_SCHEME):])
            if number < len(self.links):
                self.post_message(self.LinkChosen(self.links[number]))
        elif "://" in href or href.startswith("mailto:"):
            self.app.open_url(href)


class LinksPanel(Horizontal):
    """Backlinks (with the paragraph around each), unlinked mentions (`MentionList`)
    and outgoing links."""

    class Open(Message):
        """Open this note."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def compose(self):  # type: ignore[no-untyped-def]
        with Vertical(id="backlinks-column"):
            yield Label("Backlinks", id="backlinks-title", classes="panel-title")
            yield OptionList(id="backlinks")
        with Vertical(id="mentions-column"):
            yield Label("Mentions", id="mentions-title", classes="panel-title")
            yield MentionList(id="mentions")
        with Vertical(id="outgoing-column"):
            yield Label("Links", id="outgoing-title", classes="panel-title")
            yield OptionList(id="outgoing")

    def show(self, backlinks: list[tuple[str, str, str]], outgoing: list[tuple[str, str]],
             ready: bool) -> None:
        """``backlinks``: (path, title, context); ``outgoing``: (path, title)."""
        waiting = "" if ready else " …"
        self.query_one("#backlinks-title", Label).update(f"Backlinks ({len(backlinks)}){waiting}")
        self.query_one("#outgoing-title", Label).update(f"Links ({len(outgoing)}){waiting}")
        back = self.query_one("#backlinks", OptionList)
        back.set_options(Option(_titled(title, context), id=f"b{i}:{path}")
                         for i, (path, title, context) in enumerate(backlinks))
        out = self.query_one("#outgoing", OptionList)
        out.set_options(Option(plain(title, style="bold"), id=f"o{i}:{path}")
                        for i, (path, title) in enumerate(outgoing))

    def show_mentions(self, mentions: Sequence[Mention] | None, titles: dict[str, str],
                      why: str = "", readable: Callable[[str], str] = str) -> None:
        """``mentions`` of the note shown (None: being looked for, or ``why`` not);
        ``titles`` and ``readable`` as `MentionList.show` takes them."""
        if mentions is None:
            title = f"Mentions: {why}" if why else "Mentions …"
        else:
            title = f"Mentions ({len(mentions)})"
        self.query_one("#mentions-title", Label).update(plain(title))
        self.query_one(MentionList).show(mentions or [], titles, readable)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Open(event.option.id.split(":", 1)[1]))


def _titled(title: str, context: str) -> Text:
    text = plain(title, style="bold")
    paragraph = clean(" ".join(context.split()))
    if paragraph:
        text.append("\n" + (paragraph[:160] + ("…" if len(paragraph) > 160 else "")),
                    style="dim")
    return text
