"""``zettel mentions`` and ``zettel fix`` on the 10k vault, whole processes, against
a warm ``zettel check`` process of the same run.

    python bench/bench_repair.py [--vault bench/vaults/v10k] [--repeat 9] [--profile]

Modes, interleaved run by run (medians), with the caches warm as a previous
command of the same kind leaves them (the parse cache, the check memo, the
sketches of `zettel.vault.sketches`):

- ``check-warm``: ``zettel check VAULT`` (the baseline);
- ``mentions``: ``zettel mentions NOTE --vault VAULT``, NOTE the note
  `bench_process.py` shows (the middle one of the timestamp-named notes);
- ``mentions-2w``: the same for the first note whose title has two words (in
  the generated vault, whose text is drawn from 80 words, such a title is
  written hundreds of times: the worst case, for information);
- ``mentions-cold``: ``mentions`` with the sketches removed first (built again
  from the parse cache: what the first ``zettel mentions`` of a vault costs);
- ``fix``: ``zettel fix VAULT`` (the report of every broken link);
- ``fix-dry``: ``zettel fix VAULT --apply --dry-run`` (planned, nothing written).

Each figure is also given as a ratio to ``check-warm`` and after imports
(less a process that imports ``zettel.cli.main`` and exits), and the CPU time
(user and system) of the process, with its ratio: steadier than wall time on a
machine other processes load. ``--profile``
prints a cProfile of one ``mentions`` process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def zettel_script() -> str:
    found = Path(sys.executable).with_name("zettel")
    if not found.exists():
        sys.exit(f"no zettel script beside {sys.executable}: pip install -e . first")
    return str(found)


def run(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user and system) and peak MiB of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{argv} exited {code}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def two_word_note(vault: Path) -> str:
    """The first timestamp-named note (by name) whose title has two words."""
    for path in sorted(vault.glob("2*.md")):
        for line in path.read_text(encoding="utf-8").splitlines()[:6]:
            if line.startswith("title:") and len(line.split(":", 1)[1].split()) == 2:
                return path.stem
    sys.exit("no note with a two-word title")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault", type=Path, default=HERE / "vaults" / "v10k")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    vault = args.vault
    if not vault.is_dir():
        sys.exit(f"no vault at {vault}: python bench/generate.py {vault} --notes 10000")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "zettel")],
                   check=True)
    z, v = zettel_script(), str(vault)
    stems = sorted(p.stem for p in vault.glob("2*.md"))
    note, short = stems[len(stems) // 2], two_word_note(vault)
    table = {
        "python": [sys.executable, "-c", "pass"],
        "import-cli": [sys.executable, "-c", "import zettel.cli.main"],
        "check-warm": [z, "check", v],
        "mentions": [z, "mentions", note, "--vault", v],
        "mentions-2w": [z, "mentions", short, "--vault", v],
        "mentions-cold": [z, "mentions", note, "--vault", v],
        "fix": [z, "fix", v],
        "fix-dry": [z, "fix", v, "--apply", "--dry-run"],
    }
    sketches = vault / ".zettel" / "cache" / "sketches.pickle"
    for warm in ("check-warm", "mentions", "fix"):
        run(table[warm])
    if args.profile:
        profile(table["mentions"])
        return
    times: dict[str, list[float]] = {m: [] for m in table}
    cpus: dict[str, list[float]] = {m: [] for m in table}
    peaks: dict[str, list[float]] = {m: [] for m in table}
    for _ in range(args.repeat):
        for mode, argv in table.items():
            if mode == "mentions-cold":
                sketches.unlink(missing_ok=True)
            seconds, cpu, peak = run(argv)
            times[mode].append(seconds)
            cpus[mode].append(cpu)
            peaks[mode].append(peak)
    med = {m: statistics.median(t) for m, t in times.items()}
    cpu = {m: statistics.median(t) for m, t in cpus.items()}
    peak = {m: statistics.median(p) for m, p in peaks.items()}
    base, imports = med["check-warm"], med["import-cli"]
    print(f"vault: {vault}, {args.repeat} runs, medians; NOTE {note}, two-word {short}")
    print(f"{'mode':14} {'seconds':>8} {'x check':>8} {'after imp':>9} {'cpu s':>7} "
          f"{'x check':>8} {'peak MiB':>9}")
    for mode, seconds in med.items():
        after = seconds - imports if mode not in ("python", "import-cli") else float("nan")
        print(f"{mode:14} {seconds:8.3f} {seconds / base:8.2f} {after:9.3f} {cpu[mode]:7.3f} "
              f"{cpu[mode] / cpu['check-warm']:8.2f} {peak[mode]:9.1f}")


def profile(argv: list[str]) -> None:
    code = ("import cProfile, pstats, sys\n"
            f"sys.argv = {['zettel', *argv[1:]]!r}\n"
            "from zettel.cli.main import main\n"
            "p = cProfile.Profile(); p.enable()\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "p.disable(); pstats.Stats(p, stream=sys.stderr).sort_stats('cumtime')"
            ".print_stats(25)\n")
    subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL, check=False)


if __name__ == "__main__":
    main()
