"""The app's editing of the graph: the dialogs it opens, the plans made and
written in workers, and the vault read again at once after each write.

`EditActions` belongs to the app (which binds the keys and delegates here);
what the engines are asked lives in `zettel.tui.edits`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from zettel.core.display import describe
from zettel.tui import edits
from zettel.tui.edit_screens import (
    ConfirmPlanScreen,
    FixScreen,
    MoveScreen,
    RetitleScreen,
    Values,
    why,
)
from zettel.tui.edits import Choice
from zettel.tui.screens import ProblemsScreen
from zettel.tui.widgets import notice
from zettel.vault.write import WriteError

if TYPE_CHECKING:
    from zettel.core.mentions import Mention
    from zettel.core.model import Problem
    from zettel.core.plan import Plan
    from zettel.tui.app import ZettelApp


class EditActions:
    """Rename, retitle, copy a link, undo, fix a link, link mentions: each asks,
    shows what will change, and writes in a worker."""

    def __init__(self, app: ZettelApp) -> None:
        self.app = app
        self.root = app.model.root
        #: Set while a write is under way: a second one waits for it to end.
        self.writing = False

    def _current(self) -> str | None:
        """The note shown, or None (said) when there is none yet."""
        path = self.app.history.current
        if path is None or path not in self.app.model.notes:
            notice(self.app, "No note is shown", severity="warning")
            return None
        return path

    def _in_worker(self, name: str, job: Callable[[], None]) -> None:
        self.app.run_worker(job, name=name, group="edit", thread=True, exit_on_error=False)

    # -- the dialogs

    def rename(self) -> None:
        path = self._current()
        if path is not None:
            def planner(values: Values) -> Plan:
                return edits.plan_move(self.root, path, values[0])

            self.app.push_screen(MoveScreen(path, planner), partial(self.write, current=path))

    def retitle(self) -> None:
        path = self._current()
        if path is not None:
            def planner(values: Values) -> Plan:
                title, alias, rename_file = values
                return edits.plan_retitle(self.root, path, title, alias=alias,
                                          rename_file=rename_file)

            title = self.app.model.notes[path].title
            self.app.push_screen(RetitleScreen(title, planner), partial(self.write, current=path))

    def copy_link(self) -> None:
        path = self._current()
        if path is not None:
            note = self.app.model.note(path)

            def find() -> None:
                try:
                    text = edits.link_to(self.root, note)
                except Exception as err:  # noqa: BLE001 - a refusal, or a bug: a notice
                    self.app.call_from_thread(notice, self.app, f"Cannot make a link: "
                                              f"{why(err)}", severity="error")
                    return
                self.app.call_from_thread(self._copy, text)

            self._in_worker("Making the link", find)

    def _copy(self, text: str) -> None:
        self.app.copy_to_clipboard(text)
        notice(self.app, f"Copied {text}", timeout=4)

    def undo(self) -> None:
        current = self.app.history.current

        def find() -> None:
            try:
                plan = edits.plan_undo(self.root)
            except Exception as err:  # noqa: BLE001 - a refusal, or a bug: a notice
                self.app.call_from_thread(notice, self.app, f"Cannot undo: {why(err)}",
                                          severity="error")
                return
            self.app.call_from_thread(self._confirm_undo, plan, current)

        self._in_worker("Looking for the last write", find)

    def _confirm_undo(self, plan: Plan | None, current: str | None) -> None:
        if plan is None or plan.empty:
            notice(self.app, "Nothing to undo: every write zettel made here is undone (or "
                   "it made none)", severity="warning")
            return
        self.app.push_screen(
            ConfirmPlanScreen(plan.summary[:1].upper() + plan.summary[1:], plan,
                              "Enter undoes it"),
            partial(self.write, current=current))

    def look_for_interrupted(self) -> None:
        """Say so when a write was interrupted (its process killed): undo rolls it back."""
        def look() -> None:
            said = edits.waiting(self.root)
            if said:
                self.app.call_from_thread(notice, self.app, f"{said[0].upper()}{said[1:]} "
                                          "(u here)", severity="warning", timeout=10)

        self._in_worker("Looking for an interrupted write", look)

    def link_mentions(self, mentions: list[Mention]) -> None:
        """Turn ``mentions`` (of the note shown) into links, at once (u undoes it)."""
        current = self.app.history.current
        note = self.app.model.notes.get(mentions[0].target) if mentions else None
        if note is None:
            return

        def plan() -> None:
            try:
                made = edits.plan_link_mentions(self.root, mentions, note)
            except Exception as err:  # noqa: BLE001 - a refusal, or a bug: a notice
                self.app.call_from_thread(notice, self.app, f"Cannot link: {why(err)}",
                                          severity="error")
                return
            self.app.call_from_thread(self.write, made, current)

        self._in_worker("Linking mentions", plan)

    def fix(self, problem: Problem) -> None:
        """Offer the ways to fix the link of ``problem``; write the one chosen."""
        titles = {path: note.title for path, note in self.app.model.notes.items()}
        heading = f"{problem.path}:{problem.line}: {problem.message}"
        self.app.push_screen(FixScreen(heading, partial(edits.fix_choices, self.root, problem,
                                                        titles)), self._fix_chosen)

    def _fix_chosen(self, choice: Choice | None) -> None:
        if choice is None:
            return
        if choice.value[0] == "open":
            if isinstance(self.app.screen, ProblemsScreen):
                self.app.screen.dismiss(choice.value[1:])
            return
        current = self.app.history.current

        def plan() -> None:
            try:
                made = edits.plan_fix_choice(self.root, choice)
            except Exception as err:  # noqa: BLE001 - a refusal, or a bug: a notice
                self.app.call_from_thread(notice, self.app, f"Cannot fix it: {why(err)}",
                                          severity="error")
                return
            self.app.call_from_thread(self.write, made, current)

        self._in_worker("Fixing the link", plan)

    # -- writing

    def write(self, plan: Plan | None, current: str | None = None) -> None:
        """Write ``plan`` (None: the dialog was closed) in a worker, then read
        the vault again at once and show ``current`` where the plan put it."""
        if plan is None:
            return
        if self.writing:
            notice(self.app, "Another write is under way: try again when it is done",
                   severity="warning")
            return
        self.writing = True
        self.app.ready.clear()  # no reload by the file watcher until the write is done
        self.app.search_ready.clear()
        select = edits.moved_to(plan, current) if current else None
        self._in_worker("Writing", partial(self._apply, plan, select))

    def _apply(self, plan: Plan, select: str | None) -> None:
        try:
            said = edits.write(self.root, plan)
        except WriteError as err:
            self.app.call_from_thread(self._refused, str(err))
        except Exception as err:  # noqa: BLE001 - a bug: said, and the app goes on
            self.app.call_from_thread(self._refused, describe(err))
        else:
            self.app.call_from_thread(self._written, plan, select, said)

    def _refused(self, reason: str) -> None:
        self.writing = False
        notice(self.app, f"Nothing written: {reason}", severity="error", timeout=8)
        self.app.reload(None)  # the files may have changed: show them as they are

    def _written(self, plan: Plan, select: str | None, said: list[str]) -> None:
        self.writing = False
        undone = plan.action in ("undo", "rollback")
        notice(self.app, f"{plan.summary}: {plan.describe()}" + ("" if undone else
                                                                " (u undoes it)"), timeout=6)
        for text in said:
            notice(self.app, text, severity="warning", timeout=10)
        self.app.reload(select)
