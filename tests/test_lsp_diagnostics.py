"""``zettel lsp`` diagnostics of open buffers as typed (unsaved text), through a
real client over stdio (pytest-lsp): the kinds and messages of ``zettel check``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest_lsp
from conftest import MakeVault
from lsp_client import SERVER, change, open_note, position, start
from lsprotocol import types
from pytest_lsp import LanguageClient

COMMONPLACE = "20240114090000.md"  # an orphan of notes/
ERROR, WARNING, HINT = (types.DiagnosticSeverity.Error, types.DiagnosticSeverity.Warning,
                        types.DiagnosticSeverity.Hint)


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    yield
    await lsp_client.shutdown_session()


def shown(client: LanguageClient, document: str) -> list[tuple[object, ...]]:
    return [(d.code, d.severity, d.range.start.line, d.message)
            for d in client.diagnostics.get(document, [])]


async def test_a_broken_link_as_typed(client: LanguageClient, sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240109090000.md"  # Memex: no problem of its own
    text = path.read_text(encoding="utf-8")
    document = await open_note(client, path)
    assert shown(client, document) == []
    typed = text + "\nAnd the [[Zetelkasten]] again.\n"
    await change(client, document, 2, typed)  # not saved: the file is unchanged
    (found,) = client.diagnostics[document]
    assert found.code == "broken-link" and found.severity == ERROR
    assert found.message == ("link to 'Zetelkasten' matches no note (by id, path, file name, "
                             "title or alias); did you mean 'Zettelkasten'?")
    assert found.source == "zettel"
    assert found.range.start == position(typed, "[[Zetelkasten]]")
    assert found.range.end == position(typed, "[[Zetelkasten]]", len("[[Zetelkasten]]"))
    await change(client, document, 3, text)
    assert shown(client, document) == []


async def test_the_same_messages_as_zettel_check(client: LanguageClient,
                                                 make_vault: MakeVault) -> None:
    files = {
        "a.md": "---\nTitle: A\nid: '20240101000000'\n---\nSee [[b]], [[Twin]], [[nowhere]].\n",
        "b.md": "---\ntitle: B\nid: '20240101000000'\n---\nBack to [[a]].\n",
        "t1.md": "---\ntitle: Twin\n---\n[[a]]\n",
        "t2.md": "---\ntitle: Twin\n---\n[[a]]\n",
        "c.md": "---\ntitle: [unclosed\n---\n[[a]]\n",
    }
    vault = make_vault(files)
    await start(client, vault)
    document = await open_note(client, vault / "a.md")
    got = sorted((d.code, d.message) for d in client.diagnostics[document])
    # What `zettel check` says of a.md, by kind and message (orphans aside: a hint here).
    report = subprocess.run([sys.executable, "-m", "zettel.cli.main", "check", "--json",
                             str(vault)], capture_output=True, text=True)
    expected = sorted((p["kind"], p["message"]) for p in json.loads(report.stdout)["problems"]
                      if p["path"] == "a.md")
    assert got == expected
    assert {code for code, _ in got} == {"key-case", "duplicate-id", "broken-link",
                                          "ambiguous-link"}
    other = await open_note(client, vault / "c.md")
    assert {(d.code, d.severity, d.range.start.line) for d in client.diagnostics[other]} == {
        ("yaml-error", ERROR, 1), ("orphan", HINT, 1)}


async def test_did_you_mean_as_zettel_check_says_it(client: LanguageClient,
                                                    sample_vault: Path) -> None:
    """Typos whose suggestion depends on the paragraph (two candidates, one named
    there), an id a typo or two away, a title nearly written: the server, which
    asks check about the link's candidates only, says what check says."""
    typos = ("\nOtlet's [[20240110110001]] and Bush's [[20240109093001]].\n\n"
             "Paul Otlet imagined it, see [[20240109093010]].\n\n"
             "The [[Zettelkasten methd]], [[Hypertxt]], [[Folgezetel|numbering]].\n\n"
             "Nothing like [[Quux frobnicator]].\n")
    path = sample_vault / "20240114090000.md"
    typed = path.read_text(encoding="utf-8") + typos
    path.write_text(typed, encoding="utf-8")  # check reads the file: the same text
    await start(client, sample_vault)
    document = await open_note(client, path)
    got = sorted((d.range.start.line + 1, d.message) for d in client.diagnostics[document]
                 if d.code == "broken-link")
    report = subprocess.run([sys.executable, "-m", "zettel.cli.main", "check", "--json",
                             str(sample_vault)], capture_output=True, text=True)
    expected = sorted((p["line"], p["message"]) for p in json.loads(report.stdout)["problems"]
                      if p["path"] == path.name and p["kind"] == "broken-link")
    assert got == expected
    assert len(got) == 7 and sum("did you mean" in message for _, message in got) >= 5


