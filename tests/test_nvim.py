"""A real editor: headless Neovim (its built-in LSP client) opens a note of a copy
of notes/ with ``zettel lsp``, types the start of a link and gets a completion,
asks for the definition of a link, and sees a broken link's diagnostic.

Skipped when ``nvim`` is not installed (Debian: ``apt-get install neovim``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed (Debian: "
                                "apt-get install neovim); the Neovim test needs it")

#: Neovim 0.7 (Debian 12) and later: vim.lsp.start_client, buf_attach_client and
#: buf_request_sync. Waits are bounded by vim.wait (no test measures speed).
SCRIPT = r"""
local out = {}
local function finish()
  vim.fn.writefile({vim.fn.json_encode(out)}, vim.env.ZETTEL_TEST_OUT)
  vim.cmd('qa!')
end
local ok, err = pcall(function()
  local id = vim.lsp.start_client({
    name = 'zettel', cmd = {vim.env.ZETTEL_TEST_PYTHON, '-m', 'zettel.cli.main', 'lsp'},
    root_dir = vim.env.ZETTEL_TEST_VAULT,
  })
  vim.lsp.buf_attach_client(0, id)
  out.initialized = vim.wait(60000, function()
    local c = vim.lsp.get_client_by_id(id)
    return c ~= nil and c.initialized == true
  end, 50)
  local uri = vim.uri_from_bufnr(0)
  -- Where the link to Memex is, in the note as opened.
  local found = vim.fn.searchpos('\\[\\[20240109090000\\]\\]', 'nw')
  local def = vim.lsp.buf_request_sync(0, 'textDocument/definition', {
    textDocument = {uri = uri}, position = {line = found[1] - 1, character = found[2] + 2},
  }, 60000)
  out.definition = {}
  for _, answer in pairs(def or {}) do
    for _, loc in ipairs(answer.result or {}) do table.insert(out.definition, loc.uri) end
  end
  -- Type the start of a link on a new last line (Neovim sends the change).
  local last = vim.api.nvim_buf_line_count(0)
  vim.api.nvim_buf_set_lines(0, last, last, false, {'See [[luhman', 'And [[Nowhere at all]].'})
  local comp = vim.lsp.buf_request_sync(0, 'textDocument/completion', {
    textDocument = {uri = uri}, position = {line = last, character = 12},
  }, 60000)
  out.completion = {}
  for _, answer in pairs(comp or {}) do
    for _, item in ipairs((answer.result or {}).items or {}) do
      table.insert(out.completion, {label = item.label, text = item.textEdit.newText})
    end
  end
  vim.wait(60000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(out.diagnostics, {line = d.lnum, code = d.code, message = d.message})
  end
end)
out.error = not ok and tostring(err) or nil
finish()
"""


def test_neovim_gets_a_completion_a_definition_and_a_diagnostic(
        sample_vault: Path, tmp_path: Path) -> None:
    assert NVIM is not None
    script = tmp_path / "zettel-test.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "out.json"
    note = sample_vault / "20240105093000.md"  # Zettelkasten, which links to Memex
    env = {**os.environ, "ZETTEL_TEST_OUT": str(out), "ZETTEL_TEST_VAULT": str(sample_vault),
           "ZETTEL_TEST_PYTHON": sys.executable, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    done = subprocess.run([NVIM, "--headless", "--clean", "-n", str(note), "-c",
                           f"luafile {script}"], env=env, capture_output=True, text=True,
                          timeout=600, cwd=sample_vault)
    assert out.is_file(), f"Neovim wrote nothing: {done.stdout} {done.stderr}"
    found = json.loads(out.read_text(encoding="utf-8"))
    assert found.get("error") is None, found["error"]
    assert found["initialized"]
    assert found["definition"] == [(sample_vault / "20240109090000.md").as_uri()]
    assert found["completion"][0] == {"label": "Niklas Luhmann", "text": "[[20240105101500]]"}
    last = len(note.read_text(encoding="utf-8").splitlines())
    assert [(d["line"], d["code"]) for d in found["diagnostics"]] == [(last + 1, "broken-link")]
    assert found["diagnostics"][0]["message"].startswith("link to 'Nowhere at all' matches no")
