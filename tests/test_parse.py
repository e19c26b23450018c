"""Parsing one note: front matter, known fields, ids, titles, tags, encodings."""

from __future__ import annotations

import datetime
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zettel.core.parse import (
    body_to_file,
    decode,
    id_from_filename,
    is_timestamp_id,
    parse_bytes,
    parse_text,
)
from zettel.vault.scan import open_vault


def kinds(note) -> list[str]:
    return [p.kind for p in note.problems]


def test_full_front_matter_is_read_into_known_fields_and_meta() -> None:
    note = parse_text("a.md", "---\ntitle: INSEE\nid: \"20230927140247\"\ntypes:\n  - organisation\n"
                      "thumbnail: org.png\nkezako: L'Institut\ntags:\n - analyse\n - collecte \n"
                      "link: https://insee.fr\n---\n\nBody\n")
    assert note.title == "INSEE"
    assert note.id == "20230927140247"
    assert note.types == ("organisation",)
    assert note.tags == ("analyse", "collecte")
    assert note.thumbnail == "org.png"
    assert list(note.meta) == ["kezako", "link"]
    assert note.meta["kezako"] == "L'Institut"
    assert note.has_front_matter and note.body_line == 13  # the line after the closing ---
    assert note.problems == ()


def test_no_front_matter_is_a_note_with_empty_metadata() -> None:
    note = parse_text("folder/Plain note.md", "Just text, no heading.\n")
    assert note.title == "Plain note"
    assert note.id is None and note.meta == {} and not note.has_front_matter
    assert note.problems == ()


def test_title_falls_back_to_first_heading_then_stem() -> None:
    assert parse_text("x.md", "intro\n\n# The Heading #\n\n# Second\n").title == "The Heading"
    assert parse_text("x.md", "## Not level one\n").title == "x"
    assert parse_text("x.md", "```\n# in code\n```\n").title == "x"


def test_unquoted_int_id_becomes_the_string_written() -> None:
    assert parse_text("a.md", "---\nid: 20230927140247\n---\n").id == "20230927140247"
    # YAML 1.1 would read 0123 as octal 83: the digits as written are kept.
    assert parse_text("a.md", "---\nid: 0123\n---\n").id == "0123"


def test_key_case_is_read_with_a_warning_on_its_line() -> None:
    note = parse_text("a.md", "---\ntitle: T\nId: 20230927140247\nTAGS: a, b\n---\n")
    assert note.id == "20230927140247"
    assert note.tags == ("a", "b")
    warnings = [p for p in note.problems if p.kind == "key-case"]
    assert [(p.target, p.line) for p in warnings] == [("Id", 3), ("TAGS", 4)]
    assert all(p.severity == "warning" for p in warnings)


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        ("tags: a, b ,c", ("a", "b", "c")),
        ("tags: [a, '#b']", ("a", "b")),
        ("tag: solo", ("solo",)),
        ("keywords:\n  - k1\ntags: t1", ("k1", "t1")),
        ("tags: 42", ("42",)),
        ("tags:", ()),
    ],
)
def test_tag_fields_accept_lists_strings_and_aliases(yaml: str, expected: tuple[str, ...]) -> None:
    assert parse_text("a.md", f"---\n{yaml}\n---\n").tags == expected


def test_type_and_aliases_accept_string_or_list() -> None:
    note = parse_text("a.md", "---\ntype: concept\naliases: [Foo, Bar]\nalias: Baz\n---\n")
    assert note.types == ("concept",)
    assert note.aliases == ("Foo", "Bar", "Baz")


def test_malformed_yaml_is_a_note_with_a_yaml_error_on_its_line() -> None:
    note = parse_text("notes/bad.md", "---\ntitle: ok\ntags: [a, b\n---\n# Heading\n\n[[20200101000000]]\n")
    assert kinds(note) == ["yaml-error"]
    problem = note.problems[0]
    assert problem.severity == "error" and problem.line is not None and problem.line >= 3
    assert "YAML" in problem.message
    assert note.title == "Heading"  # from the body, since the front matter is unusable
    assert [link.target for link in note.links] == ["20200101000000"]


