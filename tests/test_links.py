"""Every link form, positions and contexts, and what code hides."""

from __future__ import annotations

import pytest

from zettel.body import mask_code, scan_body
from zettel.model import CONTEXT_CHARS, paragraph_at
from zettel.parse import parse_text


def only(text: str):
    links, _, _ = scan_body(text)
    assert len(links) == 1, links
    return links[0]


@pytest.mark.parametrize(
    ("text", "target", "kind", "label", "heading"),
    [
        ("[[20230924193522]]", "20230924193522", "wiki", None, None),
        ("[[target|the label]]", "target", "wiki", "the label", None),
        ("[[target#A heading]]", "target", "wiki", None, "A heading"),
        ("[[target#^block1]]", "target", "wiki", None, "^block1"),
        ("[[target#sec|label]]", "target", "wiki", "label", "sec"),
        ("[[target\\|label]]", "target", "wiki", "label", None),
        ("![[image.png]]", "image.png", "embed", None, None),
        ("[[cite:20230924193522]]", "cite:20230924193522", "wiki", None, None),
        ("[text](other/note.md)", "other/note.md", "markdown", "text", None),
        ("[text](<with space.md>)", "with space.md", "markdown", "text", None),
        ("[text](with%20space.md#part)", "with space.md", "markdown", "text", "part"),
        ('[text](note.md "a title")', "note.md", "markdown", "text", None),
        ("![alt](pics/a.png)", "pics/a.png", "embed", "alt", None),
        ("[site](https://example.org)", "https://example.org", "external", "site", None),
        ("[mail](mailto:a@b.c)", "mailto:a@b.c", "external", "mail", None),
    ],
)
def test_link_forms(text: str, target: str, kind: str, label: str | None,
                    heading: str | None) -> None:
    link = only(f"Before {text} after.")
    assert (link.target, link.kind, link.label, link.heading) == (target, kind, label, heading)


def test_in_page_anchor_is_not_a_link() -> None:
    assert scan_body("[up](#top)")[0] == []


def test_reference_style_links() -> None:
    body = "See [the doc][ref] and [the site][web].\n\n[ref]: docs/a.md\n[web]: https://x.org\n"
    links, _, _ = scan_body(body)
    assert [(link.kind, link.target, link.label) for link in links] == [
        ("reference", "docs/a.md", "ref"), ("external", "https://x.org", "web")]
    assert links[0].line == 3
    assert paragraph_at(body, links[0].offset).startswith("See [the doc]")


def test_links_in_code_do_not_count() -> None:
    body = ("real [[a]]\n\n```md\n[[fenced]]\n```\n\n~~~\n[[tilde]]\n~~~\n\n"
            "inline `[[code]]` and ``[[double]]`` then [[b]]\n\n````\n```\n[[nested]]\n```\n````\n")
    assert [link.target for link in scan_body(body)[0]] == ["a", "b"]


def test_unclosed_fence_runs_to_the_end() -> None:
    assert scan_body("[[a]]\n```\n[[hidden]]\n")[0][0].target == "a"
    assert len(scan_body("[[a]]\n```\n[[hidden]]\n")[0]) == 1


def test_mask_code_keeps_offsets() -> None:
    body = "a `b` c\n```\nx\n```\nd"
    masked = mask_code(body)
    assert len(masked) == len(body) and masked.count("\n") == body.count("\n")
    assert "b" not in masked and "x" not in masked


def test_line_and_column_are_file_positions() -> None:
    note = parse_text("a.md", "---\ntitle: t\n---\nfirst line\n  two [[x]] and [[y]]\n")
    assert [(link.line, link.column) for link in note.links] == [(5, 7), (5, 17)]


def test_context_is_the_paragraph_around_the_link() -> None:
    body = "Para one.\n\nPara two with\n[[link]] inside.\n   \nPara three."
    note = parse_text("a.md", body)
    assert note.context(note.links[0]) == "Para two with\n[[link]] inside."


def test_long_paragraph_context_is_cut_around_the_link() -> None:
    words = " ".join(f"w{i}" for i in range(800))
    note = parse_text("a.md", f"{words} [[deep]] {words}")
    context = note.context(note.links[0])
    assert "[[deep]]" in context and len(context) <= CONTEXT_CHARS + 2
    assert context.startswith("…") and context.endswith("…")


def test_wiki_link_is_not_also_a_markdown_link() -> None:
    links, _, _ = scan_body("[[a]](b.md)")
    assert [link.kind for link in links] == ["wiki"]


def test_line_and_column_of_every_link_in_a_big_note() -> None:
    lines = [f"{' ' * (i % 7)}x{i} [[n{i}]] y ![[p{i}.png]] [t](m{i}.md)" if i % 3 else ""
             for i in range(20_000)]
    refs = [f"[r{i}]: ref{i}.md" for i in range(0, 20_000, 500)]
    note = parse_text("big.md", "---\ntitle: Big\n---\n" + "\n".join(lines + refs) + "\n")
    expected = []
    for i, text in enumerate(lines):
        if text:  # each link starts where its first bracket (or the embed's !) is written
            expected += [(f"n{i}", i + 4, text.index("[[n") + 1),
                         (f"p{i}.png", i + 4, text.index("![[p") + 1),
                         (f"m{i}.md", i + 4, text.index("[t](") + 1)]
    for j, ref in enumerate(refs):
        expected.append((ref.split(": ")[1], len(lines) + j + 4, 1))
    got = [(link.target, link.line, link.column) for link in note.links]
    assert got == expected


def test_footnotes_are_not_links() -> None:
    body = ("A claim[^1] and another[^note].\n\n[^1]: Luhmann, 1981, p. 3.\n"
            "[^note]: https://example.org and see [[real]].\n[ref]: doc.md\n")
    links, _, _ = scan_body(body)
    assert [(link.kind, link.target) for link in links] == [("wiki", "real"),
                                                            ("reference", "doc.md")]


def test_fences_open_and_close_only_at_the_start_of_a_line() -> None:
    body = ("[[a]] x ``` [[b]]\n   ```py\n[[hidden1]]\n  ``` not a close [[hidden2]]\n"
            "   ````  \n[[c]]\n    ```\n[[d]]\n~~~~\n[[hidden3]]\n~~~\n[[hidden4]]\n~~~~~ \t\n"
            "[[e]] and `[[code]]` and ``a ` [[code2]]`` then [[f]]\n")
    assert [link.target for link in scan_body(body)[0]] == ["a", "b", "c", "d", "e", "f"]
