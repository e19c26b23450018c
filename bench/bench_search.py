"""Benchmark the search index against the core's scans and ripgrep, same run.

    python bench/bench_search.py [--notes 10000] [--repeat 5] [--vault DIR]

Each timing runs in a fresh interpreter on the same generated vault; the
modes are interleaved and medians kept:

- ``cold-scan``: `check_vault` with no cache (the core's cold scan);
- ``warm-scan``: `check_vault` again, nothing changed (the core's warm scan);
- ``build``: the first `SearchIndex.sync` with no index and no parse cache;
- ``build-cached``: the same with the parse cache left by a check;
- ``sync-none``: a sync with nothing changed;
- ``sync-edit``: a sync after one note was edited;
- ``queries``: every query of `QUERIES` several times on an open index, with
  snippets as `zettel search` prints them (latency per query, p50 and p95);
- ``rg``: one ripgrep scan of the vault per query, for the same words
  (``rg -i -l``; a plain Python scan of the files when rg is absent);
- ``cli``: ``zettel search`` end to end (interpreter, imports, sync, query).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMED = ("cold-scan", "warm-scan", "build", "build-cached", "sync-none", "sync-edit")

#: A fixed mix: single words, two-word AND, phrases, prefixes, fuzzy, tag,
#: type and field filters, accents typed or not.
QUERIES = (
    "données", "donnees", "réseau", "memory", "bibliothèque", "forest",
    "données réseau", "memory forest", "graphe système", "science culture",
    '"graphe système"', '"données territoire"', '"writing idea"',
    "bibli*", "éco*", "hypoth*", "memroy~",
    "tag:données", "tag:énergie", "type:projet", "title:culture", "kezako:graphe",
    "id:2019*", "tag:données réseau",
)


def run_mode(mode: str, vault: Path) -> dict[str, float]:
    """One timing in this process."""
    from zettel.search.keeper import SearchIndex
    from zettel.vault.facts import check_vault

    started = time.perf_counter()
    if mode in ("cold-scan", "warm-scan"):
        check_vault(vault)
    else:
        SearchIndex(vault).sync()
    return {"seconds": time.perf_counter() - started}


def run_queries(vault: Path, passes: int) -> dict[str, list[float]]:
    """Latency of each query, ``passes`` times, on an index opened once."""
    from zettel.search.keeper import SearchIndex

    index = SearchIndex(vault)
    index.sync()
    times: dict[str, list[float]] = {q: [] for q in QUERIES}
    for _ in range(passes):
        for query in QUERIES:
            started = time.perf_counter()
            index.search(query, limit=10, count=False)  # as the TUI searches as you type
            times[query].append(time.perf_counter() - started)
    return times


def profile(vault: Path, query: str) -> None:
    """cProfile of one query on an open index (after a first, unprofiled run)."""
    import cProfile
    import pstats

    from zettel.search.keeper import SearchIndex

    index = SearchIndex(vault)
    index.sync()
    index.search(query, count=False)
    profiler = cProfile.Profile()
    profiler.runcall(index.search, query, count=False)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def rg_pattern(query: str) -> list[str]:
    """The words of a query, as ripgrep arguments (a phrase stays whole)."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]+"', " ", query)
    words = [w.split(":", 1)[-1].strip("*~") for w in rest.split()]
    return [arg for text in phrases + [w for w in words if w] for arg in ("-e", text)]


def scan_python(vault: Path, needles: list[str]) -> int:
    """The fallback for rg: read every note and look for the words."""
    lowered = [n.lower() for n in needles[1::2]]
    hits = 0
    for path in vault.rglob("*.md"):
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        hits += any(n in text for n in lowered)
    return hits


def time_rg(vault: Path, passes: int) -> dict[str, list[float]]:
    rg = shutil.which("rg")
    times: dict[str, list[float]] = {q: [] for q in QUERIES}
    for _ in range(passes):
        for query in QUERIES:
            args = rg_pattern(query)
            started = time.perf_counter()
            if rg:
                subprocess.run([rg, "-i", "-l", "-F", "--glob", "*.md", *args, str(vault)],
                               stdout=subprocess.DEVNULL, check=False)
            else:
                scan_python(vault, args)
            times[query].append(time.perf_counter() - started)
    return times


def time_cli(vault: Path, passes: int) -> list[float]:
    times = []
    for _ in range(passes):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "zettel.cli.main", "search", "graphe système",
                        str(vault)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True,
                       env={**os.environ, "PYTHONPATH": str(HERE.parent)})
        times.append(time.perf_counter() - started)
    return times


def child(args: list[str]) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    return json.loads(out.stdout)


