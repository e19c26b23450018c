"""Creating notes: ids, collisions, never overwriting, front matter, names."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from zettel.cli.main import main
from zettel.core.parse import parse_bytes
from zettel.vault.config import Config, UserSettings
from zettel.vault.create import (
    CreateError,
    Editor,
    EditorError,
    choose_editor,
    front_matter,
    new_note,
    slugify,
)

NOON = datetime(2023, 9, 27, 14, 2, 47, 123456)


def test_new_note_has_a_timestamp_id_and_ordered_front_matter(tmp_path: Path) -> None:
    path = new_note(tmp_path, "  Données  ouvertes ", config=Config(), types=["concept"],
                    tags=["open data", "état"], now=NOON)
    assert path.name == "20230927140247.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Données ouvertes\nid: '20230927140247'\n"
                           "types:\n  - concept\ntags:\n  - open data\n  - état\n---\n")
    note = parse_bytes(path.name, path.read_bytes())
    assert (note.id, note.title, note.types, note.tags) == (
        "20230927140247", "Données ouvertes", ("concept",), ("open data", "état"))


def test_same_second_gives_distinct_ids(tmp_path: Path) -> None:
    made = [new_note(tmp_path, f"Note {i}", config=Config(), now=NOON) for i in range(5)]
    assert [p.stem for p in made] == [f"2023092714024{7 + i}" if i < 3 else f"2023092714025{i - 3}"
                                      for i in range(5)]


def test_ids_taken_elsewhere_in_the_vault_are_skipped(tmp_path: Path) -> None:
    path = new_note(tmp_path, "x", config=Config(), taken_ids=["20230927140247"], now=NOON)
    assert path.stem == "20230927140248"


def test_existing_file_is_never_touched(tmp_path: Path) -> None:
    existing = tmp_path / "20230927140247.md"
    existing.write_text("precious", encoding="utf-8")
    path = new_note(tmp_path, "x", config=Config(), now=NOON)
    assert existing.read_text(encoding="utf-8") == "precious"
    assert path.stem == "20230927140248"


def test_concurrent_creation_never_collides(tmp_path: Path) -> None:
    made: list[Path] = []
    lock = threading.Lock()

    def create(i: int) -> None:
        path = new_note(tmp_path, f"T{i}", config=Config(), now=NOON)
        with lock:
            made.append(path)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({p.name for p in made}) == 8
    assert {parse_bytes(p.name, p.read_bytes()).title for p in made} == {f"T{i}" for i in range(8)}


@pytest.mark.parametrize(
    ("pattern", "name"),
    [("{id}.md", "20230927140247.md"), ("{id}-{slug}", "20230927140247-café-crème.md"),
     ("{slug}.md", "café-crème.md"), ("{id} {slug}.txt", "20230927140247 café-crème.txt")],
)
def test_file_name_patterns(tmp_path: Path, pattern: str, name: str) -> None:
    assert new_note(tmp_path, "Café Crème", config=Config(filename=pattern), now=NOON).name == name


def test_slug_only_pattern_adds_a_counter_on_collision(tmp_path: Path) -> None:
    config = Config(filename="{slug}.md")
    first = new_note(tmp_path, "Same", config=config, now=NOON)
    second = new_note(tmp_path, "Same", config=config, now=NOON)
    assert (first.name, second.name) == ("same.md", "same-2.md")
    assert parse_bytes("", second.read_bytes()).id == "20230927140248"


@pytest.mark.parametrize(
    ("title", "slug"),
    [("Café crème", "café-crème"), ("a/b\\c", "a-b-c"), ("../../etc/passwd", "etc-passwd"),
     ('what? <yes>: "no" | *', "what-yes-no"), ("CON", "con-note"), ("...", "note"),
     ("x" * 200, "x" * 80), ("Tab\there", "tab-here")],
)
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_template_body_is_filled(tmp_path: Path) -> None:
    (tmp_path / ".zettel" / "templates").mkdir(parents=True)
    (tmp_path / ".zettel" / "templates" / "default.md").write_text(
        "# {{title}}\n\nCreated {{date}} as {{id}}.\n", encoding="utf-8")
    path = new_note(tmp_path, "Templated", config=Config(), now=NOON)
    assert path.read_text(encoding="utf-8").endswith(
        "---\n\n# Templated\n\nCreated 2023-09-27 as 20230927140247.\n")


def test_empty_title_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CreateError):
        new_note(tmp_path, "   ", config=Config(), now=NOON)


def test_front_matter_quotes_what_yaml_would_misread() -> None:
    text = front_matter("yes: no #1", "20230927140247", [], ["a, b"])
    data = yaml.safe_load(text.strip("-\n"))
    assert data == {"title": "yes: no #1", "id": "20230927140247", "types": [], "tags": ["a, b"]}


def test_editor_is_split_not_shelled(tmp_path: Path) -> None:
    env = {"VISUAL": "code --wait", "EDITOR": "vi"}
    none = UserSettings()
    assert choose_editor(Config(), tmp_path, env, none).command == ["code", "--wait"]
    assert choose_editor(Config(), tmp_path, {"EDITOR": "'my editor' -x"}, none).command == [
        "my editor", "-x"]
    assert choose_editor(Config(), tmp_path, env, UserSettings(editor="nano")).command == ["nano"]
    assert choose_editor(Config(), tmp_path, {}, none).command is None


def test_the_vaults_editor_is_used_only_when_the_vault_is_trusted(tmp_path: Path) -> None:
    env = {"EDITOR": "vi"}
    config = Config(editor="nano -x")
    untrusted = choose_editor(config, tmp_path, env, UserSettings())
    assert untrusted.command == ["vi"] and "zettel trust" in (untrusted.notice or "")
    trusted = choose_editor(config, tmp_path, env, UserSettings(trusted=(str(tmp_path),)))
    assert trusted == Editor(["nano", "-x"], None)


def test_an_editor_with_an_unbalanced_quote_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(EditorError, match=r"\$EDITOR.*closing quotation"):
        choose_editor(Config(), tmp_path, {"EDITOR": 'vim "'}, UserSettings())


def test_a_title_holding_a_template_field_is_kept_as_written(tmp_path: Path) -> None:
    (tmp_path / ".zettel" / "templates").mkdir(parents=True)
    (tmp_path / ".zettel" / "templates" / "default.md").write_text("# {{title}}\n",
                                                                   encoding="utf-8")
    path = new_note(tmp_path, "About {{id}}", config=Config(), now=NOON)
    assert path.read_text(encoding="utf-8").endswith("---\n\n# About {{id}}\n")


# -- zettel new, the command


def zettel(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the zettel command in this process; exceptions are caught, as the shell sees them."""
    return CliRunner().invoke(main, list(args), env=env)


