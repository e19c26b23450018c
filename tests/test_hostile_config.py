"""A hostile vault's settings: its config.yaml never chooses a program to run (unless the
user trusts the vault), its template never reaches outside `.zettel/`, and neither file is
read when it is a link out of the vault, a FIFO or too large."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import MakeVault, wait_until

from zettel.cli.main import main

NOTE = "---\ntitle: A\nid: '20200101000000'\n---\nSee [[20200101000000]].\n"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def zettel(*args: str, env: dict[str, str] | None = None) -> Result:
    """The zettel command, run in this process; exceptions caught as the shell sees them."""
    return CliRunner().invoke(main, list(args), env=env)


def zettel_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The zettel command in its own process (a hang then fails the test, not the run)."""
    return subprocess.run([sys.executable, "-m", "zettel.cli.main", *args], capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)


def one_line_error(code: int, stderr: str) -> str:
    """The error of a failed command: exit 2 and one line, after any 'zettel:' notices."""
    assert code == 2, stderr
    *notices, error = stderr.strip().splitlines()
    assert all(line.startswith("zettel: ") for line in notices), stderr
    assert error.startswith("Error: ") and "Traceback" not in stderr
    return error


def script(path: Path, body: str) -> str:
    """A Python script at ``path`` and the editor setting that runs it (quoted for shlex)."""
    path.write_text(f"import sys\n{body}\n", encoding="utf-8")
    return f"'{sys.executable}' '{path}'"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """Where the vault's own editor leaves its mark, if it ever runs."""
    return tmp_path / "PWNED"


@pytest.fixture
def hostile(make_vault: MakeVault, planted: Path) -> Path:
    """A vault whose config names an editor that runs a shell command."""
    return make_vault({"a.md": NOTE, ".zettel/config.yaml":
                       f"editor: \"sh -c 'echo pwned > {planted}' sh\"\n"})


@pytest.fixture
def user_editor(tmp_path: Path) -> dict[str, str]:
    """The user's own $EDITOR: appends a line to the note it is given."""
    editor = script(tmp_path / "mine.py", "open(sys.argv[1], 'a').write('by my editor\\n')")
    return {"VISUAL": "", "EDITOR": editor}


def test_an_untrusted_vault_does_not_choose_the_editor(hostile: Path, planted: Path,
                                                        user_editor: dict[str, str]) -> None:
    result = zettel("new", "Idea", "--vault", str(hostile), env=user_editor)
    assert result.exit_code == 0, result.stderr
    assert not planted.exists()
    assert Path(result.stdout.strip()).read_text(encoding="utf-8").endswith("by my editor\n")
    (notice,) = result.stderr.strip().splitlines()
    assert "ignored" in notice and f"zettel trust {hostile.resolve()}" in notice


def test_with_no_editor_of_his_own_the_user_is_told_and_nothing_runs(
        hostile: Path, planted: Path) -> None:
    result = zettel("new", "Idea", "--vault", str(hostile), env={"VISUAL": "", "EDITOR": ""})
    assert result.exit_code == 0 and not planted.exists()
    assert "ignored" in result.stderr and "no editor set" in result.stderr


def test_trust_lets_the_vault_choose_the_editor_until_revoked(
        hostile: Path, planted: Path, user_editor: dict[str, str], tmp_path: Path,
        user_settings: Path) -> None:
    link = tmp_path / "link-to-vault"
    link.symlink_to(hostile)
    assert zettel("trust", str(link)).exit_code == 0  # recorded by the resolved path
    assert str(hostile.resolve()) in (user_settings / "config.yaml").read_text(encoding="utf-8")
    trusted = zettel("new", "Idea", "--vault", str(hostile), env=user_editor)
    assert trusted.exit_code == 0 and trusted.stderr == ""
    assert planted.read_text(encoding="utf-8") == "pwned\n"
    planted.unlink()
    assert zettel("trust", "--revoke", str(hostile)).exit_code == 0
    revoked = zettel("new", "Other", "--vault", str(hostile), env=user_editor)
    assert revoked.exit_code == 0 and not planted.exists() and "ignored" in revoked.stderr


def test_a_vault_cannot_trust_itself(make_vault: MakeVault, planted: Path,
                                     user_editor: dict[str, str]) -> None:
    vault = make_vault({"a.md": NOTE})
    (vault / ".zettel").mkdir()
    (vault / ".zettel" / "config.yaml").write_text(
        f"editor: \"sh -c 'echo pwned > {planted}' sh\"\ntrusted: ['{vault.resolve()}']\n",
        encoding="utf-8")
    result = zettel("new", "Idea", "--vault", str(vault), env=user_editor)
    assert result.exit_code == 0 and not planted.exists()
    assert "unknown setting 'trusted'" in result.stderr


def test_trust_of_a_missing_vault_is_an_error(tmp_path: Path, user_settings: Path) -> None:
    result = zettel("trust", str(tmp_path / "nowhere"))
    assert "does not exist" in one_line_error(result.exit_code, result.stderr)
    assert not (user_settings / "config.yaml").exists()


