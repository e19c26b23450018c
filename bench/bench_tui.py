"""Benchmark the TUI on a generated vault: time to the first interactive screen,
and the time each keystroke of the note filter takes.

    python bench/bench_tui.py [--notes 10000] [--repeat 5]

``open``: in a fresh interpreter, from before Textual and zettel are imported
until the screen is drawn with the note list and the first note (the vault was
opened before, so its caches exist), measured with `App.run_test`; also until
the graph is built (backlinks, problems) and the search index is in step.
``floor``: the same for a bare Textual app (header, text, footer), interleaved
with ``open``: what any Textual app pays on this machine.
``keys``: the filter is typed one character at a time; for each keystroke,
the time from the filter seeing the new text until the screen is redrawn with
the new list, on the same vault.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPED = ("memory", "zettel", "graphe sys", "20210")


def run_open(vault: Path) -> dict[str, float]:
    started = time.perf_counter()
    from zettel.tui.app import ZettelApp
    from zettel.tui.main_screen import MainScreen

    marks: dict[str, float] = {}

    class TimedScreen(MainScreen):
        def show_vault(self, select: str | None) -> None:
            super().show_vault(select)  # the notes are listed: time the next paint
            self.call_after_refresh(
                lambda: marks.setdefault("interactive", time.perf_counter() - started))

    class Timed(ZettelApp):
        def get_default_screen(self) -> MainScreen:
            return TimedScreen(self.model)

    async def main() -> dict[str, float]:
        app = Timed(vault, watch=False)
        async with app.run_test(size=(120, 36)) as pilot:
            while "interactive" not in marks or app.model.report is None:
                await pilot.pause(0.01)
            marks["analysed"] = time.perf_counter() - started
            while app._index is None:
                await pilot.pause(0.01)
            marks["indexed"] = time.perf_counter() - started
        return marks

    return asyncio.run(main())


def run_floor() -> dict[str, float]:
    """The floor: a Textual app with a header, a static text and a footer."""
    started = time.perf_counter()
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    marks: dict[str, float] = {}

    class Floor(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Header()
            yield Static("hello")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(
                lambda: marks.setdefault("interactive", time.perf_counter() - started))

    async def main() -> dict[str, float]:
        async with Floor().run_test(size=(120, 36)) as pilot:
            while "interactive" not in marks:
                await pilot.pause(0.01)
        return marks

    return asyncio.run(main())


def run_keys(vault: Path) -> dict[str, list[float]]:
    from zettel.tui.app import ZettelApp

    async def main() -> dict[str, list[float]]:
        app = ZettelApp(vault, watch=False)
        times: dict[str, list[float]] = {}
        async with app.run_test(size=(120, 36)) as pilot:
            while app._index is None:
                await pilot.pause(0.01)
            for text in TYPED:
                await pilot.press("f")
                times[text] = []
                for char in text:
                    # From the key reaching the filter to the screen redrawn with the
                    # new list (Pilot's own delays are not counted).
                    done: list[float] = []
                    real = app.main.refresh_list

                    def timed(keep: str | None = None, real=real, done=done) -> None:  # type: ignore[no-untyped-def]
                        started = time.perf_counter()
                        real(keep)
                        app.call_after_refresh(lambda: done.append(time.perf_counter() - started))

                    app.main.refresh_list = timed  # type: ignore[method-assign]
                    await pilot.press(char)
                    while not done:
                        await pilot.pause(0.005)
                    app.main.refresh_list = real  # type: ignore[method-assign]
                    times[text].append(done[0])
                await pilot.press("x", "escape")
        return times

    return asyncio.run(main())


def child(*args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--vault", type=Path)
    parser.add_argument("--run", choices=("open", "keys", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    vault = args.vault or HERE / "vaults" / f"v{args.notes // 1000}k"
    if args.run == "open":
        print(json.dumps(run_open(vault)))
        return
    if args.run == "floor":
        print(json.dumps(run_floor()))
        return
    if args.run == "keys":
        print(json.dumps(run_keys(vault)))
        return
    from zettel.search.keeper import SearchIndex
    from zettel.vault.facts import check_vault

    check_vault(vault)  # the parse cache, as after any use of zettel
    SearchIndex(vault).sync()
    child("--run", "open", "--vault", str(vault))  # leaves the summary of the list
    opens, floors = [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        opens.append(child("--run", "open", "--vault", str(vault)))
        floors.append(child("--run", "floor"))
    keys = child("--run", "keys", "--vault", str(vault))
    print(f"vault: {vault} ({args.notes} notes), {args.repeat} runs, medians")
    floor = statistics.median(f["interactive"] for f in floors)
    print(f"floor: a bare Textual app  {floor:6.2f} s")
    for phase in ("interactive", "analysed", "indexed"):
        print(f"open: {phase:12} {statistics.median(o[phase] for o in opens):6.2f} s")
    per_key = [t for ts in keys.values() for t in ts]
    ordered = sorted(per_key)
    print(f"filter keystroke: median {statistics.median(per_key) * 1000:6.1f} ms, "
          f"p95 {ordered[round(0.95 * (len(ordered) - 1))] * 1000:6.1f} ms, "
          f"max {max(per_key) * 1000:6.1f} ms over {len(per_key)} keys")
    for text, ts in keys.items():
        print(f"  {text!r:14} " + " ".join(f"{t * 1000:5.0f}" for t in ts))


if __name__ == "__main__":
    main()
