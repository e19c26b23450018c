"""The journal's cost: a 200-file batch written with and without it, whole processes.

    python bench/bench_journal.py [--vault bench/vaults/v10k] [--files 200] [--repeat 9]

The vault is copied to a temporary folder. Each run is a fresh process that
reads ``--files`` notes of it and writes one plan editing each of them (a
line added at the end, or removed again: the runs alternate), either
**journaled** (`zettel.vault.journal.apply_plan`: the entry with the bytes
before, fsynced, then the files, then the entry marked done) or **bare** (the
same writer, `apply_edits` with its fsync per file, without the journal).
Beside them, in the same run, the baseline of issue 11: a warm ``zettel
check`` process on the same vault (after each write the files written are
dated a minute back, as they would be by the time a person runs a check: a
file changed within the last moment is not trusted to the check's memo; then
a check, not timed, so that they are parsed again), and a process that only imports
what the writer imports, to give the figures **after imports**. Modes are
interleaved run by run; medians.
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

WRITER = """
import sys
from pathlib import Path
from zettel.core.plan import FileChange, Plan, TextEdit
from zettel.vault.journal import _write, apply_plan
from zettel.vault.write import read_for_edit

root, mode, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
MARK = "\\n<!-- bench -->\\n"
paths = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md")
               if ".zettel" not in p.parts)[:count]
changes = []
for path in paths:
    text, fingerprint = read_for_edit(root, path)
    if text.endswith(MARK):
        edit = TextEdit(len(text) - len(MARK), len(text), "")
    else:
        edit = TextEdit(len(text), len(text), MARK)
    changes.append(FileChange(path, text, fingerprint.digest, (edit,), links=1))
plan = Plan("bench", f"{count} files", tuple(changes))
if mode == "journaled":
    apply_plan(root, plan)
else:
    _write(root, plan, None)
"""

IMPORTS = ("from zettel.core.plan import Plan; from zettel.vault.journal import apply_plan; "
           "from zettel.vault.write import read_for_edit")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", type=Path, default=HERE / "vaults" / "v10k")
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    if not args.vault.is_dir():
        sys.exit(f"no vault at {args.vault}: python bench/generate.py {args.vault} --notes 10000")
    py = sys.executable
    zettel = str(Path(py).with_name("zettel"))
    subprocess.run([py, "-m", "compileall", "-q", str(HERE.parent / "zettel")], check=True)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "vault"
        shutil.copytree(args.vault, root, ignore=shutil.ignore_patterns(".zettel"))
        commands = {
            "journaled": [py, "-c", WRITER, str(root), "journaled", str(args.files)],
            "bare": [py, "-c", WRITER, str(root), "bare", str(args.files)],
            "imports": [py, "-c", IMPORTS],
        }
        check = [zettel, "check", str(root)]
        written = sorted(p for p in root.rglob("*.md") if ".zettel" not in p.parts)[:args.files]
        times: dict[str, list[float]] = {name: [] for name in [*commands, "check-warm"]}
        for _ in range(args.repeat):
            for name, command in commands.items():
                times[name].append(timed(command))
                past = time.time() - 60  # files just written are "racy": no memo is kept
                for path in written:
                    os.utime(path, (past, past))
                subprocess.run(check, check=False, capture_output=True)  # warm again
                start = time.perf_counter()
                subprocess.run(check, check=False, capture_output=True)
                times["check-warm"].append(time.perf_counter() - start)
        entries = len(list((root / ".zettel" / "journal").glob("*.done")))
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["check-warm"]
    print(f"{args.files} files, {args.repeat} runs, medians; journal entries left: {entries}")
    for name in ("check-warm", "journaled", "bare", "imports"):
        after = median[name] - median["imports"]
        print(f"  {name:11} {median[name] * 1000:8.1f} ms  {median[name] / base:5.2f}x check-warm"
              + (f"  after imports {after * 1000:7.1f} ms" if name in ("journaled", "bare")
                 else ""))
    extra = median["journaled"] - median["bare"]
    print(f"  the journal adds {extra * 1000:.1f} ms "
          f"({extra / (median['bare'] - median['imports']) * 100:.0f}% of the bare write's work)")


if __name__ == "__main__":
    main()
