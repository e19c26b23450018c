"""Following files changed on disk while the editor is open.

When the editor can watch files for the server (dynamic registration of
``workspace/didChangeWatchedFiles``), the server asks it to, and takes its
events. Otherwise it watches each vault it reads itself, with watchfiles, on
the server's event loop. A vault folder that disappears is polled for until it
comes back, then read again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from zettel.lsp.state import VaultState
from zettel.lsp.workspace import relative_to
from zettel.vault.config import STATE_DIR

if TYPE_CHECKING:
    from zettel.lsp.server import ZettelServer

logger = logging.getLogger(__name__)
#: How often a vault folder that is gone is looked for (s), and the watcher's
#: own timings (ms): changes are gathered for `DEBOUNCE`, looked for every `STEP`.
POLL, DEBOUNCE, STEP, TIMEOUT = 2.0, 100, 50, 500
REGISTRATION = "zettel-watched-files"


def wanted(root: Path, path: str) -> bool:
    """Whether a change of ``path`` matters: any file of the vault but hidden
    ones, except the vault's settings (the caches zettel writes are ignored)."""
    rel = relative_to(Path(path), root)
    if rel is None:
        return True  # the vault folder itself
    if rel == f"{STATE_DIR}/config.yaml":
        return True
    return not any(part.startswith(".") for part in rel.split("/"))


class Watcher:
    """Tells the server of files changed on disk (see the module doc)."""

    def __init__(self, server: ZettelServer) -> None:
        self.server = server
        #: Whether the editor can watch files for the server (set at initialize).
        self.client_watches = False
        self._started = False
        self._tasks: dict[Path, asyncio.Task[None]] = {}
        self._stop: asyncio.Event | None = None

    async def start(self) -> None:
        """Ask the editor to watch files, else watch the vaults read so far."""
        self._started = True
        if self.client_watches:
            watchers = [types.FileSystemWatcher(glob_pattern="**/*")]
            try:
                await self.server.client_register_capability_async(types.RegistrationParams(
                    registrations=[types.Registration(
                        id=REGISTRATION, method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=types.DidChangeWatchedFilesRegistrationOptions(
                            watchers=watchers))]))
            except Exception as err:  # noqa: BLE001 - the editor refused: watch ourselves
                self.server.log(f"zettel: the editor does not watch files ({err}); "
                                "zettel watches them itself")
                self.client_watches = False
        if not self.client_watches:
            for state in self.server.space.vaults.values():
                self.watch(state)

    def watch(self, state: VaultState) -> None:
        """Watch ``state``'s folder (when the editor does not)."""
        if not self._started or self.client_watches or state.root in self._tasks:
            return
        if self._stop is None:
            self._stop = asyncio.Event()
        self._tasks[state.root] = asyncio.ensure_future(self._run(state.root))

    def stop(self) -> None:
        """Stop watching (the server shuts down)."""
        if self._stop is not None:
            self._stop.set()
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()

    async def _run(self, root: Path) -> None:
        from watchfiles import Change, awatch  # noqa: PLC0415 - only when watching

        stop = self._stop
        assert stop is not None
        gone = False
        while not stop.is_set():
            if not root.is_dir():
                if not gone:
                    gone = True
                    self.server.disk_changed([(root, False)])
                await _pause(stop)
                continue
            if gone:  # it came back: read it again
                gone = False
                self.server.disk_changed([(root, True)])
            logger.debug("watching %s", root)
            try:
                async for changes in awatch(root, watch_filter=lambda _, p: wanted(root, p),
                                            debounce=DEBOUNCE, step=STEP, rust_timeout=TIMEOUT,
                                            stop_event=stop, recursive=True):
                    logger.debug("changes in %s: %s", root, changes)
                    self.server.disk_changed(
                        [(Path(path), kind != Change.deleted) for kind, path in changes])
                    if not root.is_dir():
                        break
            except Exception as err:  # noqa: BLE001 - a watcher that fails is logged
                self.server.log(f"zettel: watching '{root}' stopped ({err}); trying again")
            if not root.is_dir():
                gone = True
                self.server.disk_changed([(root, False)])
            await _pause(stop)


async def _pause(stop: asyncio.Event) -> None:
    """Wait `POLL` seconds, or until the server stops."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), POLL)
