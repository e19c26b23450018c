"""The language server of ``zettel lsp`` (pygls): the vault in any editor.

`server` wires the features to pygls; `workspace` holds the vaults served and
the open buffers, `state` one vault (notes, resolver, links by name);
`positions` turns LSP positions into offsets; a module per feature:
`completion` (with `matcher`), `hover`, `navigation` (definition, references,
document links), `symbols`, `diagnostics`, `actions`, `rename`; `watch`
follows files changed on disk. See docs/editors.md.

May import: pygls and lsprotocol (only this package does), `zettel.core`,
`zettel.vault`, `zettel.search`. Never the CLI or the TUI; only the CLI's
``lsp`` command imports it.
"""
