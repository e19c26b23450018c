"""Benchmark zettel's scan + graph + check against a naive baseline, same run.

    python bench/bench_scan.py [--notes 10000] [--repeat 3] [--vault DIR]

Each measurement runs in a fresh interpreter (one process run each) on the
same generated vault; runs of the different modes are interleaved and the
median is kept, so the ratios compare like with like on a noisy machine:

- ``read``: reading every byte of every note (the floor of any scan);
- ``naive``: what a short script would do: ``frontmatter.load`` of every
  file, a ``[[...]]`` regex, a networkx ``DiGraph`` of the links;
- ``cold``: ``check_vault`` with no cache (parse, resolve, graph, check,
  write the caches);
- ``warm``: ``check_vault`` again, nothing changed since (the `zettel check`
  a person runs over and over);
- ``warm-full``: loading every `Note` from the cache and building the graph
  and the report from them, with no reuse of the last check (what the TUI
  and ``zettel show`` pay), reported for honesty, not against a target.

Time is the operation's wall time after imports; ``import`` is the time to
import what each needs. Memory is the process's peak resident set size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("read", "naive", "cold", "warm", "warm-full")


def run_mode(mode: str, vault: Path) -> dict[str, float]:
    """Run one measurement in this process and return its figures."""
    import resource

    t0 = time.perf_counter()
    if mode == "naive":
        import re

        import frontmatter
        import networkx as nx
    elif mode != "read":
        from zettel.core.check import analyze
        from zettel.vault.facts import check_vault, graph_of
        from zettel.vault.scan import open_vault
    t1 = time.perf_counter()
    if mode == "read":
        total = 0
        for dirpath, dirnames, filenames in os.walk(vault):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.endswith(".md"):
                    with open(os.path.join(dirpath, name), "rb") as f:
                        total += len(f.read())
    elif mode == "naive":
        posts = {}
        for path in vault.rglob("*.md"):  # the generated vault has no hidden notes to skip
            try:
                posts[path] = frontmatter.load(path)
            except Exception:  # noqa: BLE001 - the naive script skips bad files
                continue
        by_id = {str(post.get("id")): path for path, post in posts.items()}
        graph = nx.DiGraph()
        for path, post in posts.items():
            graph.add_node(path, title=post.get("title"))
            for m in re.finditer(r"\[\[([^\]|#]+)[^\]]*\]\]", post.content):
                graph.add_edge(path, by_id.get(m.group(1), m.group(1)))
    elif mode in ("cold", "warm"):
        check_vault(vault)
    elif mode == "warm-full":
        analyze(graph_of(open_vault(vault)))
    t2 = time.perf_counter()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": t2 - t1, "import": t1 - t0, "rss_mib": rss_kib / 1024}


def measure(mode: str, vault: Path) -> dict[str, float]:
    if mode == "cold":
        shutil.rmtree(vault / ".zettel" / "cache", ignore_errors=True)
    out = subprocess.run(
        [sys.executable, __file__, "--run", mode, "--vault", str(vault)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--vault", type=Path)
    parser.add_argument("--run", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_mode(args.run, args.vault)))
        return
    vault = args.vault or HERE / "vaults" / f"v{args.notes // 1000}k"
    if not (vault / ".truth.json").exists():
        sys.path.insert(0, str(HERE))
        from generate import generate

        generate(vault, args.notes)
    results: dict[str, list[dict[str, float]]] = {m: [] for m in MODES}
    for _ in range(args.repeat):
        for mode in MODES:  # warm and warm-full follow the cold run that made the cache
            results[mode].append(measure(mode, vault))
    med = {m: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for m, rs in results.items()}
    naive = med["naive"]
    print(f"vault: {vault} ({args.notes} notes), {args.repeat} runs each, medians")
    header = ("mode", "seconds", "x naive", "peak MiB", "x naive", "import s")
    widths = (8, 8, 9, 8, 9)
    cells = (f"{h:>{w}}" for h, w in zip(header[1:], widths, strict=True))
    print(f"{header[0]:10} " + " ".join(cells))
    for mode in MODES:
        m = med[mode]
        print(f"{mode:10} {m['seconds']:8.3f} {m['seconds'] / naive['seconds']:8.2f} "
              f"{m['rss_mib']:9.1f} {m['rss_mib'] / naive['rss_mib']:8.2f} {m['import']:9.3f}")


if __name__ == "__main__":
    main()
