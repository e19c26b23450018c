"""The zettel TUI: the app, its workers, its dialogs.

The app owns the `VaultModel` and the slow work, in thread workers: reading
the vault, building the graph, keeping the search index in step, watching the
files. It hands what they produce to the `MainScreen` (which shows notes and
reacts to its widgets) and opens the dialogs of `zettel.tui.screens`.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import App, SuspendNotSupported
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.worker import Worker, WorkerState

from zettel.core.display import clean, describe
from zettel.core.model import count
from zettel.tui.edit_actions import EditActions
from zettel.tui.edit_screens import EDIT_KEYS
from zettel.tui.main_screen import MainScreen
from zettel.tui.mention_list import MentionList
from zettel.tui.model import History, VaultModel
from zettel.tui.screens import (
    DIALOG_KEYS,
    HelpScreen,
    NeighbourhoodScreen,
    NewNoteScreen,
    ProblemsScreen,
    SearchScreen,
)
from zettel.tui.widgets import Reader, notice
from zettel.vault.config import STATE_DIR, ConfigError
from zettel.vault.scan import Vault, VaultError
from zettel.vault.statedir import UnsafeStateDir

if TYPE_CHECKING:
    from zettel.search.model import Results
    from zettel.search.protocol import SearchEngine

#: Where the files cannot be watched, how often they are compared with what is shown (s).
WATCH_EVERY = 1.0
#: After the vault could not be read, how long before trying again (seconds).
RETRY_AFTER = 5.0


class NoteCommands(Provider):
    """Ctrl+P: jump to any note by title, id or alias."""

    async def search(self, query: str) -> Hits:
        app: ZettelApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        for note in app.model.filtered(query)[:40]:
            label = clean(f"{note.title}  {note.id}" if note.id else note.title)
            yield Hit(max(matcher.match(label), 0.5), matcher.highlight(label),
                      partial(app.open_note, note.path), help=clean(note.path))

    async def discover(self) -> Hits:
        app: ZettelApp = self.app  # type: ignore[assignment]
        for note in app.model.filtered()[:30]:
            yield DiscoveryHit(clean(note.title), partial(app.open_note, note.path),
                               help=clean(note.path))


class ZettelApp(App[None]):
    """Browse, read, search and edit the notes of one vault."""

    CSS_PATH = Path(__file__).with_name("zettel.tcss")  # absolute: subclasses may live elsewhere
    TITLE = "zettel"
    COMMANDS = App.COMMANDS | {NoteCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("slash", "search", "Search", tooltip="full text, as you type; Enter opens the "
                "best match, Down the others"),
        Binding("ctrl+p", "command_palette", "palette", show=False, priority=True,
                tooltip="jump to a note by title or id (and Textual's commands)"),
        Binding("n", "new_note", "New", tooltip="a new note (title, types, tags), opened in "
                "$EDITOR"),
        Binding("e", "edit_note", "Edit", tooltip="edit this note in $EDITOR"),
        Binding("p", "problems", "Problems", tooltip="broken links, duplicate ids, YAML "
                "errors, orphans; Enter opens one"),
        Binding("g", "neighbourhood", "Neighbours", tooltip="the notes 1 to 3 links away, "
                "in, out or both"),
        Binding("u,ctrl+z", "edit('undo')", "Undo", show=False, tooltip="the last write "
                "zettel made (rename, retitle, fix, link), after showing what it reverts"),
        Binding("question_mark", "help", "Keys", tooltip="this list"),
    ]

    def __init__(self, vault: Path, *, watch: bool = True) -> None:
        super().__init__()
        self.model = VaultModel(vault)
        #: Set while the notes shown are those on disk (clear: a reload or an edit is on).
        self.ready = threading.Event()
        #: Set once the search index holds the notes read last (clear: a reload or an edit is
        #: on, the index is being built or brought in step, or it could not be).
        self.search_ready = threading.Event()
        self._watch = watch
        self._index: SearchEngine | None = None
        self._index_lock = threading.Lock()
        self._index_status = ""
        self._stop = threading.Event()
        self._last_failure = ""
        self.edits = EditActions(self)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.model)

    @property
    def main(self) -> MainScreen:
        """The main screen, whichever screen is on top."""
        return self.screen_stack[0]  # type: ignore[return-value]

    @property
    def history(self) -> History:
        return self.main.history

    def open_note(self, path: str, line: int | None = None) -> None:
        """Show a note on the main screen."""
        if self.screen_stack:  # not while closing
            self.main.open_note(path, line=line)

    def on_mount(self) -> None:
        self.sub_title = clean(self.model.root.name)
        if self._watch:
            self._watch_files()
        self.edits.look_for_interrupted()

    @on(MainScreen.Composed)
    def _fill(self) -> None:
        if self.model.load_summary():  # the last session's list: show it at once
            self.main.show_vault(None)
        self.call_after_refresh(self._load, True)  # then read the vault, after the first paint

    # -- slow work, in workers

    # A worker that fails does not stop the app: `on_worker_state_changed` says so.

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, first: bool = False, select: str | None = None) -> None:
        def progress(done: int, total: int) -> None:
            if done % 250 == 0 or done == total:
                self.call_from_thread(self._status, f"reading notes {done}/{total}")

        try:
            vault, fingerprint = self.model.read(progress)
        except (VaultError, ConfigError, UnsafeStateDir) as err:  # e.g. a half-written config
            self.call_from_thread(self._load_failed, str(err))
            return
        except Exception as err:  # noqa: BLE001 - a bug, or a vault nothing foresaw: said below
            self.call_from_thread(self._load_failed, describe(err))
            return
        self.call_from_thread(self._loaded, select, vault, fingerprint)
        self.model.analyse()
        self.call_from_thread(self._analysed)
        self._sync_index()

    def _load_failed(self, reason: str, what: str = "Cannot read the vault") -> None:
        """Keep showing what was read; look again in a few seconds."""
        notice(self, f"{what}: {reason}", severity="error", timeout=6)
        self.set_timer(RETRY_AFTER, self._resume_watching)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker of the app failed (a bug, or a vault nothing foresaw): a notice,
        and the app goes on (Textual logs the traceback)."""
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        reason = describe(worker.error or Exception())
        if worker.group == "load":  # after the notes were read: the links, or showing them
            self._load_failed(reason, what="Cannot check the vault")
        elif worker.group == "watch":
            self._poll_instead(reason)
        elif reason != self._last_failure:  # the same failure every second says nothing new
            self._last_failure = reason
            what = "Cannot look for changed files" if worker.group == "check" else \
                f"{worker.name or worker.group} failed"
            notice(self, f"{what}: {reason}", severity="error", timeout=6)

    def _loaded(self, select: str | None, vault: Vault, fingerprint: str) -> None:
        """On the UI thread: take the notes read, and show them."""
        self.model.adopt(vault, fingerprint)
        self._last_failure = ""
        if not self.screen_stack:  # closing
            return
        self.main.show_vault(select)
        self._status(count(len(self.model.notes), "note") + "; checking links…")
        self._resume_watching()

    def _analysed(self) -> None:
        if self.screen_stack and self.model.report is not None:
            self.main.show_analysis(self.model.report)
            for screen in self.screen_stack:  # an open problems screen follows the vault
                if isinstance(screen, ProblemsScreen):
                    screen.show(self.model.problems(), self.model.report.counts)

    def _status(self, text: str) -> None:
        if self.screen_stack:
            self.main.status(text)

    def _sync_index(self) -> None:
        from zettel.search.keeper import IndexBusy, SearchIndex  # noqa: PLC0415 - Whoosh when needed

        def progress(phase: str, done: int, total: int) -> None:
            if total:
                self._index_status = f"search index: {phase} {done}/{total}"
                if done % 200 == 0 or done == total:
                    self.call_from_thread(self._status, self._index_status)

        with self._index_lock:
            index: SearchEngine = self._index or SearchIndex(self.model.root, procs=1)
            try:
                index.sync(progress=progress)
            except Exception as err:  # noqa: BLE001 - a bug too: said, and the rest works
                known = isinstance(err, IndexBusy | OSError | VaultError | ConfigError |
                                   UnsafeStateDir)
                message = (getattr(err, "strerror", None) or str(err)) if known else describe(err)
                self.call_from_thread(notice, self, f"Search is unavailable: {message}",
                                      severity="warning", timeout=6)
                self._index_status = f"search unavailable: {message}"
                return
            notices, index.notices[:] = list(index.notices), []
            self._index = index
            self.search_ready.set()
        if self._index_status:
            self._index_status = ""
            self.call_from_thread(self._analysed)  # the status line showed the progress
        for text in notices:
            self.call_from_thread(notice, self, text, severity="warning")

    def _search(self, text: str) -> Results:
        """Search the index (from a worker); RuntimeError while there is none."""
        if self._index is None:
            raise RuntimeError(self._index_status or "the search index is being built…")
        with self._index_lock:
            return self._index.search(text, limit=30, count=False)

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def _watch_files(self) -> None:
        """Look at the vault again whenever a file in it changes (watchfiles:
        inotify, FSEvents or ReadDirectoryChanges; no polling)."""
        from watchfiles import watch  # noqa: PLC0415 - only when watching

        ours = [self.model.root / STATE_DIR / name for name in ("cache", "index")]

        def wanted(_change: object, path: str) -> bool:  # not zettel's own writes
            return not any(Path(path).is_relative_to(folder) for folder in ours)

        try:
            for _ in watch(self.model.root, watch_filter=wanted, debounce=200,
                           stop_event=self._stop, raise_interrupt=False):
                self._check_disk()
        except (OSError, RuntimeError) as err:  # e.g. the inotify watch limit
            self.call_from_thread(self._poll_instead, str(err))

    def _poll_instead(self, reason: str) -> None:
        """The files cannot be watched: compare them with what is shown, often."""
        notice(self, f"Cannot watch the files ({reason}); looking every {WATCH_EVERY:g} s "
               "instead", severity="warning")
        self.set_interval(WATCH_EVERY, self._check_now)

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def _check_now(self) -> None:
        self._check_disk()

    def _resume_watching(self) -> None:
        """After a reload: take changes again, and catch any made during it."""
        self.ready.set()
        self._check_now()

    def on_unmount(self) -> None:
        self._stop.set()

    def _check_disk(self) -> None:
        """(In a worker.) Reload if the files differ from what is shown."""
        if not self.ready.is_set():
            return
        try:
            changed = self.model.changed_on_disk()
        except (VaultError, ConfigError):
            changed = True  # the reload says what is wrong
        if changed:
            self.call_from_thread(self._reload_if_idle)

    def _reload_if_idle(self) -> None:
        """Re-read the vault, unless a reload (or an edit) began meanwhile."""
        if self.ready.is_set():
            self.ready.clear()
            self.search_ready.clear()
            self._load(False, self.history.current)

    def reload(self, select: str | None) -> None:
        """Read the vault again now (after zettel's own write, without waiting for the
        watcher) and show ``select``, or the note shown."""
        self.ready.clear()
        self.search_ready.clear()
        self._load(False, select)

    # -- dialogs

    def action_search(self) -> None:
        self.push_screen(SearchScreen(self._search, self.model.readable), self.main.opened)

    def action_problems(self) -> None:
        if self.model.report is None:
            self.notify("Still checking the vault…")
            return
        self.push_screen(ProblemsScreen(self.model.problems(), self.model.report.counts),
                         self.main.opened)

    def action_neighbourhood(self) -> None:
        path = self.history.current
        if path is None or self.model.graph is None:
            return
        titles = {p: n.title for p, n in self.model.notes.items()}
        self.push_screen(NeighbourhoodScreen(path, titles,
                                             partial(self.model.neighbourhood, path)),
                         self.main.opened)

    def action_help(self) -> None:
        self.push_screen(HelpScreen([("Everywhere", ZettelApp), ("The main screen", MainScreen),
                                     ("In the note (r)", Reader), *DIALOG_KEYS,
                                     *EDIT_KEYS]))

    # -- editing the graph (zettel.tui.edit_actions)

    def action_edit(self, what: str) -> None:
        """``rename``, ``retitle``, ``copy_link`` or ``undo`` (`EditActions`)."""
        getattr(self.edits, what)()

    @on(ProblemsScreen.Fix)
    def _fix(self, event: ProblemsScreen.Fix) -> None:
        self.edits.fix(event.problem)

    @on(MentionList.Link)
    def _link_mentions(self, event: MentionList.Link) -> None:
        self.edits.link_mentions(event.mentions)

    # -- notes in the editor

    def action_new_note(self) -> None:
        self.push_screen(NewNoteScreen(), self._create)

    def _create(self, values: tuple[str, tuple[str, ...], tuple[str, ...]] | None) -> None:
        if values is None or self.model.vault is None:
            return
        from zettel.vault.create import CreateError, new_note  # noqa: PLC0415 - PyYAML, when needed

        title, types, tags = values
        taken = [n.id for n in self.model.notes.values() if n.id]
        try:
            created = new_note(self.model.root, title, config=self.model.vault.config,
                               taken_ids=taken, types=types, tags=tags)
        except CreateError as err:
            notice(self, str(err), severity="error")
            return
        self._edit(created.relative_to(self.model.root).as_posix())

    def action_edit_note(self) -> None:
        if self.history.current is not None:
            self._edit(self.history.current)

    def _edit(self, path: str) -> None:
        """Open ``path`` in the editor, then read the vault again and show it."""
        from zettel.vault.create import CreateError, choose_editor, open_in_editor  # noqa: PLC0415

        assert self.model.vault is not None
        try:
            editor = choose_editor(self.model.vault.config, self.model.root)
        except (CreateError, ConfigError) as err:  # e.g. an unbalanced quote in $EDITOR
            notice(self, f"Cannot open an editor: {err}", severity="error")
            return
        if editor.notice:
            notice(self, editor.notice[0].upper() + editor.notice[1:], severity="warning")
        self.ready.clear()  # no reload by the file watcher while the editor runs
        command = editor.command
        if command is None:
            self.notify("No editor: set $VISUAL or $EDITOR (or 'editor' in your settings)",
                        severity="error")
        else:
            try:
                try:
                    with self.suspend():
                        status = open_in_editor(command, self.model.root / path)
                except SuspendNotSupported:  # no terminal to hand over (tests, some drivers)
                    status = open_in_editor(command, self.model.root / path)
            except OSError as err:
                notice(self, f"Cannot run '{command[0]}': {err.strerror or err}", severity="error")
                self._resume_watching()  # nothing was edited: take changes again
                return
            if status:
                self.notify(f"The editor exited with status {status}", severity="warning")
        self.search_ready.clear()
        self._load(False, path)
