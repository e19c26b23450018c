"""Full-text search: the query language, text analysis, snippets and `related`."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault
from hypothesis import given, settings
from hypothesis import strategies as st

from zettel.cli.main import main
from zettel.core.textfold import field_key, fold, stem, term, term_positions
from zettel.search import state as index_state
from zettel.search.keeper import QueryError, SearchIndex
from zettel.search.whoosh.schema import NoteTokenizer

VAULT = {
    "donnees.md": "---\ntitle: Données ouvertes\nid: \"20230101000001\"\ntypes: [concept]\n"
                  "tags: [données, projet/données]\nkezako: la statistique publique\n---\n"
                  "Les données ouvertes de l'INSEE.\n\nUne seconde ligne sur les réseaux.\n",
    "english.md": "---\ntitle: Open data\nid: \"20230101000002\"\ntypes: [reference]\n"
                  "tags: [projet/donnees-brutes]\n---\nOpen data portals publish donnees too.\n"
                  "The quick brown fox jumps over the lazy dog.\n",
    "graph.md": "---\ntitle: Graph theory\nid: \"20230101000003\"\naliases: [Réseau]\n"
                "tags: [math]\n---\nA graph has nodes and edges. A network is a graph.\n"
                "Brown foxes are not graphs; lazy dogs neither.\n",
    "notes/study.md": "---\ntitle: Studies\nid: \"20230101000004\"\ntypes: [reference]\n---\n"
                      "Case studies of a study group, by Mr. Luhmann.\n",
    "plain.md": "No front matter: about Zettelkasten and Luhman's slip box.\n",
}


@pytest.fixture
def index(make_vault: MakeVault) -> SearchIndex:
    searcher = SearchIndex(make_vault(VAULT))
    searcher.sync()
    return searcher


def paths(index: SearchIndex, query: str) -> list[str]:
    return sorted(hit.path for hit in index.search(query, limit=None).hits)


@pytest.mark.parametrize(("query", "expected"), [
    ("donnees", ["donnees.md", "english.md"]),         # accent-insensitive, one way...
    ("DONNÉES", ["donnees.md", "english.md"]),         # ...and the other, any case
    ("réseau", ["donnees.md", "graph.md"]),            # réseaux (plural), Réseau (alias)
    ("study", ["notes/study.md"]),                     # studies / study
    ("graph network", ["graph.md"]),                   # all words must match
    ('"brown fox"', ["english.md"]),                   # a phrase: adjacent words only
    ('"lazy dog"', ["english.md", "graph.md"]),        # a phrase, with plurals folded
    ("lazy brown", ["english.md", "graph.md"]),        # words anywhere
    ("fox OR edges", ["english.md", "graph.md"]),
    ("brown NOT graph", ["english.md"]),
    ("brown -graph", ["english.md"]),
    ("zettel*", ["plain.md"]),                         # prefix
    ("stat*", ["donnees.md"]),                         # prefix, in a front-matter field
    ("luhman~", ["notes/study.md", "plain.md"]),       # fuzzy: luhmann, luhman
    ("(fox OR network) lazy", ["english.md", "graph.md"]),
    ("lazy fox OR network", ["english.md", "graph.md"]),  # OR binds tighter than AND
    ("lazy AND fox OR network", ["english.md", "graph.md"]),
    ("NOT graph brown", ["english.md"]),
    ("brown AND NOT graph", ["english.md"]),
    ("-(graph OR network) brown", ["english.md"]),
    ("title:(open OR graph)", ["english.md", "graph.md"]),
    ('title:"graph theory"', ["graph.md"]),
    ("*", ["donnees.md", "english.md", "graph.md", "notes/study.md", "plain.md"]),
    ("id:*", ["donnees.md", "english.md", "graph.md", "notes/study.md"]),
    ("10:30 OR fox", ["english.md"]),                  # a word, not a field
    ("title:open", ["english.md"]),
    ("title:données", ["donnees.md"]),
    ("type:reference", ["english.md", "notes/study.md"]),
    ("types:concept", ["donnees.md"]),
    ("id:20230101000003", ["graph.md"]),
    ("id:2023010100000*", ["donnees.md", "english.md", "graph.md", "notes/study.md"]),
    ("path:notes/*", ["notes/study.md"]),
    ("kezako:statistique", ["donnees.md"]),
    ("Kézako:publique", ["donnees.md"]),
    ("alias:reseau", ["graph.md"]),
])
def test_query_forms(index: SearchIndex, query: str, expected: list[str]) -> None:
    assert paths(index, query) == expected


def test_tags_match_whole(index: SearchIndex) -> None:
    assert paths(index, "tag:données") == ["donnees.md"]
    assert paths(index, "tag:donnees") == ["donnees.md"]
    assert paths(index, "tag:projet") == []                 # not inside projet/données
    assert paths(index, "tag:projet/données") == ["donnees.md"]
    assert paths(index, "tag:projet/*") == ["donnees.md", "english.md"]
    assert paths(index, "tags:math") == ["graph.md"]


def test_title_ranks_first(index: SearchIndex) -> None:
    hits = index.search("graph").hits
    assert hits[0].path == "graph.md"
    assert hits[0].score > hits[-1].score or len(hits) == 1


@pytest.mark.parametrize(("query", "message"), [
    ("", "empty"),
    ('"open data', "phrase is not closed"),
    ("(open data", "'(' is not closed"),
    ("open) data", "')' closes no '('"),
    ("colour:blue", "no note has a field 'colour'"),
    ("-", "no word"),
    ("tag:", "'tag:' needs a word"),
    ("title:", "'title:' needs a word"),
    ("title: graph", "'title:' needs a word"),
    ("title:#", "'title:#' has no word"),
    ("graph OR", "'OR' needs something"),
    ("OR graph", "'OR' needs something"),
    ("graph AND", "'AND' needs something"),
    ("graph AND OR fox", "'AND' needs something"),
    ("NOT", "'NOT' needs something after it"),
    ("graph ()", "is empty"),
    ("(" * 40 + "graph" + ")" * 40, "nested too deeply"),
    ("NOT " * 40 + "graph", "nested too deeply"),
    ("graph " * 1001, "more than 1000 words"),
    ("graph~3", "at most 2 edits"),
])
def test_malformed_queries_say_why(index: SearchIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=re.escape(message)):
        index.search(query)


OPERATORS = st.sampled_from(
    ["graph", "fox", "données", '"', "(", ")", "*", "?", "~", "~2", "~9", "^2", "-", "+", "NOT",
     "AND", "OR", "ANDNOT", "ANDMAYBE", "REQUIRE", ":", "tag:", "title:", "id:", "path:",
     "kezako:", "colour:", "[", "]", "{", "}", "TO", "\\", "/", "0", "1.5", "#", "'", "\x00",
     "\t", "\n", "*:*", '"brown fox"', "gra*", "*ph", "g?aph", "tag:données", "é", "\u202e"])
SOUP = st.lists(st.tuples(OPERATORS, st.sampled_from(["", " "])), max_size=12).map(
    lambda parts: "".join(a + b for a, b in parts))


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    root = tmp_path_factory.mktemp("fuzz")
    for rel, text in VAULT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    searcher = SearchIndex(root)
    searcher.sync()
    return searcher


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), SOUP))
def test_every_query_runs_or_is_refused(shared_index: SearchIndex, query: str) -> None:
    try:
        found = shared_index.search(query, limit=5)
    except QueryError as err:
        assert str(err) and "\n" not in str(err).strip("\n")
    else:
        assert found.total is not None and len(found.hits) <= 5


@pytest.mark.parametrize("query", ["tag: id: id: NOT NOT = ", "? REQUIRE ANDNOT :~2 ? + ",
                                   "# ? REQUIRE * \n~ ", "[ (-) ANDNOT ", "id: (\x00? ANDNOT ^2 )",
                                   "(" * 400 + "a" + ")" * 400])
def test_queries_that_crashed_whoosh_from_the_command_line(make_vault: MakeVault,
                                                          query: str) -> None:
    result = CliRunner().invoke(main, ["search", query, str(make_vault(VAULT))])
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 2:
        assert len(result.stderr.splitlines()) == 1


def test_deleted_and_edited_notes_never_come_back(make_vault: MakeVault) -> None:
    files = {f"n{i}.md": f"Note {i} about an apple.\n" for i in range(6)}
    root = make_vault({**files, "pear.md": "A pear, only.\n"})
    index = SearchIndex(root)
    index.sync()
    (root / "pear.md").unlink()
    (root / "n5.md").unlink()
    (root / "n0.md").write_text("Now about a pear.\n", encoding="utf-8")
    index.sync()
    now = ["n0.md", "n1.md", "n2.md", "n3.md", "n4.md"]
    assert paths(index, "NOT apple") == ["n0.md"]
    assert paths(index, "-apple") == ["n0.md"]
    assert paths(index, "NOT zzz") == now
    assert paths(index, "NOT (apple OR pear)") == []
    assert paths(index, "pear OR NOT apple") == ["n0.md"]
    assert paths(index, "NOT NOT apple") == now[1:]
    assert paths(index, "apple") == now[1:]
    assert paths(index, "*") == now
    for query in ("NOT apple", "NOT zzz", "pear", "apple OR pear", "* -apple", "note~"):
        for hit in index.search(query, limit=None).hits:
            text = (root / hit.path).read_text(encoding="utf-8")
            assert hit.snippet.text in " ".join(text.split())


def _ranking_vault(count: int) -> dict[str, str]:
    """``count`` short notes drawn from a small vocabulary (many words start
    alike, so a prefix stands for many words), the same on every call."""
    draw = random.Random(9)
    syllables = ["a", "al", "an", "ar", "ba", "bo", "ca", "co", "da", "de", "ma", "mo", "ra",
                 "ri", "sa", "so", "ta", "to"]
    vocabulary = sorted({"".join(draw.choices(syllables, k=draw.randint(2, 4)))
                         for _ in range(900)})
    notes = {}
    for i in range(count):
        title = " ".join(draw.choices(vocabulary, k=draw.randint(1, 3)))
        body = " ".join(draw.choices(vocabulary, k=draw.randint(5, 40)))
        tags = ", ".join(draw.choices(["ara", "bobo", "cada"], k=draw.randint(0, 2)))
        notes[f"{draw.choice(['', 'sub/', 'sub/deep/'])}{i:05d}.md"] = (
            f"---\ntitle: {title}\ntags: [{tags}]\n---\n{body}\n")
    return notes


RANKED = ["a*", "title:a*", "title:ar* OR title:bo*", "ar*", "*ta", "bo~", "tag:bobo",
          "tag:ara ra*", "-tag:ara sa*", "NOT tag:bobo"]


def _rankings(index: SearchIndex) -> dict[str, list[tuple[str, float]]]:
    out = {}
    for query in RANKED:
        found = index.search(query, limit=None, snippets=False).hits
        out[query] = [(h.path, h.score) for h in found]
        top = index.search(query, limit=10, snippets=False, count=False).hits
        out[f"{query} (top 10)"] = [(h.path, h.score) for h in top]
    for path in ("00003.md", "sub/00000.md", "sub/deep/00001.md"):
        out[f"related {path}"] = [(h.path, h.score) for h in index.related(path)]
    return out


def _segments(root: Path) -> int:
    build = index_state.current_folder(index_state.index_root(root))
    assert build is not None
    return len({path.name.split(".")[0] for path in build.glob("MAIN_*.*")})  # MAIN_<segment>.*


def test_ranking_does_not_depend_on_how_the_index_was_built(make_vault: MakeVault) -> None:
    notes = _ranking_vault(2100)
    one = make_vault(notes)
    built = SearchIndex(one, procs=1)
    built.sync()
    assert _segments(one) == 1
    expected = _rankings(built)
    # The same notes, indexed in three steps (one segment each, not merged) ...
    steps = make_vault({})
    names = sorted(notes)
    for part in (names[:700], names[700:1400], names[1400:]):
        for name in part:
            (steps / name).parent.mkdir(parents=True, exist_ok=True)
            (steps / name).write_text(notes[name], encoding="utf-8")
        SearchIndex(steps, procs=1).sync()
    # ... then 300 of them edited and edited back (deleted notes in every segment).
    edited = names[::7]
    for name in edited:
        (steps / name).write_text(notes[name] + "an edit\n", encoding="utf-8")
    SearchIndex(steps).sync()
    for name in edited:
        (steps / name).write_text(notes[name], encoding="utf-8")
    index = SearchIndex(steps)
    assert index.sync().changes.changed == edited
    assert _segments(steps) > 1
    assert _rankings(index) == expected
    for query, ranked in expected.items():
        assert len(ranked) >= 10, query
        # Best first; equal scores by path (docs/search.md).
        assert ranked == sorted(ranked, key=lambda hit: (-hit[1], hit[0])), query


def test_snippet_marks_the_matched_words(index: SearchIndex) -> None:
    hit = index.search("réseaux").hits[0]
    assert hit.path == "donnees.md"
    marked = [hit.snippet.text[a:b] for a, b in hit.snippet.marks]
    assert marked == ["réseaux"]
    assert hit.snippet.line == 10  # the file's line, front matter included
    plain = index.search("slip").hits[0]
    assert plain.snippet.line == 1 and "slip" in plain.snippet.text


def test_a_title_only_match_shows_the_start_of_the_note(index: SearchIndex) -> None:
    hit = index.search("title:studies").hits[0]
    assert hit.snippet.text.startswith("Case studies") or hit.snippet.marks


def test_limit_and_total(index: SearchIndex) -> None:
    found = index.search("id:2023*", limit=2)
    assert len(found.hits) == 2 and found.total == 4


def _counted_note(i: int) -> str:
    """Note ``i`` of `test_the_total_counts_every_matching_note`: which words it
    holds follows from ``i`` alone."""
    words = ["alpha" if i % 2 == 0 else "omega", "beta" if i % 3 == 0 else "psi",
             "gamma delta" if i % 5 == 0 else "delta gamma", f"lambda{i % 7}"]
    tags = "[rare]" if i % 11 == 0 else "[common]"
    return f"---\ntitle: Note {i}\nid: \"{20230000000000 + i}\"\ntags: {tags}\n---\n" \
           + " ".join(words) + " filler" * (i % 13) + "\n"


#: Query -> which of the notes 0..N-1 match it (worked out from `_counted_note`).
COUNTED = {
    "alpha": lambda i: i % 2 == 0,
    "alpha beta": lambda i: i % 6 == 0,
    "alpha OR beta": lambda i: i % 2 == 0 or i % 3 == 0,
    "alpha -beta": lambda i: i % 2 == 0 and i % 3 != 0,
    "NOT alpha": lambda i: i % 2 != 0,
    '"gamma delta"': lambda i: i % 5 == 0,
    '"gamma delta" alpha': lambda i: i % 10 == 0,
    "lambda3*": lambda i: i % 7 == 3,
    "lambdx3~": lambda i: i % 7 == 3,
    "tag:rare": lambda i: i % 11 == 0,
    "tag:rare OR beta": lambda i: i % 11 == 0 or i % 3 == 0,
    "id:2023000000001*": lambda i: 10 <= i < 20,
    "*": lambda i: True,
}


def test_the_total_counts_every_matching_note(make_vault: MakeVault) -> None:
    """The total is the number of notes that match, however few are shown (enough
    notes that the search skips those that cannot reach the top), also after
    notes were deleted and changed (an index with deleted documents)."""
    count = 600
    root = make_vault({f"n{i:03}.md": _counted_note(i) for i in range(count)})
    searcher = SearchIndex(root)
    searcher.sync()
    holds = {i: i for i in range(count)}  # file n{i} holds note holds[i]
    for round_ in range(2):
        for query, matches in COUNTED.items():
            expected = sum(1 for note in holds.values() if matches(note))
            found = searcher.search(query, limit=1)
            assert found.total == expected, (round_, query)
            assert len(searcher.search(query, limit=None).hits) == expected, (round_, query)
        if round_:
            break
        for i in range(0, count, 4):  # delete a quarter, and make others copies of i + 1
            (root / f"n{i:03}.md").unlink()
            del holds[i]
        for i in range(1, count, 8):
            (root / f"n{i:03}.md").write_text(_counted_note(i + 1), encoding="utf-8")
            holds[i] = i + 1
        assert searcher.sync().changes.deleted
    searcher.close()


def test_cli_search(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    runner = CliRunner()
    result = runner.invoke(main, ["search", "donnees", str(root), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == 2 and {h["path"] for h in data["hits"]} == {"donnees.md",
                                                                         "english.md"}
    first = data["hits"][0]
    assert set(first) == {"path", "id", "title", "score", "line", "snippet", "marks"}
    assert all(fold(first["snippet"][a:b]).startswith("donnee") for a, b in first["marks"])
    none = runner.invoke(main, ["search", "absentword", str(root)])
    assert none.exit_code == 1 and "0 notes match" in none.stderr
    bad = runner.invoke(main, ["search", '"open', str(root)])
    assert bad.exit_code == 2 and "phrase is not closed" in bad.stderr and not bad.stdout
    text = runner.invoke(main, ["search", "fox OR network", str(root), "-n", "1"])
    assert text.exit_code == 0
    assert re.match(r"\S+\.md:\d+  ", text.stdout) and "(showing 1)" in text.stderr


def test_cli_index_reports_what_it_did(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    runner = CliRunner()
    first = runner.invoke(main, ["index", str(root), "--json"])
    assert first.exit_code == 0 and json.loads(first.stdout)["rebuilt"] is True
    (root / "new.md").write_text("# New\nfresh words\n", encoding="utf-8")
    second = json.loads(runner.invoke(main, ["index", str(root), "--json"]).stdout)
    assert second["added"] == ["new.md"] and second["rebuilt"] is False
    again = runner.invoke(main, ["index", str(root)])
    assert "up to date" in again.stderr or "touched" not in again.stderr


def test_related_finds_linked_neighbours(sample_vault: Path) -> None:
    index = SearchIndex(sample_vault)
    index.sync()
    top = [hit.path for hit in index.related("20240105093000.md", limit=5)]
    assert "20240105093000.md" not in top
    # Permanent notes and Atomic note both link the Zettelkasten note, and it links them.
    assert {"20240106095500.md", "20240105110200.md"} <= set(top)


def test_cli_related(sample_vault: Path) -> None:
    result = CliRunner().invoke(main, ["related", "Zettelkasten", "--vault", str(sample_vault),
                                       "--json", "-n", "5"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["related"]
    assert len(rows) == 5 and any(row["linked"] == "both" for row in rows)
    missing = CliRunner().invoke(main, ["related", "No such note", "--vault", str(sample_vault)])
    assert missing.exit_code == 2


def test_seed_notes_are_searchable(seeds_vault: Path) -> None:
    index = SearchIndex(seeds_vault)
    assert index.sync().notes == 5
    assert [h.path for h in index.search("insee").hits][0] == "000_247ff810d1c38f2b.md"
    assert paths(index, "tag:collecte") == ["000_247ff810d1c38f2b.md"]
    assert paths(index, '"unités administratives"') == ["004_61650e7cf30579e7.md"]
    assert paths(index, "kezako:institut") == ["000_247ff810d1c38f2b.md"]
    assert "000_247ff810d1c38f2b.md" in paths(index, "link:insee")  # inside its URL
    assert index.search("geospatiales").total >= 1


# ------------------------------------------------------------ text analysis


@pytest.mark.parametrize(("word", "expected"), [
    ("Données", "donnee"), ("donnees", "donnee"), ("réseaux", "reseau"),
    ("journaux", "journal"), ("studies", "study"), ("notes", "note"), ("class", "class"),
    ("corpus", "corpus"), ("analysis", "analysis"), ("Œuvres", "oeuvre"), ("bus", "bus"),
    ("2023s", "2023s"), ("ÉLÈVE", "eleve"), ("Straße", "strasse"),
])
def test_terms(word: str, expected: str) -> None:
    assert term(word) == expected


def test_fold_handles_decomposed_accents() -> None:
    assert fold("Ele\u0300ve") == fold("Élève") == "eleve"
    assert term_positions("e\u0301te\u0301 été") == {"ete": [0, 1]}


def test_stem_leaves_short_words() -> None:
    assert stem("les") == "les" and stem("bus") == "bus"


def test_field_key() -> None:
    assert field_key("Kézako") == "kezako" and field_key("date de création") == "date_de_creation"


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_fast_indexing_path_agrees_with_the_tokenizer(text: str) -> None:
    slow: dict[str, list[int]] = {}
    for token in NoteTokenizer()(text, positions=True):
        slow.setdefault(token.text, []).append(token.pos)
    assert term_positions(text) == slow


def test_word_offsets_point_into_the_text() -> None:
    text = "L’Institut nationale, e.g. 3.14 et l'été"
    tokens = [(t.text, text[t.startchar:t.endchar])
              for t in NoteTokenizer()(text, chars=True)]
    assert tokens == [("l", "L"), ("institut", "Institut"), ("nationale", "nationale"),
                      ("e", "e"), ("g", "g"), ("3.14", "3.14"), ("et", "et"), ("l", "l"),
                      ("ete", "été")]



@pytest.mark.parametrize("phrase", ['"slip box"', '"permanent notes"', '"the slip box"',
                                    '"notes and links"', '"box slip"', '"one idea"'])
def test_fast_phrases_agree_with_whoosh(sample_vault: Path, phrase: str) -> None:
    from whoosh import query as wq

    from zettel.search.whoosh.query import parse_query
    from zettel.search.whoosh.rank import VaultBM25F
    from zettel.search.whoosh.schema import Storage

    SearchIndex(sample_vault).sync()
    folder = index_state.current_folder(index_state.index_root(sample_vault))
    assert folder is not None
    manifest, _ = index_state.load_manifest(folder)
    assert manifest is not None
    opened = Storage(str(folder)).open_index()
    searcher = opened.searcher(weighting=VaultBM25F(manifest.engine["lengths"]))
    fast = parse_query(phrase, opened.schema, set(searcher.reader().indexed_field_names()))
    plain = fast.accept(lambda q: wq.Phrase(q.fieldname, q.words, slop=q.slop, boost=q.boost)
                        if isinstance(q, wq.Phrase) else q)

    def kinds(query: wq.Query) -> set[str]:
        return {type(query).__module__}.union(*(kinds(c) for c in query.children()))

    assert "zettel.search.whoosh.query" in kinds(fast) and "zettel.search.whoosh.query" not in kinds(plain)
    ranked = [(hit["path"], round(hit.score, 6)) for hit in searcher.search(fast, limit=None)]
    expected = [(hit["path"], round(hit.score, 6)) for hit in searcher.search(plain, limit=None)]
    searcher.close()
    assert ranked == expected
    assert ranked or phrase in ('"box slip"', '"notes and links"')


def test_cli_search_when_the_index_cannot_be_written(make_vault: MakeVault) -> None:
    root = make_vault(VAULT)
    (root / ".zettel").mkdir()
    (root / ".zettel" / "index").write_text("a file where the index folder goes\n",
                                            encoding="utf-8")
    result = CliRunner().invoke(main, ["search", "donnees", str(root)])
    assert result.exit_code == 2
    assert ".zettel/index' is not a folder" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1


def test_snippet_pieces() -> None:
    from zettel.search.model import Snippet

    snippet = Snippet("a slip box here", ((2, 6), (7, 10)))
    assert snippet.pieces() == [("a ", False), ("slip", True), (" ", False), ("box", True),
                                (" here", False)]
    assert Snippet("plain").pieces() == [("plain", False)]


def test_a_search_process_loads_nothing_whoosh_would_not_use(sample_vault: Path) -> None:
    """Whoosh imports asyncio, urllib.request (http, email, ssl) and its English
    morphology table whether used or not; a ``zettel search`` loads none of them,
    and finds what it finds with them."""
    unused = ["asyncio", "urllib.request", "http.client", "ssl", "whoosh.lang.morph_en",
              "cached_property"]
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: print(sorted(set({unused!r}) & set(sys.modules)), "
            "file=sys.stderr))\n"
            f"sys.argv = ['zettel', 'search', 'slip box', {str(sample_vault)!r}, '--json']\n"
            "from zettel.cli.main import main\nmain()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"
    found = json.loads(result.stdout)
    assert found["total"] == 5 and found["hits"][0]["path"] == "20240105093000.md"  # Zettelkasten


def test_a_query_may_start_with_a_dash(sample_vault: Path) -> None:
    vault = str(sample_vault)
    runner = CliRunner()
    both = runner.invoke(main, ["search", "luhmann", vault, "--json"])
    without = runner.invoke(main, ["search", "-slip luhmann", vault, "--json", "-n", "50"])
    assert without.exit_code in (0, 1), without.output
    left = {hit["path"] for hit in json.loads(without.stdout)["hits"]}
    assert left < {hit["path"] for hit in json.loads(both.stdout)["hits"]}
    for path in left:  # none of them holds the word left out
        assert "slip" not in (sample_vault / path).read_text(encoding="utf-8").lower()
    # "-luhmann" is no option (not even -h, -l…): it is searched
    result = runner.invoke(main, ["search", "-luhmann slip", vault])
    assert result.exit_code in (0, 1) and "Usage:" not in result.output
