"""``zettel mv`` and ``zettel retitle`` on the 10k vault, whole processes, against a
warm ``zettel check`` process of the same run.

    python bench/bench_edit.py [--vault bench/vaults/v10k] [--repeat 7] [--links 200]

The vault is copied to a temporary folder, and the fixture made there: a note
``M`` that ``--links`` other notes link to by its file name (``[[stem]]``, a
line added to each), and a note ``T`` that ``--links`` other notes link to by
its title (``[[Title]]``). Then, each run, as a person would find the vault
(caches and memos warm, written by the previous command):

- ``check-warm``: ``zettel check VAULT`` (the baseline);
- ``mv``: ``zettel mv M moved/…`` (every link rewritten, written, journaled),
  back again on the next run;
- ``retitle``: ``zettel retitle T "…"`` (every link rewritten), back again on
  the next run;
- ``mv-dry``, ``retitle-dry``: the same with ``--dry-run``: planned, the diff
  made and printed, nothing written (what is not the writer's).

Before each timed command the vault is left alone a little over two seconds
and its memos written again (``zettel check`` and ``zettel orphans``, not
timed): a memo is not saved while a file is younger than two seconds
(`zettel.vault.cache.RACY_WINDOW_NS`), and a person does not type the next
command within two seconds either. Medians; each figure also as a ratio to
``check-warm``, and after imports (less a process that imports
``zettel.cli.main`` and exits). ``--profile`` prints a cProfile of one ``mv``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def zettel_script() -> str:
    found = Path(sys.executable).with_name("zettel")
    if not found.exists():
        sys.exit(f"no zettel script beside {sys.executable}: pip install -e . first")
    return str(found)


def run(argv: list[str], check: bool = True) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env={**os.environ, "PYTHONHASHSEED": "0"}, check=False)
    seconds = time.perf_counter() - started
    if check and proc.returncode not in (0, 1):
        sys.exit(f"{argv} exited {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return seconds


def make_fixture(vault: Path, links: int) -> tuple[str, str, str]:
    """Add the links of the fixture; returns M's path, T's path and T's title."""
    sys.path.insert(0, str(HERE.parent))
    from zettel.vault.facts import vault_facts

    facts, _ = vault_facts(vault)
    paths = sorted(facts.notes)
    resolver = facts.resolver
    chosen: list[str] = []
    for path in paths[len(paths) // 3:]:
        row = facts.notes[path]
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        by_stem = resolver.resolve(stem)
        by_title = resolver.resolve(row.title)
        if not chosen and by_stem.step == "stem" and by_stem.paths == (path,):
            chosen.append(path)
        elif (len(chosen) == 1 and by_title.step == "title" and by_title.paths == (path,)
              and "[" not in row.title and "|" not in row.title and "#" not in row.title):
            chosen.append(path)
            break
    moved, titled = chosen
    stem = moved.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    title = facts.notes[titled].title
    others = [p for p in paths if p not in chosen]
    step = max(1, len(others) // (2 * links))
    sources = others[::step][: 2 * links]
    for i, path in enumerate(sources):
        with open(vault / path, "a", encoding="utf-8") as out:
            out.write(f"\nSee [[{stem}]].\n" if i % 2 == 0 else f"\nAlso [[{title}]].\n")
    return moved, titled, title


def settle(z: str, vault: Path) -> None:
    """Let the racy window pass, then write the memos again (as the previous
    command would have)."""
    time.sleep(2.2)
    run([z, "check", str(vault)])
    run([z, "orphans", str(vault)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", type=Path, default=HERE / "vaults" / "v10k")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--links", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if not args.vault.is_dir():
        sys.exit(f"no vault at {args.vault}: python bench/generate.py {args.vault} "
                 "--notes 10000")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "zettel")],
                   check=True)
    z, py = zettel_script(), sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        shutil.copytree(args.vault, vault, ignore=shutil.ignore_patterns("cache", "index"))
        moved, titled, title = make_fixture(vault, args.links)
        stem = moved.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        places = [moved, f"moved/{stem} renamed.md"]
        titles = [title, f"{title} (renamed)"]
        v = str(vault)
        print(f"vault: {args.vault} copied; mv {moved}: {args.links} links by file name; "
              f"retitle {titled} '{title}': {args.links} links by title")
        settle(z, vault)
        if args.profile:
            out = Path(tmp) / "mv.prof"
            run([py, "-m", "cProfile", "-o", str(out), z, "mv", moved, places[1], "--vault", v])
            import pstats

            pstats.Stats(str(out)).sort_stats("cumulative").print_stats(30)
            return
        times: dict[str, list[float]] = {"import-cli": [], "check-warm": [], "mv": [],
                                         "retitle": [], "mv-dry": [], "retitle-dry": []}
        for i in range(args.repeat):
            times["import-cli"].append(run([py, "-c", "import zettel.cli.main"]))
            times["check-warm"].append(run([z, "check", v]))
            times["mv-dry"].append(run([z, "mv", places[i % 2], places[(i + 1) % 2],
                                        "--vault", v, "--dry-run"]))
            times["retitle-dry"].append(run([z, "retitle", titles[i % 2], titles[(i + 1) % 2],
                                             "--vault", v, "--dry-run"]))
            times["mv"].append(run([z, "mv", places[i % 2], places[(i + 1) % 2],
                                    "--vault", v]))
            settle(z, vault)
            times["check-warm"].append(run([z, "check", v]))
            times["retitle"].append(run([z, "retitle", titles[i % 2], titles[(i + 1) % 2],
                                         "--vault", v]))
            settle(z, vault)
        med = {mode: statistics.median(t) for mode, t in times.items()}
        base, imports = med["check-warm"], med["import-cli"]
        print(f"{args.repeat} runs each, medians")
        print(f"{'mode':12} {'seconds':>8} {'x check':>8} {'after imp':>9}")
        for mode, seconds in med.items():
            print(f"{mode:12} {seconds:8.3f} {seconds / base:8.2f} {seconds - imports:9.3f}")


if __name__ == "__main__":
    main()
