"""The dialogs that change notes: move (rename), retitle, confirm a plan (undo),
fix a broken or ambiguous link.

Each shows what will be written before it is: a `PlanPreview` of the files,
their link counts and the warnings, or the whole diff on demand. A dialog
returns what the person confirmed through `dismiss` (a plan, a choice); the
app writes it, in a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from zettel.core.display import clean, clean_lines, describe
from zettel.core.model import count
from zettel.tui.edits import Choice
from zettel.tui.mention_list import MentionList
from zettel.tui.screens import _Modal
from zettel.tui.widgets import notice, plain
from zettel.vault.write import WriteError

if TYPE_CHECKING:
    from zettel.core.plan import Plan

#: What the person typed and chose in a dialog, as the planner takes it.
Values = tuple[Any, ...]
#: Errors a planner raises to say why it cannot plan (shown as they are); any
#: other is a bug (shown with its type).
REFUSALS = (ValueError, LookupError, OSError, WriteError)


def why(err: BaseException) -> str:
    """Why a plan could not be made, in one line."""
    return (getattr(err, "strerror", None) or str(err)) if isinstance(err, REFUSALS) \
        else describe(err)


class PlanPreview(VerticalScroll):
    """What a plan will change: its summary, the files (moves, link counts), the
    warnings; or its unified diff (`toggle_diff`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan: Plan | None = None
        self.diff = False

    def compose(self) -> ComposeResult:
        yield Static(id="preview-text")

    def show(self, plan: Plan) -> None:
        self.plan = plan
        self._update_text()

    def say(self, text: str, style: str = "dim") -> None:
        """Show a message instead of a plan (planning, or why there is none)."""
        self.plan = None
        self.query_one("#preview-text", Static).update(plain(text, style))

    def toggle_diff(self) -> None:
        self.diff = not self.diff
        self._update_text()

    def _update_text(self) -> None:
        if self.plan is not None:
            self.query_one("#preview-text", Static).update(
                diff_text(self.plan) if self.diff else plan_text(self.plan))


def plan_text(plan: Plan) -> Text:
    """The summary of ``plan``, one line per file, then its warnings."""
    text = plain(plan.summary, "bold")
    if plan.empty:
        text.append("\nNothing to change.", style="yellow")
    else:
        text.append("\n" + plan.describe() + "\n")
    for change in plan.changes:
        text.append("\n  " + clean(change.path))
        if change.new_path:
            text.append(" → ", style="bold")
            text.append(clean(change.new_path), style="bold")
        if change.links:
            text.append(f"  {count(change.links, 'link')}", style="dim")
        elif change.edits and not change.new_path:
            text.append(f"  {count(len(change.edits), 'edit')}", style="dim")
    for created in plan.creates:
        text.append("\n  + " + clean(created.path), style="green")
        text.append("  (new)", style="dim")
    from zettel.vault.reversal import Reversal  # noqa: PLC0415 - with the first plan shown

    if isinstance(plan, Reversal):
        for removal in plan.removes:
            text.append("\n  - " + clean(removal.path), style="red")
            text.append("  (removed: zettel created it)", style="dim")
        for refusal in plan.refused:
            text.append("\n! " + clean(f"{refusal.path} is left as it is: {refusal.reason}"),
                        style="yellow")
    for warning in plan.warnings:
        text.append("\n! " + clean(warning), style="yellow")
    return text


def diff_text(plan: Plan) -> Text:
    """``plan`` as a unified diff, coloured, its control characters escaped."""
    text = Text()
    for line in clean_lines(plan.diff()).splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else \
            "cyan" if line.startswith("@@") else "bold" if line.startswith(("rename", "a/")) \
            else ""
        text.append(line + "\n", style=style)
    return text or Text("Nothing to change.", style="yellow")


class PlanScreen(_Modal):
    """A dialog that plans a write as the person types (after a short pause),
    shows the plan, and returns it on Enter when what it shows is what was typed."""

    DEBOUNCE = 0.3
    BINDINGS = [
        Binding("enter", "write", "Write", priority=True,
                tooltip="write what the preview shows (Space ticks a box)"),
        Binding("ctrl+o", "toggle_diff", "Diff", priority=True,
                tooltip="show the whole diff, or the list of files again"),
    ]

    def __init__(self, heading: str, planner: Callable[[Values], Plan]) -> None:
        super().__init__()
        self._heading, self._planner = heading, planner
        self._timer: Timer | None = None
        #: The values the preview shows the plan of (None: no plan shown).
        self._planned: Values | None = None
        self._plan: Plan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog plan-box"):
            yield Label(plain(self._heading), classes="dialog-title")
            yield from self.fields()
            yield Static("Enter writes what the preview shows · Ctrl+O: the diff · "
                         "Escape: close, write nothing", classes="plan-keys")
            yield PlanPreview(id="preview")

    def fields(self) -> ComposeResult:
        """The inputs of the dialog."""
        yield from ()

    def values(self) -> Values:
        """What the person typed and chose."""
        return ()

    @property
    def _start(self) -> Values:
        """The values the dialog opens with (nothing to plan)."""
        return ()

    def on_mount(self) -> None:
        self.query_one(PlanPreview).say(self.hint())

    def hint(self) -> str:
        return "Type; the preview follows."

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self._planned = self._plan = None
        if self._timer is not None:
            self._timer.stop()
        if self.values() == self._start:
            self.query_one(PlanPreview).say(self.hint())
            return
        self._timer = self.set_timer(self.DEBOUNCE, self._preview)

    def _preview(self) -> None:
        self.query_one(PlanPreview).say("Planning…")
        self._run(self.values())

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def _run(self, values: Values) -> None:
        try:
            plan: Plan | None = self._planner(values)
            reason = ""
        except Exception as err:  # noqa: BLE001 - a refusal, or a bug: said in the preview
            plan, reason = None, why(err)
        self.app.call_from_thread(self._planned_now, values, plan, reason)

    def _planned_now(self, values: Values, plan: Plan | None, reason: str) -> None:
        if self not in self.app.screen_stack or values != self.values():
            return  # closed, or typed on meanwhile: a newer plan follows
        self._planned, self._plan = values, plan
        preview = self.query_one(PlanPreview)
        if plan is None:
            preview.say(f"Cannot do it: {reason}", "red")
        else:
            preview.show(plan)

    def action_write(self) -> None:
        values = self.values()
        if self._planned != values:
            if self._timer is not None:
                self._timer.stop()
            if values == self._start:
                notice(self, "Nothing changed yet", severity="warning")
                return
            self._preview()
            notice(self, "Here is what it will change: Enter again writes it", timeout=3)
        elif self._plan is None:
            notice(self, "This cannot be written (the preview says why)", severity="error")
        elif self._plan.empty:
            notice(self, "Nothing to change", severity="warning")
        else:
            self.dismiss(self._plan)

    def action_toggle_diff(self) -> None:
        self.query_one(PlanPreview).toggle_diff()


class MoveScreen(PlanScreen):
    """Rename or move a note: its new path, relative to the vault."""

    def __init__(self, path: str, planner: Callable[[Values], Plan]) -> None:
        super().__init__(f"Rename or move {path}: its new path in the vault", planner)
        self._path = path

    def fields(self) -> ComposeResult:
        yield Input(value=self._path, id="move-path", placeholder="folder/new-name.md")

    def values(self) -> Values:
        return (self.query_one("#move-path", Input).value,)

    @property
    def _start(self) -> Values:
        return (self._path,)

    def hint(self) -> str:
        return ("Type the new path (folders are created); every link that reaches the note "
                "by path or file name is rewritten.")


class RetitleScreen(PlanScreen):
    """Retitle a note: the new title, whether to keep the old as an alias, and
    whether the file name follows."""

    def __init__(self, title: str, planner: Callable[[Values], Plan]) -> None:
        super().__init__(f"Retitle “{title}”", planner)
        self._title = title

    def fields(self) -> ComposeResult:
        yield Input(value=self._title, id="retitle-title", placeholder="New title")
        yield Checkbox("Keep the old title as an alias (links by it are left as they are)",
                       id="retitle-alias")
        yield Checkbox("Rename the file to follow the title", id="retitle-file")

    def values(self) -> Values:
        return (self.query_one("#retitle-title", Input).value,
                self.query_one("#retitle-alias", Checkbox).value,
                self.query_one("#retitle-file", Checkbox).value)

    @property
    def _start(self) -> Values:
        return (self._title, False, False)

    def hint(self) -> str:
        return "Type the new title; links that reached the note by its old title are rewritten."


class ConfirmPlanScreen(_Modal):
    """A plan computed already (an undo): what it will change; Enter returns it."""

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", priority=True, tooltip="write it"),
        Binding("ctrl+o", "toggle_diff", "Diff", priority=True,
                tooltip="show the whole diff, or the list of files again"),
    ]

    def __init__(self, heading: str, plan: Plan, prompt: str) -> None:
        super().__init__()
        self._heading, self._plan, self._prompt = heading, plan, prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog plan-box"):
            yield Label(plain(self._heading), classes="dialog-title")
            yield Static(f"{self._prompt} · Ctrl+O: the diff · Escape: close, write nothing",
                         classes="plan-keys")
            yield PlanPreview(id="preview")

    def on_mount(self) -> None:
        preview = self.query_one(PlanPreview)
        preview.show(self._plan)
        preview.focus()

    def action_confirm(self) -> None:
        self.dismiss(self._plan)

    def action_toggle_diff(self) -> None:
        self.query_one(PlanPreview).toggle_diff()


