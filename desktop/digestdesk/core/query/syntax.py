"""The query language's syntax tree and its recursive-descent parser.

Grammar: ``or := and (OR and)*``; ``and := unary (AND? unary)*``;
``unary := (NOT | -) unary | primary``; ``primary := ( or ) | FIELD value | WORD | PHRASE``.
Words become :class:`TextNode` leaves (a word, phrase, ``prefix*`` or ``fuzzy~``), filter
fields :class:`FilterNode` leaves, ``sort:`` a :class:`SortNode`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from digestdesk.core.query.filters import (
    FILTER_FIELDS,
    Filter,
    FilterExpr,
    FilterGroup,
    parse_filter,
)
from digestdesk.core.query.tokens import Token
from digestdesk.errors import QueryError

SORTS = ("relevance", "date", "votes", "foryou")

#: Characters required before the ``*`` of a prefix search.
PREFIX_MIN_CHARS = 4

#: Query-language field name -> index field, for text fields.
INDEX_TEXT_FIELDS = {
    "title": "title",
    "abstract": "abstract",
    "author": "authors",
    "authors": "authors",
    "keyword": "keywords",
    "keywords": "keywords",
    "summary": "ai_summary",
    "note": "note",
}
_FIELD_LIST = (
    "title, abstract, author, keyword, summary, note, status, tag, year, date, votes, has, "
    "digest, arxiv, sort"
)


@dataclass
class TextNode:
    field: str | None  # index field, None for the default fields
    kind: str  # word | phrase | prefix | fuzzy
    value: str
    pos: int
    maxdist: int = 1


@dataclass
class FilterNode:
    filter: Filter
    pos: int


@dataclass
class SortNode:
    value: str
    pos: int


@dataclass
class NotNode:
    child: Node
    pos: int


@dataclass
class AndNode:
    children: list[Node]


@dataclass
class OrNode:
    children: list[Node]


Node = TextNode | FilterNode | SortNode | NotNode | AndNode | OrNode


class Parser:
    """Recursive descent over :func:`~digestdesk.core.query.tokens.iter_tokens`'s tokens (the
    grammar is in the module docstring). It pulls one token ahead, so a tokenizer that stops
    at a limit stops the parse there."""

    def __init__(self, tokens: Iterable[Token]) -> None:
        self._tokens = iter(tokens)
        self._next = next(self._tokens)

    def peek(self) -> Token:
        return self._next

    def take(self) -> Token:
        tok = self._next
        if tok.kind != "END":
            self._next = next(self._tokens)
        return tok

    def parse(self) -> Node | None:
        if self.peek().kind == "END":
            return None
        node = self.parse_or(None, None)
        tok = self.peek()
        if tok.kind == ")":
            raise QueryError(
                f"Unbalanced parentheses: the ) at position {tok.pos + 1} has no matching (.",
                tok.pos,
            )
        return node

    def parse_or(self, ctx: str | None, after: Token | None) -> Node:
        items = [self.parse_and(ctx, after)]
        while self.peek().kind == "OR":
            op = self.take()
            items.append(self.parse_and(ctx, op))
        return items[0] if len(items) == 1 else OrNode(items)

    def parse_and(self, ctx: str | None, after: Token | None) -> Node:
        items = [self.parse_unary(ctx, after)]
        while True:
            tok = self.peek()
            if tok.kind in ("OR", ")", "END"):
                break
            if tok.kind == "AND":
                self.take()
                items.append(self.parse_unary(ctx, tok))
            else:
                items.append(self.parse_unary(ctx, None))
        return items[0] if len(items) == 1 else AndNode(items)

    def parse_unary(self, ctx: str | None, after: Token | None) -> Node:
        tok = self.peek()
        if tok.kind == "NOT":
            self.take()
            return NotNode(self.parse_unary(ctx, tok), tok.pos)
        if tok.kind == "MINUS":
            self.take()
            return NotNode(self.parse_unary(ctx, tok), tok.pos)
        return self.parse_primary(ctx, after)

    def _missing(self, tok: Token, after: Token | None) -> QueryError:
        if after is not None and after.kind in ("AND", "OR", "NOT", "MINUS", "FIELD"):
            what = {"MINUS": "-", "FIELD": after.text + ":"}.get(after.kind, after.kind)
            return QueryError(
                f"{what} at position {after.pos + 1} needs something after it.", after.pos
            )
        if tok.kind in ("AND", "OR"):
            return QueryError(
                f"{tok.kind} at position {tok.pos + 1} needs something before it.", tok.pos
            )
        if tok.kind == ")":
            return QueryError(
                f"Unbalanced parentheses: the ) at position {tok.pos + 1} has no matching (.",
                tok.pos,
            )
        return QueryError("The query ends too early.", tok.pos)

    def parse_primary(self, ctx: str | None, after: Token | None) -> Node:
        tok = self.peek()
        if tok.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise QueryError(f"Empty parentheses at position {tok.pos + 1}.", tok.pos)
            if self.peek().kind == "END":
                raise self._unclosed(tok)
            node = self.parse_or(ctx, None)
            if self.peek().kind != ")":
                raise self._unclosed(tok)
            self.take()
            return node
        if tok.kind == "FIELD":
            self.take()
            name = tok.text.lower()
            if name == "sort":
                value = self.peek()
                if value.kind not in ("WORD", "PHRASE"):
                    raise self._missing(value, tok)
                self.take()
                choice = value.text.lower()
                if choice not in SORTS:
                    raise QueryError(
                        f"sort:{value.text}: unknown order (use sort:relevance, sort:date, "
                        "sort:votes or sort:foryou).",
                        tok.pos,
                    )
                return SortNode(choice, tok.pos)
            if name not in INDEX_TEXT_FIELDS and name not in FILTER_FIELDS:
                raise QueryError(f"Unknown field {tok.text}: (fields are {_FIELD_LIST}).", tok.pos)
            nxt = self.peek()
            if nxt.kind == "(":
                return self.parse_primary(name, tok)
            if nxt.kind in ("WORD", "PHRASE"):
                self.take()
                return _leaf(name, nxt, tok.pos)
            raise self._missing(nxt, tok)
        if tok.kind in ("WORD", "PHRASE"):
            self.take()
            return _leaf(ctx, tok, tok.pos)
        raise self._missing(tok, after)

    @staticmethod
    def _unclosed(tok: Token) -> QueryError:
        return QueryError(
            f"Unbalanced parentheses: the ( at position {tok.pos + 1} is never closed.", tok.pos
        )


_FUZZY_RE = re.compile(r"(.+?)~(\d*)")


def _leaf(name: str | None, tok: Token, field_pos: int) -> Node:
    """A word or phrase, in the query field ``name`` (None: the default fields)."""
    if name is not None and name in FILTER_FIELDS:
        flt = parse_filter(FILTER_FIELDS[name], name, tok.text, field_pos)
        return FilterNode(flt, field_pos)
    index_field = INDEX_TEXT_FIELDS[name] if name is not None else None
    if tok.kind == "PHRASE":
        return TextNode(index_field, "phrase", tok.text, tok.pos)
    word = tok.text
    fuzzy = _FUZZY_RE.fullmatch(word)
    if fuzzy:
        digits = fuzzy.group(2)
        if digits and (not digits.isascii() or int(digits) not in (1, 2)):
            raise QueryError(
                f"{word}: fuzzy search allows 1 or 2 edits ({fuzzy.group(1)}~ or "
                f"{fuzzy.group(1)}~2).",
                tok.pos,
            )
        base = fuzzy.group(1)
        if "*" in base or "~" in base:
            raise QueryError(f"{word}: a word cannot be both fuzzy and a prefix.", tok.pos)
        return TextNode(index_field, "fuzzy", base, tok.pos, int(digits) if digits else 1)
    if "*" in word or "?" in word:
        stem = word[:-1]
        if not word.endswith("*") or "*" in stem or "?" in stem:
            raise QueryError(
                f"{word}: a wildcard is only allowed at the end of a word (e.g. transf*).",
                tok.pos,
            )
        if len(stem) < PREFIX_MIN_CHARS:
            raise QueryError(
                f"{word}: type at least {PREFIX_MIN_CHARS} characters before * "
                "(shorter prefixes match too many words).",
                tok.pos,
            )
        return TextNode(index_field, "prefix", stem, tok.pos)
    return TextNode(index_field, "word", word, tok.pos)


def strip_sorts(node: Node, sorts: list[SortNode], negated: bool = False) -> Node | None:
    """``node`` without its ``sort:`` nodes, which are appended to ``sorts``."""
    if isinstance(node, SortNode):
        if negated:
            raise QueryError(f"sort:{node.value} cannot be negated.", node.pos)
        sorts.append(node)
        return None
    if isinstance(node, NotNode):
        child = strip_sorts(node.child, sorts, not negated)
        return None if child is None else NotNode(child, node.pos)
    if isinstance(node, AndNode | OrNode):
        kept = [k for k in (strip_sorts(c, sorts, negated) for c in node.children) if k]
        if not kept:
            return None
        if len(kept) == 1:
            return kept[0]
        return type(node)(kept)
    return node


def as_filter(node: Node) -> FilterExpr | None:
    """The filters a top-level node stands for when it holds nothing else (filters joined by
    AND, OR, NOT and parentheses), or None: SQL then evaluates it, with the meaning each
    filter has on its own."""
    if isinstance(node, FilterNode):
        return node.filter
    if isinstance(node, NotNode):
        inner = as_filter(node.child)
        if isinstance(inner, Filter):
            return Filter(inner.field, inner.op, inner.value, negate=not inner.negate)
        if isinstance(inner, FilterGroup):
            return FilterGroup(inner.op, inner.children, negate=not inner.negate)
        return None
    if isinstance(node, AndNode | OrNode):
        children = [as_filter(child) for child in node.children]
        if any(child is None for child in children):
            return None
        op = "or" if isinstance(node, OrNode) else "and"
        return FilterGroup(op, [c for c in children if c is not None])
    return None
