"""The core: what a vault means, as pure functions of text and notes.

`model` (Note, Link, Problem), `problems` (the kinds of problem), `parse` and
`body` (one file's text to a Note), `resolve` (which note a link reaches),
`graph` (the networkx graph: backlinks, orphans, isolated, dead ends), `check`
(every problem of a set of notes), `suggest` ("did you mean"), `textfold`
(words, case and accents), `display` (text made safe to show), `perf`;
for the commands that edit notes, `plan` (a write computed before it is made),
`rename` and `rewrite` (a note moved or retitled, every link to it rewritten),
`frontedit` (title, aliases and id edited in place), `linkstyle` (the links
zettel writes), `fix` (the candidates of a broken or ambiguous link, and the
rule of ``fix --apply``), `mentions` (unlinked mentions of a note's names),
`sketch` (a note's words in a small filter, so mentions read few notes).

May import: the standard library, yaml-rs, networkx, rapidfuzz, and itself.
Never the filesystem's edges (`zettel.vault`), search, the CLI or the TUI
(import-linter contracts in pyproject.toml).
"""