class FixScreen(_Modal):
    """The ways to fix a broken or ambiguous link, found in a worker (with the
    paragraph around the link); returns the `Choice` made."""

    def __init__(self, heading: str, finder: Callable[[], tuple[str, Sequence[Choice]]]
                 ) -> None:
        super().__init__()
        self._heading, self._finder = heading, finder
        self._choices: list[Choice] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="fix-box", classes="dialog"):
            yield Label(plain(self._heading), classes="dialog-title")
            yield Static(id="fix-context")
            yield Static("Looking for candidates…", id="fix-status")
            yield OptionList(id="fix-choices")

    def on_mount(self) -> None:
        self._find()

    @work(thread=True, exclusive=True, group="fix", exit_on_error=False)
    def _find(self) -> None:
        try:
            paragraph, found = self._finder()
            reason = ""
        except Exception as err:  # noqa: BLE001 - a refusal, or a bug: said in the dialog
            paragraph, found, reason = "", [], why(err)
        self.app.call_from_thread(self._show, paragraph, list(found), reason)

    def _show(self, paragraph: str, choices: list[Choice], reason: str) -> None:
        if self not in self.app.screen_stack:
            return
        self._choices = choices
        shown = " ".join(paragraph.split())
        self.query_one("#fix-context", Static).update(
            plain(shown[:300] + ("…" if len(shown) > 300 else ""), "italic"))
        status = f"Cannot look for candidates: {reason}" if reason else \
            "Enter: write the link to the chosen note, or create it (u undoes it)"
        self.query_one("#fix-status", Static).update(plain(status, "red" if reason else "dim"))
        options = self.query_one("#fix-choices", OptionList)
        options.set_options(Option(_choice_text(c), id=str(i)) for i, c in enumerate(choices))
        if choices:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#fix-choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._choices[int(event.option.id or 0)])


def _choice_text(choice: Choice) -> Text:
    text = plain(choice.label, "bold")
    if choice.reason:
        text.append("  " + clean(choice.reason), style="dim")
    return text


#: The keys of the editing dialogs, for the help screen.
EDIT_KEYS: list[tuple[str, type[DOMNode]]] = [
    ("Mentions (below the note)", MentionList), ("Rename, retitle (R, T)", PlanScreen),
    ("Undo (u)", ConfirmPlanScreen)]
