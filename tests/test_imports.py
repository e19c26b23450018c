"""The core never loads a user-interface library."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CORE = ["zettel", "zettel.core.model", "zettel.core.parse", "zettel.core.body", "zettel.vault.scan", "zettel.vault.cache",
        "zettel.core.resolve", "zettel.core.graph", "zettel.core.check", "zettel.vault.create", "zettel.vault.config",
        "zettel.cli.main"]


def test_core_imports_no_ui_library() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            + "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"UI modules loaded by the core: {result.stdout}"


def test_whoosh_is_loaded_only_for_search() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE + ["zettel.cli.search",
                                                                        "zettel.search.state",
                                                                        "zettel.core.textfold"])
            + "print(','.join(sorted(m for m in sys.modules if m.startswith('whoosh'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"whoosh loaded without a search: {result.stdout}"


def test_one_module_imports_whoosh() -> None:
    package = Path(__file__).resolve().parent.parent / "zettel"
    importers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                       if re.search(r"^\s*(from|import) whoosh\b", path.read_text(encoding="utf-8"),
                                    re.MULTILINE))
    assert "search/whoosh/engine.py" in importers
    assert all(name.startswith("search/whoosh/") for name in importers), importers


#: What each command may not load when the caches let it skip the work.
HEAVY = ("networkx", "rapidfuzz", "yaml", "whoosh", "textual", "rich", "zettel.core.suggest",
         "zettel.search.keeper", "zettel.vault.create", "concurrent.futures", "pygls",
         "lsprotocol")


def _loaded_by(args: list[str]) -> set[str]:
    """The heavy modules really loaded by one ``zettel`` process (a lazy stub
    that was never touched does not count)."""
    code = ("import sys, atexit, types\n"
            "def report():\n"
            "    real = {m.split('.')[0] if not m.startswith('zettel') else m\n"
            "            for m, mod in list(sys.modules.items())\n"
            "            if isinstance(mod, types.ModuleType)\n"
            "            and type(mod).__name__ != '_LazyModule'}\n"
            f"    print(sorted(real & set({HEAVY!r})), file=sys.stderr)\n"
            "atexit.register(report)\n"
            f"sys.argv = ['zettel', *{args!r}]\n"
            "from zettel.cli.main import main\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return set(eval(result.stderr.strip().splitlines()[-1]))  # noqa: S307 - our own print


def test_a_warm_check_and_the_listing_commands_load_no_heavy_module(sample_vault: Path) -> None:
    vault = str(sample_vault)
    cold = _loaded_by(["check", vault])
    assert "networkx" in cold  # the first check builds the graph
    assert _loaded_by(["check", vault]) == set()
    assert "networkx" in _loaded_by(["orphans", vault])  # builds the graph memo
    for args in (["orphans", vault], ["broken", vault], ["tags", vault],
                 ["show", "Zettelkasten", "--vault", vault]):
        assert _loaded_by(args) == set(), args