@pytest.mark.parametrize("template", ["ABSOLUTE", "../../secret.txt", "templates/../../x.md"])
def test_a_template_outside_the_vault_is_refused(make_vault: MakeVault, tmp_path: Path,
                                                 template: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private key\n", encoding="utf-8")
    template = str(secret) if template == "ABSOLUTE" else template
    vault = make_vault({"a.md": NOTE, ".zettel/config.yaml": f"template: '{template}'\n"})
    result = zettel("new", "Idea", "--no-edit", "--vault", str(vault))
    assert "'template' must be a path inside .zettel/" in one_line_error(result.exit_code,
                                                                        result.stderr)
    assert [p.name for p in vault.glob("*.md")] == ["a.md"]


def test_a_template_linked_out_of_the_vault_is_refused(make_vault: MakeVault,
                                                       tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("private key\n", encoding="utf-8")
    vault = make_vault({"a.md": NOTE, ".zettel/templates/other.md": "{{title}} here\n"})
    (vault / ".zettel" / "templates" / "default.md").symlink_to(secret)
    refused = zettel("new", "Idea", "--no-edit", "--vault", str(vault))
    assert "leads out of" in one_line_error(refused.exit_code, refused.stderr)
    assert [p.name for p in vault.glob("*.md")] == ["a.md"]
    (vault / ".zettel" / "templates" / "default.md").unlink()  # a link inside .zettel/ is fine
    (vault / ".zettel" / "templates" / "default.md").symlink_to("other.md")
    made = zettel("new", "Idea", "--no-edit", "--vault", str(vault))
    assert made.exit_code == 0
    assert Path(made.stdout.strip()).read_text(encoding="utf-8").endswith("Idea here\n")


@needs_fifo
def test_a_fifo_template_is_refused_without_blocking(make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": NOTE, ".zettel/templates/keep": ""})
    os.mkfifo(vault / ".zettel" / "templates" / "default.md")
    done = zettel_process("new", "Idea", "--no-edit", "--vault", str(vault))
    assert "not a regular file" in one_line_error(done.returncode, done.stderr)


@needs_fifo
def test_a_fifo_config_is_refused_without_blocking(make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": NOTE, ".zettel/keep": ""})
    os.mkfifo(vault / ".zettel" / "config.yaml")
    done = zettel_process("check", str(vault))
    assert "config.yaml is not a regular file" in one_line_error(done.returncode, done.stderr)


def test_a_config_linked_out_of_the_vault_is_not_read(make_vault: MakeVault,
                                                      tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("extensions: [txt]\n", encoding="utf-8")
    vault = make_vault({"a.md": NOTE, ".zettel/keep": "", "shared.yaml": "extensions: [md]\n"})
    (vault / ".zettel" / "config.yaml").symlink_to(outside)
    refused = zettel("check", str(vault))
    assert "leads out of" in one_line_error(refused.exit_code, refused.stderr)
    (vault / ".zettel" / "config.yaml").unlink()  # a link inside the vault is read
    (vault / ".zettel" / "config.yaml").symlink_to(vault / "shared.yaml")
    assert zettel("check", "--json", str(vault)).exit_code == 0


def test_a_linked_state_folder_is_not_read_for_settings(make_vault: MakeVault,
                                                        tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "config.yaml").write_text("extensions: [txt]\n", encoding="utf-8")
    vault = make_vault({"a.md": NOTE})
    (vault / ".zettel").symlink_to(outside)
    result = zettel("check", str(vault))
    assert "symbolic link" in one_line_error(result.exit_code, result.stderr)


def test_a_huge_config_is_refused(make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": NOTE, ".zettel/config.yaml": "# " + "x" * (2 << 20) + "\n"})
    result = zettel("check", str(vault))
    assert "larger than" in one_line_error(result.exit_code, result.stderr)


async def test_the_tui_runs_no_vault_editor_and_survives_a_bad_editor(
        hostile: Path, planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zettel.tui.app import ZettelApp  # noqa: PLC0415 - Textual, for this test only

    monkeypatch.setenv("VISUAL", "")
    monkeypatch.setenv("EDITOR", 'vim "')
    app = ZettelApp(hostile, watch=False)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.history.current is not None, "a note shown")
        await pilot.press("e")
        shown = await wait_until(
            pilot, lambda: " ".join(str(toast.render()) for toast in app.screen.query("Toast")),
            "a notice")
        assert "Cannot open an editor" in shown and "cannot be split" in shown
        assert app.is_running and not planted.exists()


def test_new_reserves_ids_only_in_a_real_folder_of_the_vault(make_vault: MakeVault,
                                                             tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    vault = make_vault({"a.md": NOTE, ".zettel/keep": ""})
    (vault / ".zettel" / "ids").symlink_to(outside)
    result = zettel("new", "Idea", "--no-edit", "--vault", str(vault))
    assert "symbolic link" in one_line_error(result.exit_code, result.stderr)
    assert list(outside.iterdir()) == [] and [p.name for p in vault.glob("*.md")] == ["a.md"]


def test_a_planted_folder_among_the_reservations_does_not_stop_new(make_vault: MakeVault) -> None:
    vault = make_vault({"a.md": NOTE, ".zettel/ids/20000101000000/keep": "x"})
    result = zettel("new", "Idea", "--no-edit", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert (vault / ".zettel" / "ids" / "20000101000000" / "keep").read_text() == "x"
