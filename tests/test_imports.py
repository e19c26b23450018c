"""The core never loads a user-interface library."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CORE = ["zettel", "zettel.model", "zettel.parse", "zettel.body", "zettel.vault", "zettel.cache",
        "zettel.resolve", "zettel.graph", "zettel.check", "zettel.create", "zettel.config",
        "zettel.cli"]


def test_core_imports_no_ui_library() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            + "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"UI modules loaded by the core: {result.stdout}"


def test_whoosh_is_loaded_only_for_search() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE + ["zettel.cli_search",
                                                                        "zettel.index_state",
                                                                        "zettel.textfold"])
            + "print(','.join(sorted(m for m in sys.modules if m.startswith('whoosh'))))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"whoosh loaded without a search: {result.stdout}"


def test_one_module_imports_whoosh() -> None:
    package = Path(__file__).resolve().parent.parent / "zettel"
    importers = sorted(str(path.relative_to(package)) for path in package.rglob("*.py")
                       if re.search(r"^\s*(from|import) whoosh\b", path.read_text(encoding="utf-8"),
                                    re.MULTILINE))
    assert "search.py" in importers and all(name.startswith("search") for name in importers)
