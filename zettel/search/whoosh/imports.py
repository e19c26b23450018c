"""Importing Whoosh without what zettel never uses of it.

A search is a short process, and importing Whoosh was half of it. Whoosh
loads, whether used or not, asyncio (through the ``cached_property`` package,
for one property of its readers, which the standard library's
`functools.cached_property` serves as well), its English morphology table
(``whoosh.lang.morph_en``, a large set of patterns compiled on import, used
only by a query class zettel does not build) and ``urllib.request`` (with
http, email and ssl: for a download function of ``whoosh.compat`` zettel never
calls): about 80 ms together. `defer_unused` imports Whoosh's readers and
queries without them. Every zettel module that imports Whoosh imports this
one first. Nothing here imports Whoosh before it runs.
"""

from __future__ import annotations

import builtins
import functools
import importlib.util
import sys
from types import ModuleType
from typing import Any


def _variations(word: str) -> Any:
    """Whoosh's English variations of ``word``, its table loaded on first use."""
    from whoosh.lang.morph_en import variations  # noqa: PLC0415 - the real table, once

    return variations(word)


def _urlretrieve(*args: Any, **kwargs: Any) -> Any:
    """``urllib.request.urlretrieve``, its module loaded on first use."""
    from urllib.request import urlretrieve  # noqa: PLC0415

    return urlretrieve(*args, **kwargs)


_NO_URLLIB = ModuleType("urllib.request")
_NO_URLLIB.urlretrieve = _urlretrieve  # type: ignore[attr-defined]


def _import_but_urllib(name: str, globs: Any = None, locs: Any = None, fromlist: Any = (),
                       level: int = 0) -> Any:
    """``__import__`` for ``whoosh.compat`` alone: its ``from urllib.request
    import urlretrieve`` gets `_urlretrieve`; everything else is imported as usual."""
    if name == "urllib.request" and level == 0 and fromlist:
        return _NO_URLLIB
    return builtins.__import__(name, globs, locs, fromlist, level)


def _import_compat() -> None:
    """Import ``whoosh.compat`` as Python would, its own imports going through
    `_import_but_urllib` (nothing global is replaced, not even for a moment)."""
    name = "whoosh.compat"
    import whoosh  # noqa: F401, PLC0415 - the package, empty

    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)
    module = importlib.util.module_from_spec(spec)
    module.__builtins__ = {**vars(builtins), "__import__": _import_but_urllib}  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    sys.modules["whoosh"].compat = module  # type: ignore[attr-defined]


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
    if "whoosh.compat" not in sys.modules and "urllib.request" not in sys.modules:
        _import_compat()
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
