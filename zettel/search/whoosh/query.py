"""Queries: the parsed query language (`zettel.search.model.parse`) as Whoosh
queries, and the faster or fixed query classes zettel uses.

A word the query names no field for is searched in `DEFAULT_FIELDS`; a
prefix or wildcard is scored like the words it stands for (so a result list
has one scoring scheme); NOT never returns a deleted note (`Not`).
"""

from __future__ import annotations

import re
from typing import Any

import zettel.search.whoosh.imports  # noqa: F401 - first: Whoosh without what zettel does not use

# isort: split
from whoosh import fields, matching
from whoosh import query as wq
from whoosh.query.spans import Span

from zettel.core.textfold import field_key
from zettel.search.model import (
    AllOf,
    AnyOf,
    QueryError,
    QueryNode,
    Without,
    Word,
    one_line,
    parse,
)
from zettel.search.whoosh.rank import Inverse

#: The fields a query searches when it names none (``body`` also holds the
#: tags, types and other front-matter values, so one field covers them).
DEFAULT_FIELDS = ("title", "aliases", "body")
#: Query field names and their index field.
FIELD_NAMES = {"title": "title", "alias": "aliases", "aliases": "aliases", "tag": "tag",
               "tags": "tag", "type": "type", "types": "type", "id": "id", "path": "path",
               "body": "body", "meta": "meta"}


def parse_query(text: str, schema_: fields.Schema, known_fields: set[str]) -> wq.Query:
    """Parse the query language of docs/search.md; raise `QueryError` when it is malformed.

    ``known_fields`` are the index fields that hold at least one term: naming
    a front-matter field no note has is an error, not an empty result.
    """
    built = _Builder(schema_, known_fields).build(parse(text))
    if built is None:
        raise QueryError(f"'{one_line(text)}' has no word to search for")
    return built


_FUZZY = re.compile(r"(.+?)~(\d*)", re.DOTALL)


def _all(queries: list[wq.Query]) -> wq.Query | None:
    return None if not queries else queries[0] if len(queries) == 1 else wq.And(queries)


def _any(queries: list[wq.Query]) -> wq.Query | None:
    return None if not queries else queries[0] if len(queries) == 1 else wq.Or(queries)


class _Builder:
    """Turns a parsed query (`zettel.search.model.QueryNode`) into a Whoosh query;
    a word that holds nothing to search for (``#``) is left out (None)."""

    def __init__(self, schema_: fields.Schema, known: set[str]) -> None:
        self.schema, self.known = schema_, known

    def build(self, node: QueryNode) -> wq.Query | None:
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Without):
            inner = self.build(node.part)
            return None if inner is None else Not(inner)
        parts = [built for part in node.parts if (built := self.build(part)) is not None]
        if isinstance(node, AnyOf):
            return _any(parts)
        assert isinstance(node, AllOf)
        negative = _any([part.query for part in parts if isinstance(part, Not)])
        positive = _all([part for part in parts if not isinstance(part, Not)])
        if positive is None:
            return None if negative is None else Not(negative)
        return positive if negative is None else wq.AndNot(positive, negative)

    def word(self, node: Word) -> wq.Query | None:
        if node.field is None:
            if not node.phrase and node.text.strip("*") == "":
                return wq.Every()
            return _any([built for name in DEFAULT_FIELDS
                         if (built := self.leaf(name, node)) is not None])
        built = self.leaf(self.field_of(node.field), node)
        if built is None:
            shown = f'"{node.text}"' if node.phrase else node.text
            raise QueryError(f"'{node.field}:{one_line(shown)}' has no word to search for")
        return built

    def field_of(self, name: str) -> str:
        """The index field of a query field name (``tags`` → ``tag``)."""
        found = FIELD_NAMES.get(name.casefold()) or f"meta_{field_key(name)}"
        if found.startswith("meta_") and found not in self.known:
            others = sorted(k[5:] for k in self.known if k.startswith("meta_"))
            raise QueryError(
                f"no note has a field '{name}' (fields: {', '.join(sorted(FIELD_NAMES))}"
                + (f"; front matter: {', '.join(others)}" if others else "")
                + "); to search for the text itself, put it in quotes")
        return found

    def leaf(self, name: str, node: Word) -> wq.Query | None:
        field, text = self.schema[name], node.text
        if node.phrase:
            words = list(field.process_text(text, mode="query"))
            if len(words) > 1:
                return Phrase(name, words)
            return wq.Term(name, words[0]) if words else None
        if "*" in text or "?" in text:
            return self.pattern(name, field, text)
        fuzzy = _FUZZY.fullmatch(text)
        if fuzzy:
            edits = int(fuzzy.group(2) or 1)
            if edits > 2:
                raise QueryError(f"'{one_line(text)}': a word may be at most 2 edits away "
                                 "(word~2)")
            return _all([wq.FuzzyTerm(name, word, maxdist=edits, prefixlength=0,
                                      constantscore=False) if edits else wq.Term(name, word)
                         for word in field.process_text(fuzzy.group(1), mode="query")])
        return _all([wq.Term(name, word) for word in field.process_text(text, mode="query")])

    @staticmethod
    def pattern(name: str, field: Any, text: str) -> wq.Query:
        """``prefix*`` or ``wild?card``; scored as the words it stands for are
        (one scoring scheme for every note a query finds)."""
        if name in ("id", "path"):
            if text.endswith("*") and "*" not in text[:-1] and "?" not in text:
                return ColumnPrefix(name, text[:-1])
            return wq.Wildcard(name, text, constantscore=False)
        folded = next(iter(field.process_text(text, mode="query", tokenize=False)), "")
        if folded.strip("*?") == "":
            return wq.Every(name)
        if folded.endswith("*") and "*" not in folded[:-1] and "?" not in folded:
            return wq.Prefix(name, folded[:-1], constantscore=False)
        return wq.Wildcard(name, folded, constantscore=False)