async def test_did_you_mean_follows_titles_typed_in_other_buffers(
        client: LanguageClient, sample_vault: Path) -> None:
    """Titles changed in open buffers (saved here too, for check to read) are what
    "did you mean" proposes, as check does once they are saved."""
    await start(client, sample_vault)
    renamed = {"20240107143000.md": "Quintessence", "20240109090000.md": "Memex machine"}
    for name, title in renamed.items():
        path = sample_vault / name
        text = path.read_text(encoding="utf-8")
        document = await open_note(client, path)
        old = text.split("title: ", 1)[1].split("\n", 1)[0]
        for end in range(1, len(title) + 1):  # typed a letter at a time
            await change(client, document, end + 1, text.replace(f"title: {old}",
                                                                 f"title: {title[:end]}"))
        path.write_text(text.replace(f"title: {old}", f"title: {title}"), encoding="utf-8")
    source = sample_vault / "20240114090000.md"
    typed = source.read_text(encoding="utf-8") + (
        "\nSee [[Quintesence]], [[Memex machin]], [[Orphan notes]].\n")
    source.write_text(typed, encoding="utf-8")
    document = await open_note(client, source)
    got = sorted((d.range.start.line + 1, d.message) for d in client.diagnostics[document]
                 if d.code == "broken-link")
    report = subprocess.run([sys.executable, "-m", "zettel.cli.main", "check", "--json",
                             str(sample_vault)], capture_output=True, text=True)
    expected = sorted((p["line"], p["message"]) for p in json.loads(report.stdout)["problems"]
                      if p["path"] == source.name and p["kind"] == "broken-link")
    assert got == expected
    guesses = [m.split("; did you mean ")[1] if "did you mean" in m else None for _, m in got]
    assert guesses == ["'Memex machine'?", None, "'Quintessence'?"]  # by message: Memex,
    # Orphan notes (the old title: nothing like it now), Quintesence


async def test_field_problems_sit_on_their_lines(client: LanguageClient,
                                                 sample_vault: Path) -> None:
    await start(client, sample_vault)
    path = sample_vault / "20240107143000.md"  # Orphan notes
    text = path.read_text(encoding="utf-8")
    typed = text.replace('id: "20240107143000"', 'id: "2024"').replace("title:", "Title:")
    document = await open_note(client, path, typed)
    found = {d.code: d for d in client.diagnostics[document]}
    assert found["malformed-id"].message == ("id '2024' has 4 digits, not 14: most ids of this "
                                             "vault are timestamps YYYYMMDDHHMMSS")
    assert found["malformed-id"].severity == WARNING
    assert found["malformed-id"].range.start.line == 2  # the id: line
    assert found["key-case"].message == "field 'Title' is read as 'title'; write it in lower case"
    assert found["key-case"].range.start.line == 1
    duplicated = text.replace('id: "20240107143000"', 'id: "20240105093000"')
    await change(client, document, 2, duplicated)
    (dup,) = [d for d in client.diagnostics[document] if d.code == "duplicate-id"]
    assert dup.message == ("id 20240105093000 is also the id of 20240105093000.md; links to it "
                           "are ambiguous")
    assert dup.severity == ERROR and dup.range.start.line == 2


async def test_an_orphan_is_a_hint_until_an_open_buffer_links_to_it(
        client: LanguageClient, sample_vault: Path) -> None:
    await start(client, sample_vault)
    orphan = await open_note(client, sample_vault / COMMONPLACE)
    assert shown(client, orphan) == [("orphan", HINT, 1, "no other note links to this note")]
    other_path = sample_vault / "20240109090000.md"
    other = await open_note(client, other_path)
    text = other_path.read_text(encoding="utf-8")
    await change(client, other, 2, text + "\nSee [[Commonplace book]].\n")
    await change(client, orphan, 2, (sample_vault / COMMONPLACE).read_text(encoding="utf-8"))
    assert shown(client, orphan) == []  # the other buffer's unsaved link counts
    await change(client, other, 3, text)
    assert shown(client, orphan) == [("orphan", HINT, 1, "no other note links to this note")]


async def test_a_file_outside_the_vault_gets_its_own_problems_only(
        client: LanguageClient, sample_vault: Path, tmp_path: Path) -> None:
    await start(client, sample_vault)
    loose = tmp_path / "loose.md"
    loose.write_text("---\nTitle: x\n---\n[[nowhere]]\n", encoding="utf-8")
    document = await open_note(client, loose)
    assert [(d.code, d.range.start.line) for d in client.diagnostics[document]] == [
        ("key-case", 1)]
