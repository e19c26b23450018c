"""Settings: the vault's, read from ``<vault>/.zettel/config.yaml``, and the
user's, read from ``config.yaml`` in the user's config folder.

Every key is optional; docs/format.md lists them. Unknown keys are reported as
warnings (a typo should not stop anyone working); a known key with a value of
the wrong kind is a `ConfigError`, because guessing would do the wrong thing.

A vault may come from someone else (a clone, an archive): its settings never
choose a program to run, unless the user trusts that vault (`UserSettings`),
and its files are read only when they are regular files inside it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs

from zettel.core.linkstyle import STYLES, LinkStyle
from zettel.core.parse import yaml_reason
from zettel.vault.statedir import STATE_DIR, UnsafeStateDir, state_path
from zettel.vault.write import atomic_write

CONFIG_FILE = "config.yaml"
#: An environment variable naming the folder of the user's settings (tests set it).
USER_CONFIG_ENV = "ZETTEL_CONFIG_DIR"
#: The largest settings file or template zettel reads.
MAX_SETTINGS_BYTES = 1 << 20

DEFAULT_EXTENSIONS: tuple[str, ...] = ("md", "markdown", "txt")
DEFAULT_FILENAME = "{id}.md"
FILENAME_FIELDS = ("{id}", "{slug}")

__all__ = ["STATE_DIR", "CONFIG_FILE", "Config", "ConfigError", "UserSettings", "load_config",
           "load_user_settings", "read_inside", "set_trust", "user_config_path"]


class ConfigError(ValueError):
    """Settings (or a file they name) cannot be used as written."""


@dataclass(frozen=True)
class Config:
    """Settings of one vault."""

    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    ignore: tuple[str, ...] = ()
    filename: str = DEFAULT_FILENAME
    template: str = "templates/default.md"
    editor: str | None = None  # used only when the user trusts the vault
    link_style: LinkStyle | None = None  # None: the style most links of the vault use
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def is_note_name(self, name: str) -> bool:
        """True when a file name has one of the note extensions."""
        dot = name.rfind(".")
        return dot > 0 and name[dot + 1 :].lower() in self.extensions


def read_inside(path: Path, inside: Path, what: str) -> str | None:
    """The text of ``path``, a regular file that resolves inside ``inside``.

    None when it does not exist. A link that leads out of ``inside``, a FIFO,
    a device, a folder or a file over `MAX_SETTINGS_BYTES` is a `ConfigError`;
    nothing is opened that could block.
    """
    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        return None
    except (OSError, RuntimeError) as err:  # a loop of links
        raise ConfigError(f"{what} cannot be read: {getattr(err, 'strerror', None) or err}") \
            from err
    if not resolved.is_relative_to(inside.resolve()):
        raise ConfigError(f"{what} is a link that leads out of '{inside}'; zettel does not "
                          "follow it")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        if not stat.S_ISREG(os.stat(resolved).st_mode):
            raise ConfigError(f"{what} is not a regular file; zettel does not read it")
        fd = os.open(resolved, flags)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):  # replaced since the check above
                raise ConfigError(f"{what} is not a regular file; zettel does not read it")
            data = handle.read(MAX_SETTINGS_BYTES + 1)
    except OSError as err:
        raise ConfigError(f"{what} cannot be read: {err.strerror or err}") from err
    if len(data) > MAX_SETTINGS_BYTES:
        raise ConfigError(f"{what} is larger than {MAX_SETTINGS_BYTES >> 20} MiB; "
                          "zettel does not read it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{what} is not UTF-8 text ({err.reason})") from err


def load_config(vault: Path) -> Config:
    """Read the vault's config; defaults when the file does not exist."""
    where = f"{STATE_DIR}/{CONFIG_FILE}"
    try:
        folder = state_path(vault)
    except UnsafeStateDir as err:
        raise ConfigError(str(err)) from err
    text = read_inside(folder / CONFIG_FILE, Path(vault), where)
    if text is None:
        return Config()
    return _from_mapping(_parse(text, where), where)


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        raw = yaml_rs.loads(text)
    except yaml_rs.YAMLDecodeError as err:
        raise ConfigError(f"{where}: not valid YAML: {yaml_reason(str(err))}") from err
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of settings, found a {type(raw).__name__}")
    return raw


def _from_mapping(raw: dict[str, Any], where: str) -> Config:
    known = {"extensions", "ignore", "filename", "template", "editor", "link_style"}
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
        values.update(_optional_str(raw, key, where))
    style = _optional_str(raw, "link_style", where).get("link_style")
    if style is not None:
        if style not in STYLES:
            raise ConfigError(f"{where}: 'link_style' must be one of {', '.join(STYLES)}")
        values["link_style"] = style
    return Config(**values, warnings=_unknown(raw, known, where))


def _optional_str(raw: dict[str, Any], key: str, where: str) -> dict[str, str]:
    if raw.get(key) is None:
        return {}
    if not isinstance(raw[key], str):
        raise ConfigError(f"{where}: '{key}' must be a string")
    return {key: raw[key]}


def _unknown(raw: dict[str, Any], known: set[str], where: str) -> tuple[str, ...]:
    return tuple(f"{where}: unknown setting '{key}' ignored (known: {', '.join(sorted(known))})"
                 for key in raw if key not in known)


def _str_list(value: Any, key: str, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: '{key}' must be a list of strings")


# -- the user's settings


@dataclass(frozen=True)
class UserSettings:
    """The user's own settings: their editor and the vaults they trust."""

    editor: str | None = None
    trusted: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def trusts(self, vault: Path) -> bool:
        """True when the user marked ``vault`` (by its resolved path) as trusted."""
        return _vault_key(vault) in self.trusted


def user_config_path() -> Path:
    """``config.yaml`` in ``$ZETTEL_CONFIG_DIR``, else in the platform's user config
    folder (``~/.config/zettel`` on Linux)."""
    folder = os.environ.get(USER_CONFIG_ENV)
    if folder:
        return Path(folder) / CONFIG_FILE
    import platformdirs  # noqa: PLC0415 - only commands that run an editor need it

    return platformdirs.user_config_path("zettel", appauthor=False) / CONFIG_FILE


def _vault_key(vault: Path) -> str:
    return str(Path(vault).resolve())


def _user_raw(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} cannot be read: {err}") from err
    return _parse(text, str(path))


def load_user_settings() -> UserSettings:
    """Read the user's settings; defaults when the file does not exist."""
    path = user_config_path()
    raw = _user_raw(path)
    values: dict[str, Any] = _optional_str(raw, "editor", str(path))
    if raw.get("trusted") is not None:
        values["trusted"] = tuple(_str_list(raw["trusted"], "trusted", str(path)))
    return UserSettings(**values, warnings=_unknown(raw, {"editor", "trusted"}, str(path)))


def set_trust(vault: Path, trusted: bool) -> bool:
    """Mark ``vault`` trusted (or not) in the user's settings; True when that changed.

    The file is rewritten whole (other settings are kept, comments are not).
    """
    path = user_config_path()
    raw = _user_raw(path)
    listed = _str_list(raw.get("trusted") or [], "trusted", str(path))
    key = _vault_key(vault)
    if (key in listed) == trusted:
        return False
    raw["trusted"] = [*listed, key] if trusted else [v for v in listed if v != key]
    text = yaml_rs.dumps(raw).removeprefix("---\n").rstrip("\n")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, f"# zettel's settings (docs/format.md)\n{text}\n".encode())
    except OSError as err:
        raise ConfigError(f"{path} cannot be written: {err.strerror or err}") from err
    return True
