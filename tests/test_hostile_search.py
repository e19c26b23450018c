"""A search index someone else wrote: it never runs code, never makes zettel
write, delete or read outside the vault, never hangs it; a file name that is
not UTF-8 is searched like any other."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MakeVault
from whoosh import columns, fields, formats, index, writing
from whoosh.codec import whoosh3
from whoosh.filedb import structfile
from whoosh.system import pack_int

from zettel.cli.main import main
from zettel.search import state as index_state
from zettel.search.files import index_load, index_loads
from zettel.search.keeper import SearchIndex
from zettel.search.whoosh import engine as search_whoosh
from zettel.search.whoosh import schema as search_schema

NOTES = {
    "apple.md": "---\ntitle: Apple\nid: \"20240101000001\"\ntags: [fruit]\n---\n"
                "Apple pie and banana bread.\n",
    "banana.md": "---\ntitle: Banana\n---\nBanana bread, with an apple.\n",
    "cherry.md": "Cherry tart, no bread.\n",
    "sub/date.md": "Dates, banana bread and apple.\n",
}


class _Runs:
    """A pickle that, loaded by a plain unpickler, runs a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
        return (os.system, (f"touch {shlex.quote(str(self.marker))}",))


def planted_pickle(marker: Path) -> bytes:
    return pickle.dumps(_Runs(marker))