@pytest.mark.parametrize("front", ["- a list\n- not a mapping", "just a string", "a: [b"])
def test_front_matter_that_is_not_a_usable_mapping_is_reported(front: str) -> None:
    note = parse_text("a.md", f"---\n{front}\n---\nbody\n")
    assert kinds(note) == ["yaml-error"]
    assert note.body == "body\n"


def test_self_referencing_yaml_does_not_hang() -> None:
    note = parse_text("a.md", "---\na: &x [*x]\n---\n")
    assert note.problems == () and list(note.meta) == ["a"]


def test_unclosed_front_matter_is_reported_and_kept_as_body() -> None:
    note = parse_text("a.md", "---\ntitle: x\nno closing line\n")
    assert kinds(note) == ["yaml-error"]
    assert "never closed" in note.problems[0].message
    assert "no closing line" in note.body


def test_dots_close_front_matter_and_hr_is_not_front_matter() -> None:
    assert parse_text("a.md", "---\ntitle: Dots\n...\nbody\n").title == "Dots"
    note = parse_text("a.md", "----\ntitle: x\n----\n")
    assert not note.has_front_matter


def test_crlf_and_bom_are_tolerated() -> None:
    text = "\ufeff---\r\ntitle: Windows\r\nid: \"20230927140247\"\r\n---\r\nline [[x]]\r\n"
    note = parse_bytes("a.md", text.encode("utf-8"))
    assert note.title == "Windows" and note.id == "20230927140247"
    assert note.links[0].line == 5 and note.problems == ()


def test_non_utf8_bytes_are_replaced_and_reported() -> None:
    note = parse_bytes("a.md", b"---\ntitle: caf\xe9\n---\nbody\n")
    assert kinds(note) == ["bad-encoding"]
    assert note.title == "caf\ufffd"
    assert "line 2" in note.problems[0].message


def test_utf16_with_bom_is_decoded() -> None:
    text, problem = decode("---\ntitle: é\n---\n".encode("utf-16"))
    assert problem is None and "title: é" in text


def test_empty_file_is_a_note() -> None:
    note = parse_bytes("20200101120000 Empty.md", b"")
    assert note.title == "20200101120000 Empty" and note.id == "20200101120000"
    assert note.links == () and note.problems == ()


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("20200402104023-slug", "20200402104023"),
        ("202001011230 Title", "202001011230"),
        ("2020010112301", "2020010112301"),
        ("20200101123012345", None),
        ("12345", None),
        ("slug-20200402104023", None),
    ],
)
def test_id_from_filename(stem: str, expected: str | None) -> None:
    assert id_from_filename(stem) == expected
    note = parse_text(f"{stem}.md", "text")
    assert note.id == expected and note.id_from_filename == (expected is not None)


def test_front_matter_id_wins_over_filename() -> None:
    note = parse_text("20200402104023-x.md", "---\nid: \"20230927140247\"\n---\n")
    assert note.id == "20230927140247" and not note.id_from_filename


def test_list_id_is_malformed_and_dropped() -> None:
    note = parse_text("a.md", "---\nid: [1, 2]\n---\n")
    assert note.id is None and kinds(note) == ["malformed-id"]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("20230927140247", True), ("202309271402471", False), ("20231327140247", False),
     ("20230231000000", False), ("2023092714024a", False)],
)
def test_timestamp_ids(value: str, ok: bool) -> None:
    assert is_timestamp_id(value) is ok


def test_inline_tags_outside_code_urls_and_headings() -> None:
    body = ("# Heading\n\nText #idée and #projet/données, #1234 is no tag.\n"
            "See https://example.org/#anchor and page.html#frag and [[note#section]].\n"
            "`#code` and\n\n```\n#fenced\n```\n\n## Sub #heading-tag\n")
    note = parse_text("a.md", "---\ntags: [front]\n---\n" + body)
    assert note.tags == ("front", "idée", "projet/données", "heading-tag")