def one_line_error(result: Result) -> str:
    """The error of a failed command: exit 2, one line on stderr (after any notices
    starting with 'zettel:'), no exception escaped."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)
    *notices, error = result.stderr.strip().splitlines()
    assert all(line.startswith("zettel: ") for line in notices), result.stderr
    assert error.startswith("Error: ")
    return error


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, even for root (chattr +i), for the ``with`` block."""
    if getattr(os, "geteuid", lambda: 1)() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)],
                                        capture_output=True).returncode:
        pytest.skip("running as root, and chattr +i is not available to make a folder read-only")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


@pytest.mark.parametrize("state_folder", [False, True], ids=["no-.zettel", "with-.zettel"])
def test_new_in_a_read_only_vault_is_a_one_line_error(tmp_path: Path, state_folder: bool) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "a.md").write_text("---\ntitle: A\n---\n", encoding="utf-8")
    if state_folder:  # only the notes' folder is read-only: the id is reserved, the file is not
        (vault / ".zettel").mkdir()
    with read_only(vault):
        result = zettel("new", "Idea", "--no-edit", "--vault", str(vault))
    assert "cannot create" in one_line_error(result)
    assert sorted(p.name for p in vault.glob("*.md")) == ["a.md"]


def test_an_unbalanced_quote_in_editor_keeps_the_note_and_fails_in_one_line(
        tmp_path: Path) -> None:
    result = zettel("new", "Kept", "--vault", str(tmp_path),
                    env={"VISUAL": "", "EDITOR": 'vim "'})
    message = one_line_error(result)
    assert "the note was created" in message and "$EDITOR" in message
    created = Path(result.stdout.strip())
    assert created.parent == tmp_path and "title: Kept" in created.read_text(encoding="utf-8")


