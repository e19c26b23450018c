"""zettel: a knowledge-graph note manager for Markdown Zettelkasten vaults.

The public Python API (docs/api.md)::

    import zettel
    vault = zettel.open("notes")          # a `zettel.Vault`
    vault.note("slip box").title          # 'Zettelkasten'

The names of `__all__` are loaded on first use (module ``__getattr__``), so
``import zettel`` loads no Textual, no Whoosh and no networkx. The core (this
package minus `zettel.tui`) imports no user-interface library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Each public name, and the module it comes from.
_PUBLIC = {
    "open": "zettel.api",
    "Vault": "zettel.api",
    "NoteNotFound": "zettel.api",
    "AmbiguousName": "zettel.api",
    "BrokenLink": "zettel.api",
    "AmbiguousLink": "zettel.api",
    "Backlink": "zettel.vault.facts",
    "Note": "zettel.core.model",
    "Link": "zettel.core.model",
    "Problem": "zettel.core.model",
    "Report": "zettel.core.check",
    "VaultError": "zettel.vault.scan",
    "ConfigError": "zettel.vault.config",
    "CreateError": "zettel.vault.create",
}

__all__ = [
    "__version__", "open", "Vault", "NoteNotFound", "AmbiguousName", "BrokenLink",
    "AmbiguousLink", "Backlink", "Note", "Link", "Problem", "Report", "VaultError",
    "ConfigError", "CreateError",
]

if TYPE_CHECKING:  # for type checkers and editors; at run time, see __getattr__
    from zettel.api import (
        AmbiguousLink,
        AmbiguousName,
        BrokenLink,
        NoteNotFound,
        Vault,
        open,
    )
    from zettel.core.check import Report
    from zettel.core.model import Link, Note, Problem
    from zettel.vault.config import ConfigError
    from zettel.vault.create import CreateError
    from zettel.vault.facts import Backlink
    from zettel.vault.scan import VaultError


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'zettel' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