def test_meta_keeps_yaml_types_and_order() -> None:
    note = parse_text("a.md", "---\nz: 1\ndate: 2023-01-02\ndraft: true\nnested: {a: [1]}\n---\n")
    assert list(note.meta) == ["z", "date", "draft", "nested"]
    assert note.meta["date"] == datetime.date(2023, 1, 2) and note.meta["draft"] is True


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_text_never_raises(text: str) -> None:
    note = parse_text("fuzz.md", text)
    assert isinstance(note.title, str) and note.title


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_parse_bytes_never_raises(data: bytes) -> None:
    assert parse_bytes("fuzz.md", b"---\n" + data).path == "fuzz.md"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["---", "title: x", "id: 1", "[[a]]", "```", "`", "#t", "- b",
                                 "tags: [", "...", "", "  - x", ":", "[t](u.md)", "[r]: r.md"]),
                max_size=12))
def test_parse_never_raises_on_structured_noise(lines: list[str]) -> None:
    note = parse_text("noise.md", "\n".join(lines))
    for link in note.links:
        assert link.line >= 1 and link.column >= 1



def test_front_matter_is_yaml_1_2_like_cosma_and_obsidian() -> None:
    note = parse_text("a.md", "---\nanswer: yes\ncountry: NO\nn: 0x1F\nbad: 2023-13-45\n"
                      "t: 2023-01-02T10:00:00Z\nnothing: ~\n---\n")
    assert note.meta["answer"] == "yes" and note.meta["country"] == "NO"  # no "Norway problem"
    assert note.meta["n"] == 31 and note.meta["nothing"] is None
    assert note.meta["bad"] == "2023-13-45"  # not a date: kept as written, nothing lost
    assert note.meta["t"] == datetime.datetime(2023, 1, 2, 10, tzinfo=datetime.UTC)
    assert note.problems == ()


def test_duplicate_field_is_reported_and_the_last_value_kept() -> None:
    note = parse_text("a.md", "---\ntitle: T\ntags: [a]\nbuttons:\n  - title: x\n"
                      "tags: [b]\n---\n")
    assert note.tags == ("b",)
    [problem] = note.problems
    assert (problem.kind, problem.line, problem.target) == ("yaml-error", 6, "tags")
    assert "lines 3, 6" in problem.message


def test_yaml_never_runs_code_nor_explodes() -> None:
    note = parse_text("a.md", "---\nx: !!python/object/apply:os.system [\"echo hi\"]\n---\n")
    assert note.meta == {"x": ["echo hi"]}  # the tag is inert
    bomb = "\n".join(f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]"
                      for p, n in zip("abcdefg", "bcdefgh"))
    note = parse_text("b.md", "---\na: &a [x,x,x,x,x,x,x,x,x]\n" + bomb + "\n---\nbody")
    assert [p.kind for p in note.problems] == ["yaml-error"]
    assert "alias" in note.problems[0].message


def test_yaml_error_lines_are_file_lines() -> None:
    [problem] = parse_text("a.md", "---\ntitle: t\ntags: [a, b\n---\n").problems
    assert (problem.kind, problem.line) == ("yaml-error", 3) and "bracket" in problem.message
    # The flow list goes on to the next line, where the ':' is what cannot be.
    [problem] = parse_text("a.md", "---\ntitle: t\ntags: [a, b\nid: 1\n---\n").problems
    assert problem.line == 4 and "':'" in problem.message


def test_keys_that_are_numbers_or_booleans_are_kept_as_text_not_duplicates() -> None:
    note = parse_text("a.md", "---\ntitle: Kept\n1: one\ntrue: yes\n1.0: float\nnull: nothing\n"
                      "x:\n  1: a\n  true: b\n---\n")
    assert note.title == "Kept" and note.problems == ()
    assert note.meta == {"1": "one", "true": "yes", "1.0": "float", "null": "nothing",
                         "x": {"1": "a", "true": "b"}}