def measure(mode: str, vault: Path, edits: list[int]) -> dict[str, float]:
    state = vault / ".zettel"
    if mode in ("cold-scan", "build"):
        shutil.rmtree(state / "cache", ignore_errors=True)
    if mode in ("build", "build-cached"):
        shutil.rmtree(state / "index", ignore_errors=True)
    if mode == "sync-edit":
        edits[0] += 1
        note = sorted(vault.glob("*.md"))[edits[0] % 50]
        text = note.read_text(encoding="utf-8")
        note.write_text(text.rstrip("\n") + f"\n\nEdited {edits[0]} times.\n", encoding="utf-8")
        # An hour old: a file written just now stays "racy" for two seconds, and
        # check_vault then does not memoise, which would slow the next warm-scan.
        stamp = time.time() - 3600 + edits[0]
        os.utime(note, (stamp, stamp))
    return child(["--run", mode, "--vault", str(vault)])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def folder_bytes(folder: Path, suffix: str = "") -> int:
    return sum(p.stat().st_size for p in folder.rglob(f"*{suffix}") if p.is_file()
               and ".zettel" not in p.relative_to(folder).parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--passes", type=int, default=5, help="runs of the query set")
    parser.add_argument("--vault", type=Path)
    parser.add_argument("--run", choices=TIMED, help=argparse.SUPPRESS)
    parser.add_argument("--queries", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="QUERY", help="profile one query and stop")
    args = parser.parse_args()
    vault = args.vault or HERE / "vaults" / f"v{args.notes // 1000}k"
    if args.profile:
        profile(vault, args.profile)
        return
    if args.run:
        print(json.dumps(run_mode(args.run, vault)))
        return
    if args.queries:
        print(json.dumps(run_queries(vault, args.passes)))
        return
    if not (vault / ".truth.json").exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(vault, args.notes)
    results: dict[str, list[float]] = {m: [] for m in TIMED}
    edits = [0]
    for _ in range(args.repeat):
        for mode in TIMED:  # sync-none follows build-cached; warm-scan follows cold-scan
            results[mode].append(measure(mode, vault, edits)["seconds"])
    queries = child(["--queries", "--vault", str(vault), "--passes", str(args.passes)])
    rg = time_rg(vault, args.passes)
    cli = time_cli(vault, args.passes)
    med = {m: statistics.median(v) for m, v in results.items()}
    ours = [t for ts in queries.values() for t in ts]
    theirs = [t for ts in rg.values() for t in ts]
    from zettel.search import state as index_state

    folder = index_state.current_folder(index_state.index_root(vault))
    assert folder is not None
    index_size, notes_size = folder_bytes(folder), folder_bytes(vault, ".md")
    print(f"vault: {vault} ({args.notes} notes, {notes_size / 1e6:.1f} MB of notes), "
          f"{args.repeat} runs each, medians; {len(QUERIES)} queries x {args.passes}")
    for mode in TIMED:
        print(f"{mode:13} {med[mode]:8.3f} s")
    print(f"build / cold-scan         {med['build'] / med['cold-scan']:6.2f} x  (target <= 6)")
    print(f"build-cached / cold-scan  {med['build-cached'] / med['cold-scan']:6.2f} x")
    print(f"sync-edit                 {med['sync-edit']:6.3f} s  (target <= 0.2)")
    print(f"sync-none / warm-scan     {med['sync-none'] / med['warm-scan']:6.2f} x  "
          "(target <= 1.2)")
    print(f"query p50 {percentile(ours, .5) * 1000:7.1f} ms   p95 "
          f"{percentile(ours, .95) * 1000:7.1f} ms   max {max(ours) * 1000:7.1f} ms")
    print(f"rg    p50 {percentile(theirs, .5) * 1000:7.1f} ms   min "
          f"{min(theirs) * 1000:7.1f} ms   ({shutil.which('rg') or 'python scan'})")
    print(f"query p95 / rg p50        {percentile(ours, .95) / percentile(theirs, .5):6.2f} x  "
          "(target < 1)")
    print(f"zettel search end to end  {statistics.median(cli) * 1000:6.0f} ms")
    print(f"index size {index_size / 1e6:.1f} MB = {index_size / notes_size:.2f} x the notes "
          "(target <= 1.5)")
    print("slowest queries (median ms, ours / rg):")
    slow = sorted(QUERIES, key=lambda q: -statistics.median(queries[q]))[:6]
    for query in slow:
        print(f"  {query:28} {statistics.median(queries[query]) * 1000:7.1f} "
              f"{statistics.median(rg[query]) * 1000:7.1f}")


if __name__ == "__main__":
    main()
