"""The modal screens: search, problems, neighbourhood, new note, help, and
the choice among an ambiguous link's candidates. Each returns what the person
chose through `dismiss`; the app acts on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from zettel.core.display import clean, describe
from zettel.core.model import Problem
from zettel.core.problems import ALWAYS_COUNTED
from zettel.tui.model import Direction
from zettel.tui.widgets import notice, plain

if TYPE_CHECKING:
    from zettel.search.model import Hit, Results

#: The kinds of problem the problems screen offers to fix (Enter on the row).
FIXABLE = ("broken-link", "ambiguous-link")
#: What a screen that opens a note returns: (path, line of the file or None).
Target = tuple[str, int | None]
Searcher = Callable[[str], "Results"]


class _Modal(ModalScreen[Any]):
    AUTO_FOCUS = "*"  # the app's own AUTO_FOCUS names a widget of the main screen
    BINDINGS = [Binding("escape", "dismiss(None)", "Close", tooltip="back to the main screen")]


class SearchScreen(_Modal):
    """Full-text search, results as you type (after a short pause)."""

    DEBOUNCE = 0.15

    def __init__(self, search: Searcher, readable: Callable[[str], str] = str) -> None:
        super().__init__()
        self._search, self._readable = search, readable
        self._timer: Timer | None = None
        self._hits: list[Hit] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box", classes="dialog"):
            yield Label("Search: words, \"phrase\", OR, -word, prefix*, tag:, type:, field:",
                        classes="dialog-title")
            yield Input(placeholder="search the notes", id="search-input")
            yield Static("Enter opens the best match, Down goes through them",
                         id="search-status")
            yield OptionList(id="search-results")

    @on(Input.Changed, "#search-input")
    def _typed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.DEBOUNCE, lambda: self._run(event.value))

    @on(Input.Submitted, "#search-input")
    def _submitted(self) -> None:
        """Enter opens the best hit; Down goes through the others."""
        if self._hits:
            hit = self._hits[0]
            self.dismiss((hit.path, hit.snippet.line))

    def key_down(self, event: events.Key) -> None:
        results = self.query_one("#search-results", OptionList)
        if self.focused is self.query_one("#search-input") and self._hits:
            event.prevent_default()
            event.stop()
            results.focus()
            results.highlighted = 0

    @work(exclusive=True, thread=True, group="search", exit_on_error=False)
    def _run(self, text: str) -> None:
        if not text.strip():
            self.app.call_from_thread(self._show, [], "")
            return
        try:
            found = self._search(text)
        except ValueError as err:  # a malformed query: say why, keep typing
            self.app.call_from_thread(self._show, [], str(err))
            return
        except (RuntimeError, OSError) as err:  # no index yet, or busy, or unreadable
            self.app.call_from_thread(self._show, [], str(err))
            return
        self.app.call_from_thread(self._show, found.hits, f"{len(found.hits)} shown")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A search that failed (a bug): say so, and let the person go on typing."""
        if event.state == WorkerState.ERROR:
            reason = f"search failed: {describe(event.worker.error or Exception())}"
            notice(self, reason, severity="error")
            self._show([], reason)

    def _show(self, hits: list[Hit], status: str) -> None:
        self._hits = hits
        self.query_one("#search-status", Static).update(plain(status))
        self.query_one("#search-results", OptionList).set_options(
            Option(_hit_text(hit, self._readable), id=str(i)) for i, hit in enumerate(hits))

    @on(OptionList.OptionSelected, "#search-results")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        hit = self._hits[int(event.option.id or 0)]
        self.dismiss((hit.path, hit.snippet.line))


def _hit_text(hit: Hit, readable: Callable[[str], str]) -> Text:
    """Title, path:line, and the snippet with its matches marked and its
    wiki-links shown by title (outside the marked words)."""
    text = plain(hit.title, style="bold")
    text.append(" · " + clean(hit.path) + (f":{hit.snippet.line}" if hit.snippet.line else ""),
                style="dim")
    if hit.snippet.text:
        text.append("\n")
        for piece, matched in hit.snippet.pieces():
            if matched:
                text.append(clean(piece), style="bold reverse")
            else:
                text.append(clean(readable(piece)))
    return text


