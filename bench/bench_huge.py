"""Benchmark reading one huge note: a whole ``python`` process that parses it.

    python bench/bench_huge.py [--mb 50] [--repeat 3] [--plain] [--dir DIR]

Writes a note of ``--mb`` megabytes (front matter, then a link on every line:
wiki links, labelled ones, embeds and Markdown links in turn, with 1,000
reference definitions at the end; with ``--plain``, an ``[[id]]`` on each
line) and times, in a fresh interpreter each time, the
whole process that imports `zettel.vault.scan` and reads and parses it with
`read_note`: start-up and imports included, as a person waits for it. The
after-import time of the read and parse is printed beside it. Scanning links
used to be quadratic in the size of a note (about 2 s for 1 MB, 23 s for 4 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTE = "20240101000000.md"


def write_note(folder: Path, megabytes: int, mixed: bool = True) -> tuple[int, int]:
    """Write the huge note into ``folder``; returns its size and its number of links.

    ``mixed``: wiki links, labelled ones, embeds and Markdown links in turn, and
    1,000 reference definitions at the end; else a plain ``[[id]]`` on each line.
    """
    folder.mkdir(parents=True, exist_ok=True)
    forms = ("Words then a link to [[2024010{i:07d}]] and more words on the line.\n",
             "A labelled one, [[2024010{i:07d}|the note {i}]], in the middle of text.\n",
             "  An embed ![[pictures/p{i}.png]] and nothing else of note here.\n",
             "A Markdown link [the text](folder/n{i}.md) with words after it.\n")
    if not mixed:
        forms = forms[:1]
    parts = ["---\ntitle: A huge note\nid: 20240101000000\n---\n\n"]
    size, i = len(parts[0]), 0
    while size < megabytes * 1_000_000:
        line = forms[i % len(forms)].format(i=i)
        parts.append(line)
        size += len(line)
        i += 1
    refs = [f"[r{j}]: refs/r{j}.md\n" for j in range(1000 if mixed else 0)]
    parts += refs
    data = "".join(parts).encode("utf-8")
    (folder / NOTE).write_bytes(data)
    return len(data), i + len(refs)


def run_once(folder: Path) -> dict[str, float]:
    """In this process: read and parse the note; returns the figures."""
    t0 = time.perf_counter()
    from zettel.vault.scan import read_note

    t1 = time.perf_counter()
    note = read_note(folder, NOTE)
    t2 = time.perf_counter()
    return {"import": t1 - t0, "parse": t2 - t1, "links": len(note.links)}


def measure(folder: Path) -> dict[str, float]:
    """One run in a fresh interpreter: its wall time and CPU time (user + system),
    which a busy machine stretches less, and its own figures."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--run", "--dir", str(folder)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(HERE.parent)},
    )
    figures = json.loads(out.stdout)
    figures["process"] = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=HERE / "vaults" / "huge")
    parser.add_argument("--plain", action="store_true",
                        help="a plain [[id]] link on each line (default: every kind of link)")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_once(args.dir)))
        return
    size, links = write_note(args.dir, args.mb, mixed=not args.plain)
    runs = [measure(args.dir) for _ in range(args.repeat)]
    if any(r["links"] != links for r in runs):
        sys.exit(f"expected {links} links, found {runs[0]['links']}")
    med = {k: statistics.median(r[k] for r in runs) for k in ("process", "cpu", "parse", "import")}
    print(f"{args.dir / NOTE}: {size / 1e6:.1f} MB, {links} links; {args.repeat} runs, medians")
    each = ", ".join(f"{r['process']:.2f}" for r in runs)
    print(f"whole process {med['process']:.2f} s, CPU {med['cpu']:.2f} s (read and parse "
          f"after imports {med['parse']:.2f} s, imports {med['import']:.2f} s); each run: {each}")


if __name__ == "__main__":
    main()