class ColumnPrefix(wq.Prefix):  # type: ignore[misc]
    """A prefix of ids or paths (``id:2019*``), found in one pass over the
    field's column instead of a union of one posting list per value (there
    are as many values as notes)."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        prefix, deleted = self.text, reader.has_deletions()
        docs = [doc for doc, value in enumerate(reader.column_reader(self.fieldname))
                if value and value.startswith(prefix)
                and not (deleted and reader.is_deleted(doc))]
        if not docs:
            return matching.NullMatcher()
        return matching.ListMatcher(docs, all_weights=self.boost)


class Not(wq.Not):  # type: ignore[misc]
    """NOT, with `zettel.search.whoosh.rank.Inverse`: never a deleted note."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        child = self.query.matcher(searcher, searcher.boolean_context())
        return Inverse(child, reader.doc_count_all(), missing=reader.is_deleted)


class AdjacentWords(wq.SpanNear2):  # type: ignore[misc]
    """Whoosh's ordered, slop-1 span query, with the adjacency test done on
    sets of positions instead of span objects (phrases are 3-4x faster)."""

    class SpanNear2Matcher(wq.SpanNear2.SpanNear2Matcher):  # type: ignore[misc]
        def _get_spans(self) -> list[Any]:
            starts = set(self.ms[0].value_as("positions"))
            for offset, later in enumerate(self.ms[1:], 1):
                starts.intersection_update(p - offset for p in later.value_as("positions"))
                if not starts:
                    return []
            last = len(self.ms) - 1
            return [Span(start, start + last) for start in sorted(starts)]


class Phrase(wq.Phrase):  # type: ignore[misc]
    """An exact phrase (slop 1) matched with `AdjacentWords`; others as Whoosh does."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        if self.slop != 1 or self.fieldname not in searcher.schema:
            return super().matcher(searcher, context)
        field = searcher.schema[self.fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)
        reader, terms = searcher.reader(), []
        for word in self.words:
            word = field.to_bytes(word)
            if (self.fieldname, word) not in reader:
                return matching.NullMatcher()
            terms.append(wq.Term(self.fieldname, word))
        found = AdjacentWords(terms, slop=1, ordered=True, mindist=1).matcher(searcher, context)
        return found if self.boost == 1.0 else matching.WrappingMatcher(found, boost=self.boost)