class ProblemsScreen(_Modal):
    """Every problem of the vault, with counts; Enter opens the note at the line,
    or, on a broken or ambiguous link, asks the app for ways to fix it (`Fix`)."""

    BINDINGS = [Binding("u,ctrl+z", "app.edit('undo')", "Undo", tooltip="the last write "
                        "(a link fixed, a note created), after showing what it reverts")]

    class Fix(Message):
        """Offer the ways to fix the link of ``problem``."""

        def __init__(self, problem: Problem) -> None:
            super().__init__()
            self.problem = problem

    def __init__(self, problems: list[Problem], counts: dict[str, int]) -> None:
        super().__init__()
        self._problems, self._counts = problems, counts

    def compose(self) -> ComposeResult:
        with Vertical(id="problems-box", classes="dialog"):
            yield Static(classes="dialog-title", id="problems-summary")
            yield DataTable(id="problems", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one("#problems", DataTable)
        table.add_columns("", "kind", "where", "what")
        self.show(self._problems, self._counts)
        table.focus()

    def show(self, problems: list[Problem], counts: dict[str, int]) -> None:
        """List ``problems`` (again: the vault changed), the cursor kept on its row."""
        self._problems, self._counts = problems, counts
        kinds = {kind.name: 0 for kind in ALWAYS_COUNTED} | counts
        summary = "  ".join(f"{kind} {n}" for kind, n in kinds.items())
        self.query_one("#problems-summary", Static).update(Text(f"Problems: {summary}"))
        table = self.query_one("#problems", DataTable)
        row = table.cursor_row
        table.clear()
        for problem in problems:
            mark = Text("✗", style="bold red") if problem.severity == "error" else \
                Text("!", style="yellow")
            where = f"{problem.path}:{problem.line}" if problem.line else problem.path
            table.add_row(mark, problem.kind, plain(where), plain(problem.message))
        if problems:
            table.move_cursor(row=min(row, len(problems) - 1), animate=False)

    @on(DataTable.RowSelected, "#problems")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        problem = self._problems[event.cursor_row]
        if problem.kind in FIXABLE and problem.target is not None:
            self.post_message(self.Fix(problem))
        else:
            self.dismiss((problem.path, problem.line))


class NeighbourhoodScreen(_Modal):
    """The notes around one, to depth 1-3, incoming, outgoing or both, as a tree."""

    BINDINGS = [Binding("1", "depth(1)", "Depth 1", tooltip="the notes one link away"),
                Binding("2", "depth(2)", "Depth 2", tooltip="and those one link further"),
                Binding("3", "depth(3)", "Depth 3", tooltip="three links away at most"),
                Binding("d", "direction", "In/out/both",
                        tooltip="follow the links in and out, outgoing only, incoming only")]

    def __init__(self, path: str, titles: dict[str, str],
                 tree_of: Callable[[int, Direction], dict[str, list[str]]]) -> None:
        super().__init__()
        self._path, self._titles, self._tree_of = path, titles, tree_of
        self._depth, self._direction = 1, "both"

    def compose(self) -> ComposeResult:
        with Vertical(id="neighbourhood-box", classes="dialog"):
            yield Label("", id="neighbourhood-title", classes="dialog-title")
            yield Tree("", id="neighbourhood")

    def on_mount(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        direction: Direction = self._direction  # type: ignore[assignment]
        children = self._tree_of(self._depth, direction)
        tree = self.query_one("#neighbourhood", Tree)
        tree.clear()
        tree.root.set_label(plain(self._titles.get(self._path, self._path), style="bold"))
        tree.root.data = self._path

        def grow(node, path: str) -> None:  # type: ignore[no-untyped-def]
            for child in children.get(path, []):
                branch = node.add(plain(self._titles.get(child, child)), data=child,
                                  expand=True)
                grow(branch, child)

        grow(tree.root, self._path)
        tree.root.expand()
        arrows = {"both": "in and out", "out": "outgoing", "in": "incoming"}[self._direction]
        self.query_one("#neighbourhood-title", Label).update(
            f"Neighbourhood: depth {self._depth} (1-3), {arrows} links (d), "
            f"{len(children) - 1} notes")
        tree.focus()

    def action_depth(self, depth: int) -> None:
        self._depth = depth
        self._rebuild()

    def action_direction(self) -> None:
        self._direction = {"both": "out", "out": "in", "in": "both"}[self._direction]
        self._rebuild()

    @on(Tree.NodeSelected, "#neighbourhood")
    def _chosen(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data and event.node.data != self._path:
            self.dismiss((event.node.data, None))


class NewNoteScreen(_Modal):
    """Title, types and tags of a new note; returns them, or None."""

    # Enter moves on by a binding (the focus moves before the next key is read),
    # and submits from the last field by Input.Submitted (after its characters).
    BINDINGS = [Binding("enter", "next_field", "Next field", priority=True,
                        tooltip="and from the last one (tags), create the note")]

    def compose(self) -> ComposeResult:
        with Vertical(id="new-box", classes="dialog"):
            yield Label("New note (Enter goes to the next field, and creates it from the last)",
                        classes="dialog-title")
            yield Input(placeholder="Title", id="new-title")
            yield Input(placeholder="Types, separated by commas", id="new-types")
            yield Input(placeholder="Tags, separated by commas", id="new-tags")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_field":
            return not (self.focused is not None and self.focused.id == "new-tags")
        return True

    def action_next_field(self) -> None:
        self.focus_next()

    @on(Input.Submitted, "#new-tags")
    def _submitted(self) -> None:
        title = self.query_one("#new-title", Input).value.strip()
        if not title:
            self.notify("A note needs a title", severity="error")
            self.query_one("#new-title", Input).focus()
            return

        def split(field: str) -> tuple[str, ...]:
            value = self.query_one(field, Input).value
            return tuple(part.strip() for part in value.split(",") if part.strip())

        self.dismiss((title, split("#new-types"), split("#new-tags")))


class PickScreen(_Modal):
    """Choose one of several notes (the candidates of an ambiguous link)."""

    def __init__(self, prompt: str, choices: list[tuple[str, str]]) -> None:
        super().__init__()
        self._prompt, self._choices = prompt, choices

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-box", classes="dialog"):
            yield Label(plain(self._prompt), classes="dialog-title")
            yield OptionList(*(Option(plain(f"{title}  ({path})"), id=path)
                               for path, title in self._choices), id="pick")

    def on_mount(self) -> None:
        choices = self.query_one("#pick", OptionList)
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected, "#pick")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss((event.option.id, None))


class HelpScreen(_Modal):
    """Every key binding of the ``sections`` given as (where they apply, the
    screen, widget or app that declares them in its ``BINDINGS``)."""

    def __init__(self, sections: list[tuple[str, type[DOMNode]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box", classes="dialog"):
            yield Label("Keys (Escape closes)", classes="dialog-title")
            yield DataTable(id="help", cursor_type="row", show_header=False)

    def on_mount(self) -> None:
        table = self.query_one("#help", DataTable)
        table.add_columns("key", "what")
        for where, owner in self._sections:
            rows = [(self._keys(binding), binding.description +
                     (f": {binding.tooltip}" if binding.tooltip else ""))
                    for binding in map(_binding, vars(owner).get("BINDINGS", []))
                    if binding.description]
            if rows:
                table.add_row("", Text(where, style="bold underline"))
            for keys, what in rows:
                table.add_row(Text(keys, style="bold"), what)
        table.focus()

    def _keys(self, binding: Binding) -> str:
        """The keys of a binding as the footer shows them: ``[ or alt+←``."""
        return " or ".join(self.app.get_key_display(
            Binding(key.strip(), binding.action, key_display=binding.key_display))
            for key in binding.key.split(","))


def _binding(declared: BindingType) -> Binding:
    """A `Binding` from what ``BINDINGS`` may hold (a Binding, or a tuple)."""
    return declared if isinstance(declared, Binding) else Binding(*declared)


#: The keys of the dialogs, for the help screen: where they apply, who declares them.
DIALOG_KEYS: list[tuple[str, type[DOMNode]]] = [
    ("In every dialog", _Modal), ("Problems (p)", ProblemsScreen),
    ("Neighbourhood (g)", NeighbourhoodScreen),
    ("New note (n)", NewNoteScreen)]
