"""The query language's tokenizer: the search bar's text -> words, phrases, fields, operators.

A token remembers where it starts, so that every :class:`~digestdesk.errors.QueryError` can
point at the part of the query at fault. Tokens are produced lazily and counted against the
language's limits (:data:`LIMITS`) as they are: a query past a limit stops there, however long
the rest of it is (10,000 × ``model OR`` is refused after 33 words, not parsed and searched).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from digestdesk.errors import QueryError, QueryTooComplex


@dataclass
class Token:
    kind: str  # "(" ")" AND OR NOT MINUS FIELD WORD PHRASE END
    text: str
    pos: int


_FIELD_RE = re.compile(r"([A-Za-z_]+|read-by):(.*)", re.DOTALL)
_OPERATORS = frozenset({"AND", "OR", "NOT"})


@dataclass(frozen=True)
class QueryLimits:
    """How complex a query may be; each bound keeps a search well under a second."""

    words: int = 32  # words, values of fields and the words of phrases
    expansions: int = 4  # prefix* and fuzzy~ terms (each expands into many index terms)
    operators: int = 48  # AND, OR, NOT and -
    depth: int = 8  # parentheses inside parentheses


LIMITS = QueryLimits()


def tokenize(text: str, limits: QueryLimits | None = None) -> list[Token]:
    """The tokens of ``text``, ending with an ``END`` token (raises QueryError)."""
    return list(iter_tokens(text, limits))


def iter_tokens(text: str, limits: QueryLimits | None = None) -> Iterator[Token]:
    """The tokens of ``text`` one by one, ending with ``END``; raises
    :class:`~digestdesk.errors.QueryTooComplex` at the first token past a limit
    (``limits``, default :data:`LIMITS`)."""
    limits = limits or LIMITS
    words = expansions = operators = depth = 0
    for token in _scan(text):
        kind = token.kind
        if kind in ("WORD", "PHRASE"):
            words += len(token.text.split()) if kind == "PHRASE" else 1
            if words > limits.words:
                raise _too_complex(f"at most {limits.words} words", token)
            if kind == "WORD" and (token.text.endswith("*") or "~" in token.text):
                expansions += 1
                if expansions > limits.expansions:
                    what = f"at most {limits.expansions} prefix* or fuzzy~ words"
                    raise _too_complex(what, token)
        elif kind in _OPERATORS or kind == "MINUS":
            operators += 1
            if operators > limits.operators:
                raise _too_complex(f"at most {limits.operators} AND, OR, NOT or -", token)
        elif kind == "(":
            depth += 1
            if depth > limits.depth:
                raise _too_complex(f"parentheses at most {limits.depth} deep", token)
        elif kind == ")":
            depth -= 1
        yield token


def _too_complex(limit: str, token: Token) -> QueryTooComplex:
    return QueryTooComplex(
        f"The query is too complex: {limit} (position {token.pos + 1} goes past that). "
        "Search for fewer words at a time.",
        token.pos,
    )


def _scan(text: str) -> Iterator[Token]:
    """The tokens of ``text`` as they come, ending with ``END`` (raises QueryError)."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            yield Token(c, c, i)
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError(f'Unbalanced quote: the " at position {i + 1} is never closed.', i)
            yield Token("PHRASE", text[i + 1 : end], i)
            i = end + 1
        elif c in "-+" and i + 1 < n and not text[i + 1].isspace():
            if c == "-":
                yield Token("MINUS", c, i)
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            chunk = text[i:j]
            m = _FIELD_RE.fullmatch(chunk)
            if chunk in _OPERATORS:
                yield Token(chunk, chunk, i)
            elif m:
                name, rest = m.group(1), m.group(2)
                yield Token("FIELD", name, i)
                if rest:
                    yield Token("WORD", rest, i + len(name) + 1)
                elif j >= n or text[j] not in '("':
                    raise QueryError(
                        f"{name}: needs a value right after the colon (e.g. {name}:something).",
                        i,
                    )
            else:
                yield Token("WORD", chunk, i)
            i = j
    yield Token("END", "", n)
