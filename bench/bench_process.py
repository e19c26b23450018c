"""Whole `zettel` processes against a naive baseline process, in the same run.

    python bench/bench_process.py [--notes 10000] [--repeat 7] [--modes check-warm,show,...]

What a person waits for is the whole process: interpreter start-up, imports,
the work. Each mode below is a command line run as a fresh process (the
`zettel` script installed beside this interpreter, as a person types it); its
wall time from spawn to exit and its peak resident set size (``wait4``) are
taken. Modes are interleaved run by run and the median kept, and every time is
given as a ratio to the **naive** baseline of the same run: a process that
imports python-frontmatter and networkx, loads every note with
``frontmatter.load``, finds ``[[...]]`` with a regex and builds a ``DiGraph``.

Beside each figure, **after imports**: the median wall time minus the median
time of a process that only imports what that command imports
(``python -c "import zettel.cli.main"``, or ``import zettel.cli.main, zettel.search.whoosh.engine``
for search), i.e. roughly the work itself.

- ``check-cold``: ``zettel check`` with no cache (the cache folder removed first);
- ``check-warm``: ``zettel check`` again, nothing changed;
- ``show``, ``orphans``, ``broken``, ``tags``: with the caches a check left;
- ``search``: ``zettel search Q`` for each of `SEARCHES` (8 query kinds), the
  index already built; reported as p50 and p95 over all those runs;
- ``index-build``: the first ``zettel index`` (index folder removed first;
  the parse cache is kept, as after a check), against ``check-cold``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: One query of each kind: word, accented word, two-word AND, phrase, prefix,
#: fuzzy, tag filter, front-matter field.
SEARCHES = ("memory", "données", "graphe système", '"graphe système"', "bibli*", "memroy~",
            "tag:énergie", "kezako:graphe")

NAIVE = """
import re, sys
from pathlib import Path
import frontmatter
import networkx as nx
posts = {}
for path in Path(sys.argv[1]).rglob("*.md"):
    try:
        posts[path] = frontmatter.load(path)
    except Exception:
        continue
by_id = {str(post.get("id")): path for path, post in posts.items()}
graph = nx.DiGraph()
for path, post in posts.items():
    graph.add_node(path, title=post.get("title"))
    for m in re.finditer(r"\\[\\[([^\\]|#]+)[^\\]]*\\]\\]", post.content):
        graph.add_edge(path, by_id.get(m.group(1), m.group(1)))
"""


def zettel_script() -> str:
    found = Path(sys.executable).with_name("zettel")
    if not found.exists():
        sys.exit(f"no zettel script beside {sys.executable}: pip install -e . first")
    return str(found)


def commands(vault: Path, note: str) -> dict[str, list[str]]:
    z, py, v = zettel_script(), sys.executable, str(vault)
    table = {
        "python": [py, "-c", "pass"],
        "import-cli": [py, "-c", "import zettel.cli.main"],
        "import-search": [py, "-c", "import zettel.cli.main, zettel.search.whoosh.engine"],
        "naive": [py, "-c", NAIVE, v],
        "check-cold": [z, "check", v],
        "check-warm": [z, "check", v],
        "show": [z, "show", note, "--vault", v],
        "orphans": [z, "orphans", v],
        "broken": [z, "broken", v],
        "tags": [z, "tags", v],
        "index-build": [z, "index", v],
    }
    for i, query in enumerate(SEARCHES):
        table[f"search-{i}"] = [z, "search", query, v]
    return table


def prepare(mode: str, vault: Path) -> None:
    if mode == "check-cold":
        shutil.rmtree(vault / ".zettel" / "cache", ignore_errors=True)
    elif mode == "index-build":
        shutil.rmtree(vault / ".zettel" / "index", ignore_errors=True)


def run(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak MiB of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.exit(f"{argv} exited {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--build-repeat", type=int, default=3,
                        help="runs of index-build (slow)")
    parser.add_argument("--vault", type=Path)
    parser.add_argument("--modes", help="comma-separated subset (naive and imports always run)")
    args = parser.parse_args()
    vault = args.vault or HERE / "vaults" / f"v{args.notes // 1000}k"
    if not (vault / ".truth.json").exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(vault, args.notes)
    # As after a pip install: zettel's bytecode compiled (an editable install under
    # PYTHONDONTWRITEBYTECODE=1, as on these machines, would compile it in every process).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "zettel")],
                   check=True)
    note = sorted(p.stem for p in vault.glob("2*.md"))[len(list(vault.glob("2*.md"))) // 2]
    table = commands(vault, note)
    wanted = list(table)
    if args.modes:
        chosen = set(args.modes.split(","))
        wanted = [m for m in table if m in chosen or m.split("-")[0] in chosen
                  or m in ("python", "import-cli", "import-search", "naive")]
    # Caches, memos and the index exist before the warm modes run.
    run(table["check-warm"])
    run(table["orphans"])
    if any(m.startswith("search") for m in wanted) and "index-build" not in wanted:
        run(table["index-build"])
    times: dict[str, list[float]] = {m: [] for m in wanted}
    peaks: dict[str, list[float]] = {m: [] for m in wanted}
    for round_ in range(args.repeat):
        for mode in wanted:
            if mode == "index-build" and round_ >= args.build_repeat:
                continue
            prepare(mode, vault)
            seconds, peak = run(table[mode])
            times[mode].append(seconds)
            peaks[mode].append(peak)
            if mode == "check-cold":  # leave the caches and memos for the warm modes
                run(table["check-warm"])
                run(table["orphans"])
    report(vault, args, times, peaks)


def report(vault: Path, args: argparse.Namespace, times: dict[str, list[float]],
           peaks: dict[str, list[float]]) -> None:
    med = {m: statistics.median(t) for m, t in times.items() if t}
    peak = {m: statistics.median(p) for m, p in peaks.items() if p}
    naive, naive_mib = med["naive"], peak["naive"]
    print(f"vault: {vault} ({args.notes} notes), {args.repeat} runs, medians; "
          f"naive {naive:.3f} s, {naive_mib:.1f} MiB")
    print(f"{'mode':14} {'seconds':>8} {'x naive':>8} {'after imp':>9} {'peak MiB':>9} "
          f"{'x naive':>8}")
    for mode, seconds in med.items():
        if mode.startswith("search-"):
            continue
        base = "import-search" if mode == "index-build" else "import-cli"
        after = seconds - med.get(base, 0.0) if base in med and not mode.startswith(
            ("python", "import", "naive")) else float("nan")
        print(f"{mode:14} {seconds:8.3f} {seconds / naive:8.2f} {after:9.3f} "
              f"{peak[mode]:9.1f} {peak[mode] / naive_mib:8.2f}")
    searches = sorted(t for m, ts in times.items() if m.startswith("search-") for t in ts)
    if searches:
        p50 = statistics.median(searches)
        p95 = searches[min(len(searches) - 1, round(0.95 * (len(searches) - 1)))]
        after = med.get("import-search", 0.0)
        print(f"{'search p50':14} {p50:8.3f} {p50 / naive:8.2f} {p50 - after:9.3f}")
        print(f"{'search p95':14} {p95:8.3f} {p95 / naive:8.2f} {p95 - after:9.3f}")
        for i, query in enumerate(SEARCHES):
            m = f"search-{i}"
            if m in med:
                print(f"    {query:18} {med[m]:.3f} s  peak {peak[m]:.1f} MiB")
    if "index-build" in med and "check-cold" in med:
        print(f"index-build / check-cold: {med['index-build'] / med['check-cold']:.2f}")


if __name__ == "__main__":
    main()