def test_the_users_editor_setting_comes_before_visual(tmp_path: Path,
                                                      user_settings: Path) -> None:
    log = tmp_path / "log.txt"
    script = tmp_path / "editor.py"
    script.write_text(f"import sys\nopen({str(log)!r}, 'a').write(sys.argv[1] + '\\n')\n",
                      encoding="utf-8")
    (user_settings / "config.yaml").write_text(
        f"editor: {shlex.quote(sys.executable)} {shlex.quote(str(script))}\n", encoding="utf-8")
    vault = tmp_path / "vault"
    vault.mkdir()
    result = zettel("new", "Mine", "--vault", str(vault),
                    env={"VISUAL": str(tmp_path / "no-such-editor")})
    assert result.exit_code == 0, result.stderr
    assert log.read_text(encoding="utf-8") == result.stdout


# -- parallel zettel new

PARALLEL = 50
PATTERNS = ("{id}.md", "{id}-{slug}.md", "{slug}.md")
# One interpreter imports zettel, then forks PARALLEL processes that wait on a pipe and, when
# it closes, all run `zettel new` at once in each vault (the same second; ten titles, each
# used by five processes).
_FORK_AND_CREATE = """
import os, sys, traceback
from zettel.cli.main import main
go, start = os.pipe()
children = []
for n in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        os.close(start)
        os.read(go, 1)
        try:
            for vault in sys.argv[2:]:
                main(["new", f"Idea {n % 10}", "--tag", f"p{n}", "--no-edit", "--vault", vault],
                     prog_name="zettel", standalone_mode=False)
            sys.stdout.flush()
            os._exit(0)
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
    children.append(pid)
os.close(start)
failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
sys.exit(f"{len(failed)} of the processes failed" if failed else 0)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_parallel_new_gives_distinct_ids_with_every_file_name_pattern(tmp_path: Path) -> None:
    vaults = []
    for i, pattern in enumerate(PATTERNS):
        vault = tmp_path / f"vault{i}"
        (vault / ".zettel").mkdir(parents=True)
        (vault / ".zettel" / "config.yaml").write_text(f'filename: "{pattern}"\n',
                                                       encoding="utf-8")
        vaults.append(vault)
    done = subprocess.run([sys.executable, "-c", _FORK_AND_CREATE, str(PARALLEL),
                           *map(str, vaults)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split()
    for vault in vaults:
        files = sorted(vault.glob("*.md"))
        notes = [parse_bytes(p.name, p.read_bytes()) for p in files]
        assert len(files) == PARALLEL
        assert len({note.id for note in notes}) == PARALLEL  # every id distinct
        assert sorted(tag for note in notes for tag in note.tags) == sorted(
            f"p{n}" for n in range(PARALLEL))  # one file per process: none overwritten
        assert sorted(p for p in printed if Path(p).parent == vault) == [str(p) for p in files]


def test_no_control_or_bidi_character_reaches_a_file_name_or_the_terminal(tmp_path) -> None:
    from click.testing import CliRunner

    from zettel.cli.main import main
    from zettel.vault.create import slugify

    assert slugify("nl \u202e gpj.exe") == "nl-gpj.exe"
    assert slugify("a\x1b[2Jb\x9b\u2066c") == "a-2jb-c"
    vault = tmp_path / "ev\x1b[2Jil"
    (vault / ".zettel").mkdir(parents=True)
    (vault / ".zettel" / "config.yaml").write_text("filename: '{slug}.md'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["new", "Right\u202eto left", "--no-edit",
                                       "--vault", str(vault)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("ev\\x1b[2Jil/right-to-left.md")
    assert (vault / "right-to-left.md").is_file()
