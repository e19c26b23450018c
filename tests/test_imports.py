"""The core never loads a user-interface library."""

from __future__ import annotations

import subprocess
import sys

CORE = ["zettel", "zettel.model", "zettel.parse", "zettel.body", "zettel.vault", "zettel.cache",
        "zettel.resolve", "zettel.graph", "zettel.check", "zettel.create", "zettel.config",
        "zettel.cli"]


def test_core_imports_no_ui_library() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE)
            + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
            + "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"UI modules loaded by the core: {result.stdout}"
