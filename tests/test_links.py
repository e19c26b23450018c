"""Every link form, positions and contexts, and what code hides."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zettel.core.body import mask_code, scan_body
from zettel.core.model import CONTEXT_CHARS, paragraph_at
from zettel.core.parse import body_to_file, decode, parse_bytes, parse_text


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


# -- spans: where each link, its target, label and heading are written

#: (text of one line of a note, then for its one link: kind, whole span, target
#: span, label span, heading span, the spans of its uses), each span as the
#: literal text it covers in the file.
SPAN_CASES = [
    ("À voir : [[ target#A heading | the label ]] ici.", "wiki",
     "[[ target#A heading | the label ]]", "target", "the label", "A heading", ()),
    ("Plain [[20230924193522]].", "wiki", "[[20230924193522]]", "20230924193522",
     None, None, ()),
    ("Typed [[cite:20230924193522]] link.", "wiki", "[[cite:20230924193522]]",
     "cite:20230924193522", None, None, ()),
    ("| [[a note\\|shown]] | cell |", "wiki", "[[a note\\|shown]]", "a note", "shown",
     None, ()),
    ("An embed ![[image.png|300]] here.", "embed", "![[image.png|300]]", "image.png", "300",
     None, ()),
    ('See [the text](other/note.md#part "a title") too.', "markdown",
     '[the text](other/note.md#part "a title")', "other/note.md", "the text", "part", ()),
    ("See [t](<with space.md>).", "markdown", "[t](<with space.md>)", "with space.md", "t",
     None, ()),
    ("See [t](with%20space.md).", "markdown", "[t](with%20space.md)", "with%20space.md", "t",
     None, ()),
    ("Image ![alt](pics/a.png) here.", "embed", "![alt](pics/a.png)", "pics/a.png", "alt",
     None, ()),
    ("Web [site](https://example.org/a#b) page.", "external",
     "[site](https://example.org/a#b)", "https://example.org/a#b", "site", None, ()),
    ("See [the doc][ref] and [ref] again.\n\n[ref]: docs/a.md#sec", "reference",
     "[ref]: docs/a.md#sec", "docs/a.md", "ref", "sec", ("[ref]", "[ref]")),
    ("Unused:\n\n  [web]: <https://x.org>", "external", "[web]: <https://x.org>",
     "https://x.org", "web", None, ()),
]
_NOTE = "---\ntitle: Spans\n---\nÉté, first line.\n\n{line}\nLast line.\n"
NEWLINES = {"LF": lambda text: text, "CRLF": lambda text: text.replace("\n", "\r\n"),
            "BOM": lambda text: "\ufeff" + text,
            "BOM+CRLF": lambda text: "\ufeff" + text.replace("\n", "\r\n")}


def written(data: bytes) -> list[tuple[object, ...]]:
    """Each link of the file ``data``: its kind and its spans, as the text each
    covers in the file's own text (BOM and line ends as in the file)."""
    note = parse_bytes("n.md", data)
    text, _ = decode(data)
    at = body_to_file(text, note.body_line)

    def cut(span: tuple[int, int] | None) -> str | None:
        return None if span is None else text[at(span[0]) : at(span[1])]

    return [(link.kind, cut(link.span), cut(link.target_span), cut(link.label_span),
             cut(link.heading_span), tuple(map(cut, link.uses))) for link in note.links]


@pytest.mark.parametrize("newline", list(NEWLINES))
@pytest.mark.parametrize("case", SPAN_CASES, ids=[case[1] + str(i) for i, case in
                                                  enumerate(SPAN_CASES)])
def test_spans_cover_what_is_written_in_the_file(case: tuple[object, ...], newline: str) -> None:
    line, *expected = case
    data = NEWLINES[newline](_NOTE.format(line=line)).encode("utf-8")
    assert written(data) == [tuple(expected)]