def test_the_planted_pickle_runs_code_when_loaded_plainly(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    pickle.loads(planted_pickle(marker))  # what Whoosh did with its index files
    assert marker.exists()


@contextlib.contextmanager
def planting(site: str, evil: bytes) -> Iterator[None]:
    """While active, Whoosh writes ``evil`` just before the pickle it writes at
    ``site`` (and zettel, reading its own writes back, skips it): an index as
    an attacker would leave it, the manifest made to match."""
    real_dump, real_postings, real_stored = structfile.dump_pickle, whoosh3.dumps, columns.dumps
    real_schema = index.pickle.dumps  # type: ignore[attr-defined]

    def skip_loads(data: bytes) -> object:
        return index_loads(data[len(evil):] if data.startswith(evil) else data)

    def skip_load(stream: object) -> object:
        at = stream.tell()  # type: ignore[attr-defined]
        if stream.read(len(evil)) != evil:  # type: ignore[attr-defined]
            stream.seek(at)  # type: ignore[attr-defined]
        return index_load(stream)  # type: ignore[arg-type]

    kinds = {"table of contents": lambda obj: isinstance(obj, list),
             "terms table": lambda obj: isinstance(obj, dict) and "fieldmap" in obj,
             "compound file": lambda obj: isinstance(obj, dict) and "fieldmap" not in obj}

    def dump(obj: object, stream: object, protocol: int = -1) -> None:
        if kinds[site](obj):
            stream.write(evil)  # type: ignore[attr-defined]
        real_dump(obj, stream, protocol)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(structfile, "load_pickle", skip_load)
        for module in (whoosh3, columns, formats):
            patch.setattr(module, "loads", skip_loads)
        if site in kinds:
            patch.setattr(structfile, "dump_pickle", dump)
        if site == "compound file":  # zettel writes none: Whoosh makes one, as a planted index
            assemble = writing.SegmentWriter._assemble_segment
            patch.setattr(writing.SegmentWriter, "_assemble_segment",
                          lambda self: (setattr(self, "compound", True), assemble(self)))
        elif site == "postings":
            patch.setattr(whoosh3, "dumps", lambda obj, protocol=None: evil + real_postings(obj))
        elif site == "stored fields":
            patch.setattr(columns, "dumps", lambda obj, protocol=-1: evil + real_stored(obj, -1))
        elif site == "schema":
            patch.setattr(index.pickle, "dumps", lambda obj, protocol=None: (  # type: ignore[attr-defined]
                evil if isinstance(obj, fields.Schema) else b"") + real_schema(obj, protocol))
        elif site == "word positions":
            patch.setattr(search_schema, "encode_positions", lambda places: evil)
        yield


SITES = ["schema", "table of contents", "terms table", "compound file", "postings",
         "stored fields", "word positions", "manifest"]
COMMANDS = {
    "search": lambda root: ["search", '"banana bread"', str(root)],
    "index": lambda root: ["index", str(root)],
    "related": lambda root: ["related", "banana.md", "--vault", str(root)],
}
#: (site, command) pairs that read the planted part, or refuse it unread (so
#: rebuild, with a notice): a compound file is refused, whatever it holds.
READ = {(site, c) for site in ("table of contents", "manifest", "compound file")
        for c in COMMANDS} | {
    (site, c) for site in ("terms table", "postings", "stored fields")
    for c in ("search", "related")} | {("word positions", "search")}


def plant(root: Path, site: str, marker: Path) -> None:
    evil = planted_pickle(marker)
    with planting(site, evil):
        SearchIndex(root, procs=1).sync(rebuild=True)
    if site == "manifest":
        folder = index_state.current_folder(index_state.index_root(root))
        assert folder is not None
        (folder / index_state.MANIFEST).write_bytes(evil)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("site", SITES)
def test_a_planted_pickle_never_runs(make_vault: MakeVault, tmp_path: Path, site: str,
                                     command: str) -> None:
    root = make_vault(NOTES)
    marker = tmp_path / "planted-pickle-ran"
    plant(root, site, marker)
    result = CliRunner().invoke(main, COMMANDS[command](root))
    assert not marker.exists()
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    if (site, command) in READ:
        assert "zettel: rebuilt the search index" in result.stderr
        assert any(word in result.stderr for word in ("not allowed", "damaged",
                                                      "a segment zettel does not write"))
    else:
        assert "rebuilt" not in result.stderr
    again = CliRunner().invoke(main, [*COMMANDS["search"](root), "--json"])
    assert again.exit_code == 0
    if (site, command) in READ:  # rebuilt clean the first time
        assert "rebuilt" not in again.stderr
    found = {hit["path"] for hit in json.loads(again.stdout)["hits"]}
    assert found == {"apple.md", "banana.md", "sub/date.md"}
    assert not marker.exists()


def test_a_planted_table_of_contents_in_a_whole_process(make_vault: MakeVault,
                                                        tmp_path: Path) -> None:
    root = make_vault(NOTES)
    marker = tmp_path / "planted-toc-ran"
    plant(root, "table of contents", marker)
    done = subprocess.run([sys.executable, "-m", "zettel.cli.main", "search", "apple", str(root)],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert not marker.exists()
    assert done.returncode == 0, done.stderr
    assert "not allowed in a search index" in done.stderr and "Traceback" not in done.stderr


def test_whoosh_reads_no_pickle_but_through_the_whitelist(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    index_ = SearchIndex(root)
    index_.sync()
    index_.search('"banana bread" OR cherr* OR tag:fruit OR date~')
    index_.related("banana.md")
    plain = {pickle.loads, pickle.load, pickle.Unpickler}
    # The multi-process writer reads back its own temporary files, in its own
    # folder; whoosh.compat only holds what other modules import from it;
    # whoosh.util.loading serves the older formats, which are not read (below).
    own = {"whoosh.multiproc", "whoosh.externalsort", "whoosh.compat", "whoosh.util.loading"}
    for name, module in list(sys.modules.items()):
        if name.startswith("whoosh") and name not in own and module is not None:
            found = [attr for attr, value in vars(module).items()
                     if any(value is p for p in plain)
                     or (attr == "pickle" and value is pickle)]
            assert not found, f"{name} can still unpickle with {found}"


@pytest.mark.parametrize("listed", [
    5, [5], [whoosh3.W3Segment(whoosh3.W3Codec(), "MAIN", segid="../../outside")],
    [whoosh3.W3Segment(whoosh3.W3Codec(blocklimit="x"), "MAIN", doccount=3)]])  # type: ignore[arg-type]
def test_a_table_of_contents_listing_other_things_is_rebuilt(make_vault: MakeVault,
                                                             listed: object) -> None:
    root = make_vault(NOTES)
    with planting("table of contents", pickle.dumps(listed)):
        SearchIndex(root, procs=1).sync(rebuild=True)
    result = CliRunner().invoke(main, ["search", "cherry", str(root)])
    assert result.exit_code == 0, result.output
    assert "rebuilt the search index" in result.stderr and "cherry.md" in result.stdout


def test_a_table_of_contents_in_an_older_format_is_not_read(make_vault: MakeVault,
                                                              tmp_path: Path) -> None:
    root = make_vault(NOTES)
    marker = tmp_path / "planted-old-toc-ran"
    plant(root, "table of contents", marker)
    folder = index_state.current_folder(index_state.index_root(root))
    assert folder is not None
    toc = next(folder.glob("_MAIN_*.toc"))
    current = pack_int(-12345) + pack_int(-111)
    assert current in toc.read_bytes()
    toc.write_bytes(toc.read_bytes().replace(current, pack_int(-12345) + pack_int(-110), 1))
    manifest, _ = index_state.load_manifest(folder)
    assert manifest is not None
    # as an attacker would make it match:
    index_state.save_manifest(folder, manifest, search_whoosh.FILES)
    result = CliRunner().invoke(main, ["search", "cherry", str(root)])
    assert not marker.exists()
    assert result.exit_code == 0 and "rebuilt the search index" in result.stderr


# ------------------------------------------------------------ links, folders, FIFOs


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the vault, holding what a user would not want touched."""
    folder = tmp_path / "outside"
    (folder / "build-release").mkdir(parents=True)
    (folder / "build-release" / "app.bin").write_bytes(b"precious")
    (folder / "build-1-1").mkdir()
    (folder / "build-1-1" / "MAIN_abc.seg").write_bytes(b"also precious")
    (folder / "CURRENT").write_text("build-1-1\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("linked", [".zettel", ".zettel/index"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_linked_state_folder_is_refused(make_vault: MakeVault, outside: Path,
                                          linked: str, command: str) -> None:
    root = make_vault(NOTES)
    before = _tree(outside)
    (root / linked).parent.mkdir(parents=True, exist_ok=True)
    (root / linked).symlink_to(outside, target_is_directory=True)
    result = CliRunner().invoke(main, COMMANDS[command](root))
    assert result.exit_code == 2, result.output
    assert len(result.stderr.splitlines()) == 1 and "symbolic link" in result.stderr
    assert _tree(outside) == before


def _give_away(path: Path) -> None:
    """Make ``path`` another user's (only root can)."""
    try:
        os.chown(path, os.geteuid() + 4242, -1, follow_symlinks=False)
    except (PermissionError, AttributeError):
        pytest.skip("only root can give a folder to another user")


def test_another_users_index_folder_is_refused(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    folder = index_state.index_root(root)
    folder.mkdir(parents=True)
    _give_away(folder)
    result = CliRunner().invoke(main, ["search", "cherry", str(root)])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "another user" in result.stderr and list(folder.iterdir()) == []


def test_another_users_build_folder_is_neither_read_nor_deleted(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    folder = _index_root(root)
    build = index_state.current_folder(folder)
    assert build is not None
    _give_away(build)
    index_ = SearchIndex(root)
    index_.sync()
    assert "rebuilt the search index" in index_.notices[0]
    assert build.exists() and index_state.current_folder(folder) != build


def _index_root(root: Path) -> Path:
    SearchIndex(root).sync()
    return index_state.index_root(root)


def test_a_linked_build_folder_is_not_followed(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    folder = _index_root(root)
    elsewhere = make_vault({"elsewhere.md": "Cherry, elsewhere.\n"})  # another vault's index
    build = index_state.current_folder(_index_root(elsewhere))
    assert build is not None
    before = _tree(build)
    (folder / "build-7-7").symlink_to(build, target_is_directory=True)
    (folder / index_state.CURRENT).write_text("build-7-7\n", encoding="utf-8")
    index_ = SearchIndex(root)
    index_.sync()
    assert "rebuilt the search index" in index_.notices[0]
    assert [h.path for h in index_.search("cherry").hits] == ["cherry.md"]
    assert (folder / "build-7-7").is_symlink()  # not zettel's: left where it is
    assert _tree(build) == before  # neither read for this vault, nor written


def test_folders_zettel_did_not_make_are_left_alone(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    folder = _index_root(root)
    (folder / "build-release").mkdir()
    (folder / "build-release" / "app.bin").write_bytes(b"precious")
    (folder / "build-2-2").mkdir()  # named as zettel names them, holding a file of someone's
    (folder / "build-2-2" / "notes.txt").write_text("mine\n", encoding="utf-8")
    (folder / "build-3-3").mkdir()
    (folder / "build-3-3" / "MAIN_abc.seg").write_bytes(b"a build zettel left")
    SearchIndex(root).sync(rebuild=True)
    assert (folder / "build-release" / "app.bin").read_bytes() == b"precious"
    assert (folder / "build-2-2" / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert not (folder / "build-3-3").exists()


@pytest.mark.parametrize("name", [".gitignore", index_state.CURRENT, "LOCK"])
def test_links_planted_in_the_index_folder_are_not_followed(make_vault: MakeVault,
                                                            tmp_path: Path, name: str) -> None:
    root = make_vault(NOTES)
    folder = index_state.index_root(root)
    folder.mkdir(parents=True)
    target = tmp_path / "target-file"
    (folder / name).symlink_to(target)
    result = CliRunner().invoke(main, ["search", "cherry", str(root)])
    assert not target.exists()  # neither written nor made
    if name == "LOCK":
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    else:
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("where", ["pointer", "manifest", "segment", "lock"])
def test_a_fifo_in_the_index_does_not_hang(make_vault: MakeVault, where: str) -> None:
    root = make_vault(NOTES)
    folder = _index_root(root)
    build = index_state.current_folder(folder)
    assert build is not None
    path = {"pointer": folder / index_state.CURRENT, "manifest": build / index_state.MANIFEST,
            "segment": next(build.glob("MAIN_*.pst")), "lock": folder / "LOCK"}[where]
    path.unlink()
    os.mkfifo(path)
    result = CliRunner().invoke(main, ["search", "cherry", str(root)])
    if where == "lock":
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    else:
        assert result.exit_code == 0, result.output
        assert "rebuilt the search index" in result.stderr
        assert "cherry.md" in result.stdout


# ------------------------------------------------------------ file names


def test_a_file_name_that_is_not_utf8(make_vault: MakeVault) -> None:
    root = make_vault(NOTES)
    name = os.fsencode(root) + b"/caf\xe9 cr\xe8me.md"
    with open(name, "wb") as stream:
        stream.write(b"Creme brulee with banana bread.\n")
    runner = CliRunner()
    for args in (["index", str(root)], ["search", "brulee", str(root)],
                 ["search", "brulee", str(root), "--json"],
                 ["related", "banana.md", "--vault", str(root)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
    found = SearchIndex(root)
    found.sync()
    hits = found.search("brulee").hits
    assert [os.fsencode(h.path) for h in hits] == [b"caf\xe9 cr\xe8me.md"]
    assert found.search("path:caf*").total == 1
    assert any(os.fsencode(h.path) == b"caf\xe9 cr\xe8me.md" for h in found.related("banana.md"))


def test_front_matter_keys_that_name_files_badly(make_vault: MakeVault) -> None:
    """Whoosh names a file after each field: a key too long for a file name is
    searched as any other text, and a key in another script gets a field whose
    files are deleted with their build."""
    long_key = "k" * 300
    root = make_vault({**NOTES, "long.md": f"---\ntitle: Long\n{long_key}: quince\n---\nA.\n",
                       "greek.md": "---\ntitle: Greek\nΩμέγα日本: quince\n---\nB.\n"})
    runner = CliRunner()
    result = runner.invoke(main, ["search", "quince", str(root), "--json"])
    assert result.exit_code == 0, result.output
    assert {hit["path"] for hit in json.loads(result.stdout)["hits"]} == {"long.md", "greek.md"}
    for query, expected in (("meta:quince", "long.md greek.md"), ("Ωμέγα日本:quince", "greek.md")):
        found = runner.invoke(main, ["search", query, str(root), "--json"])
        assert found.exit_code == 0, found.output
        assert sorted(h["path"] for h in json.loads(found.stdout)["hits"]) == sorted(
            expected.split())
    assert runner.invoke(main, ["index", "--rebuild", str(root)]).exit_code == 0
    assert len(list(_index_root(root).glob("build-*"))) == 1  # the old build was deleted
