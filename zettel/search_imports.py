"""Importing Whoosh without what zettel never uses of it.

A search is a short process, and importing Whoosh was half of it. Whoosh
loads, whether used or not, asyncio (through the ``cached_property`` package,
for one property of its readers, which the standard library's
`functools.cached_property` serves as well) and its English morphology table
(``whoosh.lang.morph_en``, a large set of patterns compiled on import, used
only by a query class zettel does not build): about 50 ms together.
`defer_unused` imports Whoosh's readers and queries without them. Every zettel
module that imports Whoosh imports this one first. Nothing here imports Whoosh.
"""

from __future__ import annotations

import functools
import sys
from types import ModuleType
from typing import Any


def _variations(word: str) -> Any:
    """Whoosh's English variations of ``word``, its table loaded on first use."""
    from whoosh.lang.morph_en import variations  # noqa: PLC0415 - the real table, once

    return variations(word)


def _stand_ins() -> dict[str, ModuleType]:
    morph = ModuleType("whoosh.lang.morph_en")
    morph.variations = _variations  # type: ignore[attr-defined]
    cached = ModuleType("cached_property")
    cached.cached_property = functools.cached_property  # type: ignore[attr-defined]
    return {morph.__name__: morph, cached.__name__: cached}


def defer_unused() -> None:
    """Import Whoosh's readers and queries with stand-ins for the two modules
    above, which live only during that import: Whoosh's names are bound to
    them, and any later import gets the real modules. A no-op once Whoosh's
    queries are imported."""
    if "whoosh.query" in sys.modules:
        return
    added = {name: module for name, module in _stand_ins().items() if name not in sys.modules}
    sys.modules.update(added)
    try:
        import whoosh.query  # noqa: F401, PLC0415
        import whoosh.reading  # noqa: F401, PLC0415
    finally:
        for name, module in added.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


defer_unused()