def test_a_number_key_given_twice_is_still_a_duplicate() -> None:
    note = parse_text("a.md", "---\ntitle: Kept\n1: a\ntrue: b\n01: c\n---\n")
    assert note.title == "Kept" and note.meta == {"1": "c", "true": "b"}
    [problem] = note.problems
    assert (problem.kind, problem.target, problem.line) == ("yaml-error", "1", 3)


def test_block_text_that_looks_like_keys_is_left_as_written() -> None:
    note = parse_text("a.md", "---\nd: |\n  1: x\n  true: y\n1: a\ntrue: b\n---\n")
    assert note.meta == {"d": "1: x\ntrue: y\n", "1": "a", "true": "b"}


def test_values_nested_deeper_than_64_levels_are_a_yaml_error_of_their_field() -> None:
    ok = parse_text("a.md", "---\na: " + "[" * 64 + "]" * 64 + "\n---\n")
    assert ok.problems == () and "a" in ok.meta
    note = parse_text("a.md", "---\ntitle: Kept\nid: 20240101000000\ndeep: " + "[" * 65 + "x"
                      + "]" * 65 + "\nmap: " + "{a: " * 65 + "x" + "}" * 65 + "\nz: 1\n---\n")
    assert (note.title, note.id, note.meta) == ("Kept", "20240101000000", {"z": 1})
    assert [(p.kind, p.target, p.line) for p in note.problems] == [
        ("yaml-error", "deep", 4), ("yaml-error", "map", 5)]
    assert "nested more than 64 levels" in note.problems[0].message


def test_front_matter_indented_beyond_reason_is_refused_before_yaml_reads_it() -> None:
    note = parse_text("a.md", "---\ntitle: T\na:\n" + "- " * 300 + "x\n---\nbody [[b]]")
    assert [(p.kind, p.line) for p in note.problems] == [("yaml-error", 4)]
    assert note.meta == {} and note.title == "a" and note.links[0].target == "b"


@pytest.mark.parametrize(("text", "body_line", "offsets", "expected"), [
    ("a\rb\r\nc [[x]]", 1, [0, 2, 3, 4, 5], [0, 2, 3, 5, 6]),  # a lone CR keeps its place
    ("\ufeff---\r\n---\r\n\r\nx", 3, [0, 1, 2], [11, 13, 14]),
    ("---\ntitle: t\n---", 4, [0], [16]),  # closed on the last line: an empty body
])
def test_body_to_file_counts_the_bom_and_crlf_of_the_file(text: str, body_line: int,
                                                         offsets: list[int],
                                                         expected: list[int]) -> None:
    at = body_to_file(text, body_line)
    assert [at(offset) for offset in offsets] == expected


def test_spans_survive_the_parse_cache(make_vault) -> None:  # type: ignore[no-untyped-def]
    data = "\ufeff---\r\ntitle: A\r\n---\r\nSee [it][r] and [[b#Part|B]].\r\n\r\n[r]: c.md\r\n"
    root = make_vault({"a.md": data.encode("utf-8")})
    old = os.stat(root / "a.md").st_mtime_ns - 10_000_000_000  # out of the racy window
    os.utime(root / "a.md", ns=(old, old))
    assert open_vault(root).stats.parsed == 1
    again = open_vault(root)
    assert again.stats.cached == 1
    note = again.notes[0]
    at = body_to_file(data, note.body_line)

    def cut(span: tuple[int, int] | None) -> str | None:
        return None if span is None else data[at(span[0]) : at(span[1])]

    assert [(cut(link.span), cut(link.target_span), cut(link.label_span), cut(link.heading_span),
             [cut(use) for use in link.uses]) for link in note.links] == [
        ("[[b#Part|B]]", "b", "B", "Part", []), ("[r]: c.md", "c.md", "r", None, ["[r]"])]
