"""Shared fixtures: temporary vaults, the seed notes, the sample vault."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from click.testing import Result
    from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_VAULT = ROOT / "notes"
SEEDS = Path(os.environ.get("ZETTEL_SEEDS", ROOT.parent / "shared" / "seeds"))

MakeVault = Callable[[dict[str, str | bytes]], Path]
T = TypeVar("T")

#: How many pauses `wait_until` makes at most, and how long each is (s): far more
#: than any wait needs, even on a loaded machine.
PAUSES, PAUSE = 1500, 0.02


def vault_files(root: Path) -> dict[str, bytes]:
    """Every file of the vault at ``root`` but zettel's own (``.zettel/``), with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".zettel" not in p.relative_to(root).parts}


def zettel_in(root: Path, *args: str) -> Result:
    """``zettel ARGS`` run in this process on the vault ``root`` (``$ZETTEL_VAULT``):
    whatever its exit status, never an uncaught exception nor a traceback."""
    from click.testing import CliRunner  # noqa: PLC0415 - not every test runs the CLI

    from zettel.cli.main import main  # noqa: PLC0415

    result = CliRunner().invoke(main, list(args), env={"ZETTEL_VAULT": str(root)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def broken_and_ambiguous(root: Path) -> list[tuple[str, str]]:
    """(path, target) of every broken and ambiguous link `zettel check --json` reports."""
    import json  # noqa: PLC0415

    result = zettel_in(root, "check", "--json")
    assert result.exit_code in (0, 1), result.output
    return sorted((p["path"], p["target"]) for p in json.loads(result.stdout)["problems"]
                  if p["kind"] in ("broken-link", "ambiguous-link"))


@pytest.fixture(autouse=True)
def user_settings(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty user settings folder, never the real one."""
    folder = tmp_path_factory.mktemp("user-config")
    monkeypatch.setenv("ZETTEL_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def make_vault(tmp_path: Path) -> MakeVault:
    """Write ``{relative path: text or bytes}`` into a fresh folder; return it."""

    made: list[Path] = []

    def make(files: dict[str, str | bytes]) -> Path:
        root = tmp_path / f"vault{len(made) or ''}"  # a new folder on each call
        root.mkdir()
        made.append(root)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def seeds_vault(tmp_path: Path) -> Path:
    """The five seed notes copied into a vault, as .md files."""
    if not (SEEDS / "000_247ff810d1c38f2b.txt").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the seed notes at {SEEDS}")
        pytest.skip(f"seed notes not found at {SEEDS} (they live beside the repository, "
                    "in shared/seeds; set ZETTEL_SEEDS to point elsewhere)")
    root = tmp_path / "seeds"
    root.mkdir()
    for src in sorted(SEEDS.glob("*.txt")):
        shutil.copyfile(src, root / (src.stem + ".md"))
    return root


@pytest.fixture
def sample_vault(tmp_path: Path) -> Path:
    """A copy of the sample vault notes/ (tests may change it), with its settings but not
    its caches, and files an hour old, as a vault's files are outside a test."""
    dest = tmp_path / "notes"
    shutil.copytree(SAMPLE_VAULT, dest, ignore=shutil.ignore_patterns("cache", "index"))
    old = time.time() - 3600
    for path in dest.rglob("*"):
        os.utime(path, (old, old))
    return dest


async def wait_until(pilot: Pilot[Any], predicate: Callable[[], T], what: str, *,
                     pauses: int = PAUSES) -> T:
    """Let the app run, a short pause at a time, until ``predicate()`` is true;
    return its value. After ``pauses`` pauses, fail saying ``what`` was awaited.

    The bound (some 30 s at the least) only turns a test that would hang into
    one that fails: no test measures speed."""
    for _ in range(pauses):
        value = predicate()
        if value:
            return value
        await pilot.pause(PAUSE)
    value = predicate()
    if not value:
        pytest.fail(f"waited {pauses} pauses for {what}", pytrace=False)
    return value
