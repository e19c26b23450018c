"""zettel: a knowledge-graph note manager for Markdown Zettelkasten vaults.

The core (this package minus `zettel.tui`) imports no user-interface library.
"""

__version__ = "0.1.0"
