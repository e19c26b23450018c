"""Which vault ``zettel lsp`` serves a file from: ``--vault``, the nearest folder
holding ``.zettel/``, the workspace folder (a real client over stdio)."""

from __future__ import annotations

import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import MakeVault
from lsp_client import doc, open_note, position, start
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from zettel.cli.main import main

NOTES = {"a.md": "---\ntitle: A\n---\nSee [[b]].\n", "b.md": "---\ntitle: B\n---\n[[a]]\n"}


async def served(client: LanguageClient, note: Path) -> bool:
    """Whether ``note`` gets the vault's features (a hover on its link to b)."""
    document = await open_note(client, note)
    text = note.read_text(encoding="utf-8")
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(document), position=position(text, "[[b]]", 2)))
    return found is not None


async def session(command: list[str], folder: Path | None) -> LanguageClient:
    client = await ClientServerConfig(server_command=command).start()
    assert isinstance(client, LanguageClient)
    await start(client, folder)
    return client


async def test_vault_option_serves_that_vault_only(make_vault: MakeVault) -> None:
    inside, outside = make_vault(NOTES), make_vault(NOTES)
    client = await session([sys.executable, "-m", "zettel.cli.main", "lsp", "--vault",
                            str(inside)], outside)
    try:
        assert await served(client, inside / "a.md")
        assert not await served(client, outside / "a.md")
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_the_nearest_zettel_folder_is_the_vault(make_vault: MakeVault,
                                                      tmp_path: Path) -> None:
    vault = make_vault({**NOTES, ".zettel/config.yaml": "extensions: [md]\n"})
    (vault / "sub").mkdir()
    (vault / "sub" / "c.md").write_text("---\ntitle: C\n---\nSee [[b]].\n", encoding="utf-8")
    loose = make_vault(NOTES)  # no .zettel, no workspace folder: no vault
    client = await session([sys.executable, "-m", "zettel.cli.main", "lsp"], None)
    try:
        assert await served(client, vault / "sub" / "c.md")  # b.md is in the vault above
        assert not await served(client, loose / "a.md")
    finally:
        await client.shutdown_session()
        await client.stop()


def test_a_vault_option_that_is_no_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["lsp", "--vault", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
