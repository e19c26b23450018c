"""Per-vault settings, read from ``<vault>/.zettel/config.yaml``.

Every key is optional; docs/format.md lists them. Unknown keys are reported as
warnings (a typo should not stop anyone working); a known key with a value of
the wrong kind is a `ConfigError`, because guessing would do the wrong thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs

from zettel.parse import yaml_reason

#: The folder, inside a vault, where zettel keeps its settings and caches.
STATE_DIR = ".zettel"
CONFIG_FILE = "config.yaml"

DEFAULT_EXTENSIONS: tuple[str, ...] = ("md", "markdown", "txt")
DEFAULT_FILENAME = "{id}.md"
FILENAME_FIELDS = ("{id}", "{slug}")


class ConfigError(ValueError):
    """The vault's config.yaml cannot be used as written."""


@dataclass(frozen=True)
class Config:
    """Settings of one vault."""

    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    ignore: tuple[str, ...] = ()
    filename: str = DEFAULT_FILENAME
    template: str = "templates/default.md"
    editor: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def is_note_name(self, name: str) -> bool:
        """True when a file name has one of the note extensions."""
        dot = name.rfind(".")
        return dot > 0 and name[dot + 1 :].lower() in self.extensions


def load_config(vault: Path) -> Config:
    """Read the vault's config; defaults when the file does not exist."""
    path = vault / STATE_DIR / CONFIG_FILE
    if not path.is_file():
        return Config()
    where = f"{STATE_DIR}/{CONFIG_FILE}"
    try:
        raw = yaml_rs.loads(path.read_text(encoding="utf-8"))
    except (yaml_rs.YAMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{where}: not valid YAML: {yaml_reason(str(err))}") from err
    if raw is None:
        return Config()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, found a {type(raw).__name__}")
    return _from_mapping(raw, where)


def _from_mapping(raw: dict[str, Any], where: str) -> Config:
    known = {"extensions", "ignore", "filename", "template", "editor"}
    warnings = tuple(
        f"{where}: unknown setting '{key}' ignored (known: {', '.join(sorted(known))})"
        for key in raw
        if key not in known
    )
    values: dict[str, Any] = {}
    if "extensions" in raw:
        exts = _str_list(raw["extensions"], "extensions", where)
        values["extensions"] = tuple(e.lower().lstrip(".") for e in exts)
        if not values["extensions"]:
            raise ConfigError(f"{where}: 'extensions' must name at least one extension")
    if "ignore" in raw:
        values["ignore"] = tuple(_str_list(raw["ignore"], "ignore", where))
    if "filename" in raw:
        pattern = raw["filename"]
        if not isinstance(pattern, str) or not any(f in pattern for f in FILENAME_FIELDS):
            raise ConfigError(
                f"{where}: 'filename' must be a string containing {{id}} or {{slug}}, "
                f"such as '{{id}}-{{slug}}.md'"
            )
        if "/" in pattern or "\\" in pattern:
            raise ConfigError(f"{where}: 'filename' may not contain a folder separator")
        values["filename"] = pattern
    for key in ("template", "editor"):
        if key in raw and raw[key] is not None:
            if not isinstance(raw[key], str):
                raise ConfigError(f"{where}: '{key}' must be a string")
            values[key] = raw[key]
    return Config(**values, warnings=warnings)


def _str_list(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: '{key}' must be a list of strings")
