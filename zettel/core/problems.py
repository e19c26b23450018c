"""Every kind of problem zettel reports, in one registry.

A kind has a name (what ``zettel check`` prints and ``--json`` gives), a
severity (an ``error`` makes ``zettel check`` exit 1; a ``warning`` only with
``--strict``), its order in reports, and a one-line meaning. The checker, the
CLI's ``check --help``, the TUI's problems screen and the table of
docs/format.md (a test compares it with `KINDS`) all read it; a
`zettel.core.model.Problem` of a kind that is not here cannot be made.

Renaming or removing a kind changes what the caches hold: bump
`zettel.vault.cache.SCHEMA` with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


class UnknownProblemKind(ValueError):
    """A problem kind that is not in the registry (a bug of the caller)."""


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """One kind of problem. ``order`` is its place in reports: problems of one
    line are listed, and counted, in this order."""

    name: str
    severity: Severity
    order: int
    meaning: str


def _registry(*rows: tuple[str, Severity, str]) -> dict[str, ProblemKind]:
    return {name: ProblemKind(name, severity, order, meaning)
            for order, (name, severity, meaning) in enumerate(rows)}


#: Every kind, by name, in report order.
KINDS: dict[str, ProblemKind] = _registry(
    ("unreadable", "error", "a file or folder that could not be read, or is not read"),
    ("yaml-error", "error", "front matter that is not valid YAML, or gives a field twice"),
    ("duplicate-id", "error", "several notes share an id (each of them is reported)"),
    ("broken-link", "error", "a link that reaches no note or file of the vault"),
    ("ambiguous-link", "warning", "a link whose first matching step finds several notes"),
    ("malformed-id", "warning", "an id that is a list, or not a timestamp when most ids are"),
    ("key-case", "warning", "a known field written with capitals (Id: for id)"),
    ("bad-encoding", "warning", "a file, or a file name, that is not valid UTF-8"),
    ("orphan", "warning", "a note that no other note links to"),
    ("isolated", "warning", "a note with no links in or out (reported instead of orphan)"),
)


def kind_of(name: str) -> ProblemKind:
    """The registered kind called ``name``; raises `UnknownProblemKind`."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        raise UnknownProblemKind(f"unknown problem kind {name!r} (known: "
                                 f"{', '.join(KINDS)})") from None


#: The kinds the TUI's problems screen counts even when there are none, in the
#: order it shows them (the links first: they are what the screen is about).
ALWAYS_COUNTED: tuple[ProblemKind, ...] = tuple(kind_of(name) for name in (
    "broken-link", "ambiguous-link", "duplicate-id", "yaml-error", "orphan", "isolated"))


def kinds_help() -> str:
    """The kinds as ``zettel check --help`` lists them: errors, then warnings,
    each with its meaning (a paragraph click does not rewrap)."""
    width = max(len(name) for name in KINDS) + 2
    lines = ["\b"]
    for severity, title in (("error", "Errors (exit 1):"),
                            ("warning", "Warnings (exit 1 with --strict):")):
        lines.append(title)
        lines += [f"  {k.name:<{width}}{k.meaning}" for k in KINDS.values()
                  if k.severity == severity]
    return "\n".join(lines)