@pytest.mark.parametrize("case", SPAN_CASES)
def test_spans_are_body_offsets(case: tuple[object, ...]) -> None:
    line, kind, whole, target, *_ = case
    note = parse_text("n.md", "\ufeff" + _NOTE.format(line=line).replace("\n", "\r\n"))
    link = note.links[0]
    assert note.body[link.span[0] : link.span[1]] == whole
    assert note.body[link.target_span[0] : link.target_span[1]] == target
    if "]: " not in whole:
        assert link.offset == link.span[0]
    elif link.uses:  # a reference definition's context is where it is first used
        assert link.offset == link.uses[0][0] == note.body.index("[ref]")
    else:  # or its own line when it is not used
        assert link.offset == note.body.rindex("\n", 0, link.span[0]) + 1


def test_utf16_file_offsets_count_characters() -> None:
    data = _NOTE.format(line="é [[x|y]]").replace("\n", "\r\n").encode("utf-16")
    assert written(data) == [("wiki", "[[x|y]]", "x", "y", None, ())]


_PIECES = ["[[", "]]", "[", "]", "(", ")", "!", "|", "\\", "#", "<", ">", ":", " ", "\n",
           "`", "```\n", "x", "é", "%20", ".md", "http://a.b", "[r]", "[r]: ", "^", "\t"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_each_link_read_alone_from_its_span_is_the_same_link(body: str) -> None:
    for link in scan_body(body)[0]:
        start, end = link.span
        assert 0 <= start < end <= len(body)
        definition = link.label_span is not None and body.startswith("]:", link.label_span[1])
        assert link.offset == (link.uses[0][0] if link.uses else
                               body.rfind("\n", 0, start) + 1 if definition else start)
        for inner in (link.target_span, link.label_span, link.heading_span, *link.uses):
            assert inner is None or 0 <= inner[0] <= inner[1] <= len(body)
        assert start <= link.target_span[0] <= link.target_span[1] <= end
        alone = scan_body(body[start:end])[0]
        assert (link.kind, link.target, (0, end - start)) in [
            (other.kind, other.target, other.span) for other in alone]
        if "%" not in body[start:end] and "`" not in body[start:end]:
            for value, span in ((link.target, link.target_span), (link.label, link.label_span),
                                (link.heading, link.heading_span)):
                assert value == (None if span is None else body[span[0] : span[1]])


def test_uses_of_a_reference_are_outside_every_definition() -> None:
    body = "[r]: a.md\n[r]: b.md\n\nsee [r] and [r][] and [[r]]\n"
    links, _, _ = scan_body(body)
    assert [(link.target, link.span, link.uses, link.offset) for link in links] == [
        ("a.md", (0, 9), ((25, 28), (33, 36)), 25), ("b.md", (10, 19), ((25, 28), (33, 36)), 25),
        ("r", (43, 48), (), 43)]  # a wiki link: not a use


def test_many_definitions_of_one_name_share_their_uses() -> None:
    body = "[r]: x.md\n" * 3_000 + "[r] " * 30_000  # one tuple of uses, not one per definition
    links, _, _ = scan_body(body)
    assert len(links) == 3_000 and len(links[0].uses) == 30_000
    assert all(link.uses is links[0].uses for link in links)


def test_the_context_of_a_link_in_a_very_long_paragraph_is_a_window_around_it() -> None:
    from zettel.core.model import paragraph_at

    body = "".join(f"w{i:05d} " for i in range(20_000)) + "[[x]]" + "".join(
        f" v{i:05d}" for i in range(20_000))  # one paragraph of 280,000 characters
    at = body.index("[[x]]")
    context = paragraph_at(body, at)
    # the 480 characters centred on the link (CONTEXT_CHARS), marked as cut at both ends
    assert context == "…" + body[at - 240 : at + 240] + "…"
    assert context.startswith("…5 w19966 ") and context.endswith(" v00032 v00…")
    # a blank line nearby bounds it as before
    near = "intro\n\n" + body[at - 100 : at + 100] + "\n\nnext"
    assert paragraph_at(near, near.index("[[x]]")) == body[at - 100 : at + 100].strip()
