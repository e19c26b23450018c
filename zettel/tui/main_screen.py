"""The main screen: the note list, the tags, the note and its links.

It shows the `VaultModel` the app hands it (attributes go down) and reacts to
its widgets' messages (messages go up): choosing a note, filtering, following
a link, going back and forward.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Static

from zettel.core.display import clean
from zettel.core.model import Note, count
from zettel.tui import edits
from zettel.tui.edit_screens import why
from zettel.tui.mention_list import MentionList
from zettel.tui.model import History, LinkView, SortKey, VaultModel
from zettel.tui.screens import PickScreen, Target
from zettel.tui.widgets import LinksPanel, NoteList, Reader, TagPanel, notice, plain

if TYPE_CHECKING:
    from zettel.core.check import Report
    from zettel.core.mentions import Mention

SORTS: tuple[SortKey, ...] = ("title", "id", "backlinks")
#: How long a note stays shown before its unlinked mentions are looked for (s).
MENTIONS_AFTER = 0.3


class MainScreen(Screen[None]):
    """Browse and read the notes of the vault."""

    AUTO_FOCUS = "#notes"
    BINDINGS = [
        Binding("left_square_bracket,alt+left", "history_back", "Back",
                tooltip="to the note shown before"),
        Binding("right_square_bracket,alt+right", "history_forward", "Forward",
                tooltip="forward again"),
        Binding("f", "focus_filter", "Filter", tooltip="the list as you type, by title, id or "
                "alias, fuzzy"),
        Binding("escape", "focus_list", "Note list", show=False, tooltip="back to the list"),
        Binding("t", "focus_tags", "Tags", show=False, tooltip="tags and types; Enter picks a "
                "tag (several: any of them) or a type"),
        Binding("r", "focus_reader", "Reader", show=False, tooltip="the note: go from link to "
                "link (below)"),
        Binding("s", "sort", "Sort", show=False, tooltip="the list by title, id (date) or "
                "number of backlinks"),
        Binding("b", "toggle_links", "Backlinks panel", show=False, tooltip="show or hide it"),
        Binding("R", "app.edit('rename')", "Rename", show=False, tooltip="rename or move "
                "this note's file; every link to it follows (a preview first)"),
        Binding("T", "app.edit('retitle')", "Retitle", show=False, tooltip="change this "
                "note's title; links by the old title follow (a preview first)"),
        Binding("y", "app.edit('copy_link')", "Copy link", show=False, tooltip="a link to "
                "this note, in the vault's style, to the clipboard"),
        Binding("x", "clear_filters", "Clear filters", show=False,
                tooltip="the filter, the tags and the type"),
        Binding("tab", "app.focus_next", "Next panel", show=False),
        Binding("shift+tab", "app.focus_previous", "Previous panel", show=False),
    ]

    class Composed(Message):
        """The screen's widgets exist: the app may fill them."""

    def __init__(self, model: VaultModel) -> None:
        super().__init__()
        self.model = model
        self.history = History()
        self.sort: SortKey = "title"
        self.filter_text = ""
        self.tags: frozenset[str] = frozenset()
        self.note_type: str | None = None
        self.selected_link: int | None = None
        self._mention_timer: Timer | None = None
        #: The mentions found last: (path, the report they were found with), mentions.
        self._mentions: tuple[tuple[str, int], list[Mention]] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="sidebar"):
                yield Input(placeholder="filter: title, id, alias (f)", id="filter")
                yield NoteList(id="notes")
                yield TagPanel(id="tags")
            with Vertical(id="centre"):
                yield Static(id="trail")
                yield Reader(id="reader")
                yield LinksPanel(id="links")
        yield Static("reading the vault…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.post_message(self.Composed())

    # -- what the app hands down

    def show_vault(self, select: str | None) -> None:
        """The notes were (re)read: list them and show ``select`` (or the note
        shown, or the first)."""
        history = self.history
        self.history.forget({p for p in [*history.back_stack, *history.forward_stack,
                                         history.current] if p and p not in self.model.notes})
        self.query_one(TagPanel).show(self.model.tag_counts(), self.model.type_counts())
        target = select or self.history.current
        self.refresh_list(keep=target)
        if target is None:
            paths = self.query_one(NoteList).paths
            target = paths[0] if paths else None
        if target in self.model.notes:
            self.open_note(target, remember=select is not None,
                           keep_scroll=target == self.history.current)

    def show_analysis(self, report: Report) -> None:
        """The links were resolved: show backlinks, counts and problems."""
        if self.history.current in self.model.notes:
            self.open_note(self.history.current, remember=False, keep_scroll=True)
        if self.sort == "backlinks":
            self.refresh_list(keep=self.history.current)
        self.status(f"{count(report.notes, 'note')}, {count(report.links, 'link')}: "
                    f"{count(report.errors, 'error')}, {count(report.warnings, 'warning')}"
                    " (p: problems)")

    def status(self, text: str) -> None:
        self.query_one("#status", Static).update(plain(text))

    # -- the list

    def refresh_list(self, keep: str | None = None) -> None:
        notes = self.model.filtered(self.filter_text, tags=self.tags, note_type=self.note_type,
                                    sort=self.sort)
        self.query_one(NoteList).show(notes, self.model.backlink_counts, keep)
        self.query_one("#filter", Input).border_subtitle = count(len(notes), "note")

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        """Enter in the filter: to the list, showing its first note unless the note
        shown is listed."""
        notes = self.query_one(NoteList)
        notes.focus()
        if notes.paths and self.history.current not in notes.paths:
            self.open_note(notes.paths[0])

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self.refresh_list(keep=self.history.current)

    @on(TagPanel.Changed)
    def _tags_changed(self, event: TagPanel.Changed) -> None:
        self.tags, self.note_type = event.tags, event.note_type
        self.refresh_list(keep=self.history.current)

    @on(NoteList.Chosen)
    def _note_chosen(self, event: NoteList.Chosen) -> None:
        if event.path != self.history.current:
            self.open_note(event.path)

    # -- one note

    def open_note(self, path: str, *, line: int | None = None, remember: bool = True,
                  keep_scroll: bool = False) -> None:
        """Show a note (at ``line`` of its file) and remember it in the history."""
        if path not in self.model.notes:
            notice(self, f"{path} is not a note of this vault", severity="error")
            return
        if remember:
            self.history.visit(path)
        else:
            self.history.current = path
        self.selected_link = None
        self.query_one(NoteList).point_at(path)
        self._show_note(line=line, keep_scroll=keep_scroll)
        self._show_links(path)
        self._show_trail()

    def opened(self, target: Target | None) -> None:
        """What a dialog chose: open it."""
        if target is not None:
            self.open_note(target[0], line=target[1])

    def _show_note(self, *, line: int | None = None, keep_scroll: bool = False) -> None:
        path = self.history.current
        if path is None:
            return
        note = self.model.note(path)
        try:
            body = self.model.render(path, self.selected_link)
        except Exception as err:  # noqa: BLE001 - show the note's text rather than nothing
            notice(self, f"{path} could not be rendered: {type(err).__name__}: {err}",
                   severity="error")
            fence = "~" * 6
            body = (f"*This note could not be rendered ({type(err).__name__}); its text:*\n\n"
                    f"{fence}\n{note.body}\n{fence}\n")
        self.query_one(Reader).show(_header(note), body, self.model.link_views(path),
                                    selected=self.selected_link, line=line,
                                    keep_scroll=keep_scroll, first_line=note.body_line)

    def _show_links(self, path: str) -> None:
        notes = self.model.notes
        back = [(source, notes[source].title, context)
                for source, context in self.model.backlinks(path)]
        out = [(target, notes[target].title) for target in self.model.outgoing(path)]
        self.query_one(LinksPanel).show(back, out, ready=self.model.graph is not None)
        self._want_mentions(path)

    # -- the note's unlinked mentions, looked for in a worker once the note stays shown

    def _want_mentions(self, path: str) -> None:
        if self._mention_timer is not None:
            self._mention_timer.stop()
        panel = self.query_one(LinksPanel)
        key = (path, id(self.model.report))
        if self._mentions is not None and self._mentions[0] == key:
            panel.show_mentions(self._mentions[1], self._titles(),
                                readable=self.model.readable)
            return
        panel.show_mentions(None, {})
        if self.model.report is not None:  # the vault is checked: its memo is fresh
            self._mention_timer = self.set_timer(MENTIONS_AFTER,
                                                 partial(self._find_mentions, key))

    @work(thread=True, exclusive=True, group="mentions", exit_on_error=False)
    def _find_mentions(self, key: tuple[str, int]) -> None:
        try:
            found: list[Mention] | None = edits.mentions_of(self.model.root,
                                                            self.model.note(key[0]))
            reason = ""
        except Exception as err:  # noqa: BLE001 - a refusal, or a bug: said in the panel
            found, reason = None, why(err)
        self.app.call_from_thread(self._found_mentions, key, found, reason)

    def _found_mentions(self, key: tuple[str, int], found: list[Mention] | None,
                        reason: str) -> None:
        if key != (self.history.current, id(self.model.report)):
            return  # another note is shown, or the vault was read again
        if found is not None:
            self._mentions = (key, found)
        self.query_one(LinksPanel).show_mentions(found, self._titles(), reason,
                                                 self.model.readable)

    def _titles(self) -> dict[str, str]:
        return {path: note.title for path, note in self.model.notes.items()}

    @on(MentionList.Open)
    def _open_mention(self, event: MentionList.Open) -> None:
        self.open_note(event.path, line=event.line)

    def _show_trail(self) -> None:
        titles = [clean(self.model.notes[p].title) for p in self.history.back_stack[-3:]
                  if p in self.model.notes]
        trail = Text("← " + " ← ".join(reversed(titles)) if titles else "", style="dim")
        if self.history.forward_stack:
            trail.append(f"   ({len(self.history.forward_stack)} forward: ])", style="dim")
        self.query_one("#trail", Static).update(trail)

    @on(Reader.WantsRender)
    def _rerender(self, event: Reader.WantsRender) -> None:
        self.selected_link = event.selected
        self._show_note(keep_scroll=True)

    @on(Reader.LinkChosen)
    def _follow(self, event: Reader.LinkChosen) -> None:
        self.follow(event.view)

    def follow(self, view: LinkView) -> None:
        """Go where a link leads, or say why it cannot."""
        if view.status == "external":
            self.app.open_url(view.link.target)
        elif view.status == "broken":
            notice(self, f"Broken link: no note matches '{view.link.target}'", severity="error")
        elif view.status == "ambiguous":
            choices = [(p, self.model.notes[p].title) for p in view.paths if p in self.model.notes]
            self.app.push_screen(PickScreen(f"'{view.link.target}' matches {len(choices)} notes:",
                                            choices), self.opened)
        elif view.status == "resolved" and view.paths[0] in self.model.notes:
            self.open_note(view.paths[0])
        elif view.status == "resolved":
            notice(self, f"{view.paths[0]} is a file, not a note")
        else:
            self.notify("Links are still being resolved…")

    @on(LinksPanel.Open)
    def _open_from_panel(self, event: LinksPanel.Open) -> None:
        self.open_note(event.path)

    # -- actions

    def action_history_back(self) -> None:
        path = self.history.back()
        if path is not None:
            self.open_note(path, remember=False)

    def action_history_forward(self) -> None:
        path = self.history.forward()
        if path is not None:
            self.open_note(path, remember=False)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one(NoteList).focus()

    def action_focus_tags(self) -> None:
        self.query_one(TagPanel).focus()

    def action_focus_reader(self) -> None:
        self.query_one(Reader).focus()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.notify(f"Sorted by {self.sort}", timeout=2)
        self.refresh_list(keep=self.history.current)

    def action_toggle_links(self) -> None:
        panel = self.query_one(LinksPanel)
        panel.display = not panel.display

    def action_clear_filters(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one(TagPanel).clear_choices()


def _header(note: Note) -> Text:
    """Title, then id, types, tags, thumbnail, the other front-matter fields, the path."""
    text = plain(note.title, style="bold")
    facts = [f"id {note.id}" if note.id else "no id"]
    facts += [f"types: {', '.join(note.types)}"] if note.types else []
    facts += [f"tags: {', '.join(note.tags)}"] if note.tags else []
    facts += [f"thumbnail: {note.thumbnail}"] if note.thumbnail else []
    text.append("\n" + clean("  ·  ".join(facts)), style="dim")
    for key, value in note.meta.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        text.append(f"\n{clean(key)}: ", style="dim bold")
        text.append(clean(shown[:300]), style="dim")
    text.append(f"\n{clean(note.path)}", style="dim italic")
    return text

