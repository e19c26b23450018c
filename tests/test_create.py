"""Creating notes: ids, collisions, never overwriting, front matter, names."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from zettel.config import Config
from zettel.create import CreateError, editor_command, front_matter, new_note, slugify
from zettel.parse import parse_bytes

NOON = datetime(2023, 9, 27, 14, 2, 47, 123456)


def test_new_note_has_a_timestamp_id_and_ordered_front_matter(tmp_path: Path) -> None:
    path = new_note(tmp_path, "  Données  ouvertes ", config=Config(), types=["concept"],
                    tags=["open data", "état"], now=NOON)
    assert path.name == "20230927140247.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Données ouvertes\nid: '20230927140247'\ntypes:\n  - concept\n"
                           "tags:\n  - open data\n  - état\n---\n")
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


def test_editor_command_is_split_not_shelled() -> None:
    env = {"VISUAL": "code --wait", "EDITOR": "vi"}
    assert editor_command(Config(), env) == ["code", "--wait"]
    assert editor_command(Config(), {"EDITOR": "'my editor' -x"}) == ["my editor", "-x"]
    assert editor_command(Config(editor="nano"), env) == ["nano"]
    assert editor_command(Config(), {}) is None
