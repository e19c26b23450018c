"""The zettel TUI: the app, its layout, and what each key and choice does.

Slow work (reading the vault, building the graph, the search index, watching
the files) runs in thread workers, which hand their results back with
`call_from_thread`; the widgets only display what they are given.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Input, Static

from zettel.model import count
from zettel.tui.model import History, LinkView, SortKey, VaultModel
from zettel.tui.screens import (
    HelpScreen,
    NeighbourhoodScreen,
    NewNoteScreen,
    PickScreen,
    ProblemsScreen,
    SearchScreen,
    Target,
)
from zettel.tui.widgets import LinksPanel, NoteList, Reader, TagPanel

if TYPE_CHECKING:
    from zettel.search_model import Results

SORTS: tuple[SortKey, ...] = ("title", "id", "backlinks")
#: How often the files are compared with what is shown (seconds).
WATCH_EVERY = 1.0


class NoteCommands(Provider):
    """Ctrl+P: jump to any note by title, id or alias."""

    async def search(self, query: str) -> Hits:
        app: ZettelApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for note in app.model.filtered(query)[:40]:
            label = f"{note.title}  {note.id}" if note.id else note.title
            yield Hit(max(matcher.match(label), 0.5), matcher.highlight(label),
                      partial(app.open_note, note.path), help=note.path)

    async def discover(self) -> Hits:
        app: ZettelApp = self.app  # type: ignore[assignment]
        for note in app.model.filtered()[:30]:
            yield DiscoveryHit(note.title, partial(app.open_note, note.path), help=note.path)


class ZettelApp(App[None]):
    """Browse, read, search and edit the notes of one vault."""

    CSS_PATH = Path(__file__).with_name("zettel.tcss")  # absolute: subclasses may live elsewhere
    TITLE = "zettel"
    AUTO_FOCUS = "#notes"
    COMMANDS = App.COMMANDS | {NoteCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("slash", "search", "Search"),
        Binding("n", "new_note", "New"),
        Binding("e", "edit_note", "Edit"),
        Binding("p", "problems", "Problems"),
        Binding("g", "neighbourhood", "Neighbours"),
        Binding("left_square_bracket,alt+left", "history_back", "Back"),
        Binding("right_square_bracket,alt+right", "history_forward", "Forward"),
        Binding("question_mark", "help", "Keys"),
        Binding("f", "focus_filter", "Filter"),
        Binding("escape", "focus_list", "Note list", show=False),
        Binding("t", "focus_tags", "Tags", show=False),
        Binding("r", "focus_reader", "Reader", show=False),
        Binding("s", "sort", "Sort", show=False),
        Binding("b", "toggle_links", "Backlinks panel", show=False),
        Binding("x", "clear_filters", "Clear filters", show=False),
    ]
    KEYS_HELP = [("/", "full-text search (Enter opens the note at the match)"),
            ("ctrl+p", "jump to a note by title or id (command palette)"),
            ("f", "filter the list by title, id or alias (fuzzy)"),
            ("t", "tags and types: Enter picks a tag (several: any) or a type"),
            ("x", "clear the filter, tags and type"),
            ("s", "sort the list by title, id/date or backlinks"),
            ("r", "the note: Tab / Shift+Tab go from link to link, Enter follows"),
            ("o", "(in the note) open the marked web link in the browser"),
            ("b", "show or hide the backlinks and links panel"),
            ("[ or alt+left", "back to the previous note"),
            ("] or alt+right", "forward again"),
            ("g", "neighbourhood: notes around this one (1-3 deep, d: in/out)"),
            ("p", "problems: broken links, duplicates, YAML errors, orphans"),
            ("n", "new note (title, types, tags), opened in $EDITOR"),
            ("e", "edit this note in $EDITOR"),
            ("tab / shift+tab", "move between panels"),
            ("escape", "close a dialog"),
            ("?", "this list"),
            ("q", "quit")]

    def __init__(self, vault: Path, *, watch: bool = True, index_procs: int = 1) -> None:
        super().__init__()
        self.model = VaultModel(vault)
        self.history = History()
        self.sort: SortKey = "title"
        self.filter_text = ""
        self.tags: frozenset[str] = frozenset()
        self.note_type: str | None = None
        self.selected_link: int | None = None
        self.ready = threading.Event()
        self._watch = watch
        self._index: Any = None
        self._index_lock = threading.Lock()
        self._index_status = ""
        self.started = time.perf_counter()

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

    def _main(self, selector: Any, kind: Any = None) -> Any:
        """A widget of the main screen, whichever screen is on top."""
        screen = self.screen_stack[0]
        return screen.query_one(selector, kind) if kind else screen.query_one(selector)

    def on_mount(self) -> None:
        self.sub_title = self.model.root.name
        if self.model.load_summary():  # the last session's list: show it at once
            self._loaded(None)
        self.call_after_refresh(self._load, True)  # then read the vault, after the first paint
        if self._watch:
            self.set_interval(WATCH_EVERY, self._check_disk)

    # -- loading, in workers

    @work(thread=True, exclusive=True, group="load")
    def _load(self, first: bool = False, select: str | None = None) -> None:
        def progress(done: int, total: int) -> None:
            if done % 250 == 0 or done == total:
                self.call_from_thread(self._status, f"reading notes {done}/{total}")

        self.model.load(progress)
        self.call_from_thread(self._loaded, select)
        self._analyse_and_index(first)

    def _analyse_and_index(self, first: bool) -> None:
        self.model.analyse()
        self.call_from_thread(self._analysed)
        self._sync_index(first)

    def _loaded(self, select: str | None) -> None:
        self.history.forget({p for p in [*self.history.back_stack, *self.history.forward_stack,
                                         self.history.current or ""]
                             if p not in self.model.notes})
        self._main(TagPanel).show(self.model.tag_counts(), self.model.type_counts())
        self._refresh_list(keep=select or self.history.current)
        target = select or self.history.current
        if target is None and self.model.notes:
            target = self._main(NoteList).paths[0] if self._main(NoteList).paths else None
        if target in self.model.notes:
            self.open_note(target, remember=select is not None,
                           keep_scroll=target == self.history.current)
        if self.model.complete:
            self._status(count(len(self.model.notes), "note") + "; checking links…")
            self.ready.set()

    def _analysed(self) -> None:
        if self.history.current in self.model.notes:
            self.open_note(self.history.current, remember=False, keep_scroll=True)
        if self.sort == "backlinks":
            self._refresh_list(keep=self.history.current)
        report = self.model.report
        if report is not None:
            self._status(f"{count(report.notes, 'note')}, {count(report.links, 'link')}: "
                         f"{count(report.errors, 'error')}, {count(report.warnings, 'warning')}"
                         " (p: problems)")

    def _sync_index(self, first: bool) -> None:
        from zettel.search import SearchIndex  # noqa: PLC0415 - Whoosh only when needed

        def progress(phase: str, done: int, total: int) -> None:
            if total:
                self._index_status = f"search index: {phase} {done}/{total}"
                if done % 200 == 0 or done == total:
                    self.call_from_thread(self._status, self._index_status)

        with self._index_lock:
            index = self._index or SearchIndex(self.model.root, procs=1)
            index.sync(progress=progress)
            notices, index.notices[:] = list(index.notices), []
            self._index = index
        self._index_status = ""
        for notice in notices:
            self.call_from_thread(self.notify, notice, severity="warning")
        if first:
            self.call_from_thread(self._status_done)

    def _status_done(self) -> None:
        if self.model.report is not None:
            self._analysed()

    def _search(self, text: str) -> Results:
        with self._index_lock:
            return self._index.search(text, limit=30, count=False)  # type: ignore[no-any-return]

    @work(thread=True, exclusive=True, group="watch")
    def _check_disk(self) -> None:
        if self.ready.is_set() and self.model.changed_on_disk():
            self.call_from_thread(self._reload_if_idle)

    def _reload_if_idle(self) -> None:
        """Re-read the vault, unless a reload (or an edit) began meanwhile."""
        if self.ready.is_set():
            self.ready.clear()
            self._load(False, self.history.current)

    def _status(self, text: str) -> None:
        self._main("#status", Static).update(text)

    # -- the list

    def _refresh_list(self, keep: str | None = None) -> None:
        if not self.screen_stack:  # the app is closing
            return
        notes = self.model.filtered(self.filter_text, tags=self.tags, note_type=self.note_type,
                                    sort=self.sort)
        self._main(NoteList).show(notes, self.model.backlink_counts, keep)
        self._main("#filter", Input).border_subtitle = count(len(notes), "note")

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self._main(NoteList).focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._refresh_list(keep=self.history.current)

    @on(TagPanel.Changed)
    def _tags_changed(self, event: TagPanel.Changed) -> None:
        self.tags, self.note_type = event.tags, event.note_type
        self._refresh_list(keep=self.history.current)

    @on(NoteList.Chosen)
    def _note_chosen(self, event: NoteList.Chosen) -> None:
        if event.path != self.history.current:
            self.open_note(event.path)

    # -- one note

    def open_note(self, path: str, *, line: int | None = None, remember: bool = True,
                  keep_scroll: bool = False) -> None:
        """Show a note (and remember it in the history)."""
        if not self.screen_stack:  # the app is closing
            return
        if path not in self.model.notes:
            self.notify(f"{path} is not a note of this vault", severity="error")
            return
        if remember:
            self.history.visit(path)
        else:
            self.history.current = path
        self.selected_link = None
        self._main(NoteList).point_at(path)
        self._render(line=line, keep_scroll=keep_scroll)
        self._show_links(path)
        self._show_trail()

    def _render(self, *, line: int | None = None, keep_scroll: bool = False) -> None:
        path = self.history.current
        if path is None:
            return
        note = self.model.note(path)
        try:
            body = self.model.render(path, self.selected_link)
        except Exception as err:  # noqa: BLE001 - show the note's text rather than nothing
            self.notify(f"{path} could not be rendered: {type(err).__name__}: {err}",
                        severity="error")
            fence = "~" * 6
            body = (f"*This note could not be rendered ({type(err).__name__}); its text:*\n\n"
                    f"{fence}\n{note.body}\n{fence}\n")
        self._main(Reader).show(_header(note), body, self.model.link_views(path),
                                    selected=self.selected_link, line=line,
                                    keep_scroll=keep_scroll)

    def _show_links(self, path: str) -> None:
        titles = {p: n.title for p, n in self.model.notes.items()}
        back = [(source, titles[source], context)
                for source, context in self.model.backlinks(path)]
        out = [(target, titles[target]) for target in self.model.outgoing(path)]
        self._main(LinksPanel).show(back, out, ready=self.model.graph is not None)

    def _show_trail(self) -> None:
        titles = [self.model.notes[p].title for p in self.history.back_stack[-3:]
                  if p in self.model.notes]
        trail = Text("← " + " ← ".join(reversed(titles)) if titles else "", style="dim")
        if self.history.forward_stack:
            trail.append(f"   ({len(self.history.forward_stack)} forward: ])", style="dim")
        self._main("#trail", Static).update(trail)

    @on(Reader.WantsRender)
    def _rerender(self, event: Reader.WantsRender) -> None:
        self.selected_link = event.selected
        self._render(keep_scroll=True)

    @on(Reader.LinkChosen)
    def _follow(self, event: Reader.LinkChosen) -> None:
        self.follow(event.view)

    def follow(self, view: LinkView) -> None:
        """Go where a link leads, or say why it cannot."""
        if view.status == "external":
            self.open_url(view.link.target)
        elif view.status == "broken":
            self.notify(f"Broken link: no note matches '{view.link.target}'", severity="error")
        elif view.status == "ambiguous":
            choices = [(p, self.model.notes[p].title) for p in view.paths if p in self.model.notes]
            self.push_screen(PickScreen(f"'{view.link.target}' matches {len(choices)} notes:",
                                        choices), self._opened)
        elif view.status == "resolved" and view.paths[0] in self.model.notes:
            self.open_note(view.paths[0])
        elif view.status == "resolved":
            self.notify(f"{view.paths[0]} is a file, not a note")
        else:
            self.notify("Links are still being resolved…")

    @on(LinksPanel.Open)
    def _open_from_panel(self, event: LinksPanel.Open) -> None:
        self.open_note(event.path)

    def _opened(self, target: Target | None) -> None:
        if target is not None:
            self.open_note(target[0], line=target[1])

    # -- actions

    def action_history_back(self) -> None:
        path = self.history.back()
        if path is not None:
            self.open_note(path, remember=False)

    def action_history_forward(self) -> None:
        path = self.history.forward()
        if path is not None:
            self.open_note(path, remember=False)

    def action_search(self) -> None:
        waiting = self._index_status or ("" if self._index else "the search index is being built")
        self.push_screen(SearchScreen(self._search if self._index else None, waiting,
                                      self.model.readable), self._opened)

    def action_problems(self) -> None:
        if self.model.report is None:
            self.notify("Still checking the vault…")
            return
        self.push_screen(ProblemsScreen(self.model.problems(), self.model.report.counts),
                         self._opened)

    def action_neighbourhood(self) -> None:
        path = self.history.current
        if path is None or self.model.graph is None:
            return
        titles = {p: n.title for p, n in self.model.notes.items()}
        self.push_screen(NeighbourhoodScreen(path, titles,
                                             partial(self.model.neighbourhood, path)),
                         self._opened)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.KEYS_HELP))

    def action_focus_filter(self) -> None:
        self._main("#filter", Input).focus()

    def action_focus_list(self) -> None:
        self._main(NoteList).focus()

    def action_focus_tags(self) -> None:
        self._main(TagPanel).focus()

    def action_focus_reader(self) -> None:
        self._main(Reader).focus()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.notify(f"Sorted by {self.sort}", timeout=2)
        self._refresh_list(keep=self.history.current)

    def action_toggle_links(self) -> None:
        panel = self._main(LinksPanel)
        panel.display = not panel.display

    def action_clear_filters(self) -> None:
        self._main("#filter", Input).value = ""
        self._main(TagPanel).clear_choices()

    def action_new_note(self) -> None:
        self.push_screen(NewNoteScreen(), self._create)

    def _create(self, values: tuple[str, tuple[str, ...], tuple[str, ...]] | None) -> None:
        if values is None or self.model.vault is None:
            return
        from zettel.create import CreateError, new_note  # noqa: PLC0415 - PyYAML, when needed

        title, types, tags = values
        taken = [n.id for n in self.model.notes.values() if n.id]
        try:
            created = new_note(self.model.root, title, config=self.model.vault.config,
                               taken_ids=taken, types=types, tags=tags)
        except CreateError as err:
            self.notify(str(err), severity="error")
            return
        self._edit(created.relative_to(self.model.root).as_posix())

    def action_edit_note(self) -> None:
        if self.history.current is not None:
            self._edit(self.history.current)

    def _edit(self, path: str) -> None:
        from zettel.create import editor_command, open_in_editor  # noqa: PLC0415 - when needed

        assert self.model.vault is not None
        self.ready.clear()  # no reload by the file watcher while the editor runs
        command = editor_command(self.model.vault.config)
        if command is None:
            self.notify("No editor: set $VISUAL or $EDITOR, or 'editor' in .zettel/config.yaml",
                        severity="error")
        else:
            try:
                with self.suspend():
                    status = open_in_editor(command, self.model.root / path)
            except SuspendNotSupported:  # no terminal to hand over (tests, some drivers)
                status = open_in_editor(command, self.model.root / path)
            except OSError as err:
                self.notify(f"Cannot run '{command[0]}': {err.strerror or err}", severity="error")
                return
            if status:
                self.notify(f"The editor exited with status {status}", severity="warning")
        self._load(False, path)


def _header(note: Any) -> Text:
    text = Text(note.title, style="bold")
    facts = [f"id {note.id}" if note.id else "no id"]
    facts += [f"types: {', '.join(note.types)}"] if note.types else []
    facts += [f"tags: {', '.join(note.tags)}"] if note.tags else []
    facts += [f"thumbnail: {note.thumbnail}"] if note.thumbnail else []
    text.append("\n" + "  ·  ".join(facts), style="dim")
    for key, value in note.meta.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        text.append(f"\n{key}: ", style="dim bold")
        text.append(shown[:300], style="dim")
    text.append(f"\n{note.path}", style="dim italic")
    return text
